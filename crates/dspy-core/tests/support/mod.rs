//! A scripted LM for the integration tests: canned completions in order, every request kept.
//! (The `dspy-testkit` crate's `ScriptedLm` does the same job for other crates.)

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use dspy_core::adapters::Values;
use dspy_core::lm::{
    BoxFuture, Choice, LanguageModel, LmError, LmRequest, LmResponse, SharedLm, Usage,
};
use dspy_core::module::{naming, Module};
use dspy_core::predict::{ChainOfThought, Predict};
use dspy_core::{Error, Prediction};
use serde_json::{json, Value};

/// One scripted answer: the completions of one call, or an error.
pub type Reply = Result<Vec<String>, LmError>;

/// Computes a reply from the request.
type AnswerFn = Box<dyn Fn(&LmRequest) -> Reply + Send + Sync>;

/// Answers calls from a script, or with a function of the request.
pub struct Scripted {
    name: String,
    replies: Mutex<VecDeque<Reply>>,
    answer: Option<AnswerFn>,
    requests: Mutex<Vec<LmRequest>>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripted")
            .field("name", &self.name)
            .finish()
    }
}

impl Scripted {
    /// Answers call `i` with `texts[i]` (one completion each).
    pub fn texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> Arc<Scripted> {
        Scripted::replies(texts.into_iter().map(|t| Ok(vec![t.to_string()])))
    }

    /// Answers call `i` with `replies[i]`.
    pub fn replies(replies: impl IntoIterator<Item = Reply>) -> Arc<Scripted> {
        Arc::new(Scripted {
            name: "scripted".to_string(),
            replies: Mutex::new(replies.into_iter().collect()),
            answer: None,
            requests: Mutex::default(),
        })
    }

    /// Answers every call with `f(request)`.
    pub fn answering(
        name: &str,
        f: impl Fn(&LmRequest) -> Reply + Send + Sync + 'static,
    ) -> Arc<Scripted> {
        Arc::new(Scripted {
            name: name.to_string(),
            replies: Mutex::default(),
            answer: Some(Box::new(f)),
            requests: Mutex::default(),
        })
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<LmRequest> {
        self.requests.lock().unwrap().clone()
    }

    pub fn shared(self: &Arc<Self>) -> SharedLm {
        self.clone()
    }
}

impl LanguageModel for Scripted {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        let reply = match &self.answer {
            Some(f) => f(&request),
            None => self
                .replies
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| Err(LmError::config("the script has no more replies"))),
        };
        self.requests.lock().unwrap().push(request);
        let model = self.name.clone();
        Box::pin(async move {
            let texts = reply?;
            let mut response = LmResponse::text(model, "");
            response.choices = texts.into_iter().map(Choice::text).collect();
            response.usage = Usage {
                prompt_tokens: 10,
                completion_tokens: 5,
                total_tokens: 15,
            };
            Ok(response)
        })
    }

    fn model(&self) -> &str {
        &self.name
    }
}

/// A Chat adapter completion with these fields.
pub fn chat(fields: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (name, value) in fields {
        out.push_str(&format!("[[ ## {name} ## ]]\n{value}\n\n"));
    }
    out.push_str("[[ ## completed ## ]]");
    out
}

/// The last user message of a request.
pub fn last_user(request: &LmRequest) -> &str {
    request
        .messages
        .last()
        .map(|m| m.content.as_str())
        .unwrap_or_default()
}

/// `json!({...})` as a map.
pub fn values(v: Value) -> dspy_core::adapters::Values {
    v.as_object().cloned().unwrap_or_default()
}

/// A program shaped like DSPy's multi-hop examples.
#[derive(Debug)]
pub struct MultiHop {
    pub generate_answer: ChainOfThought,
    pub hops: Vec<Predict>,
    pub summarize: Predict,
}

impl MultiHop {
    pub fn new() -> MultiHop {
        MultiHop {
            generate_answer: ChainOfThought::parse("question -> answer").unwrap(),
            hops: vec![
                Predict::parse("context, question -> query").unwrap(),
                Predict::parse("context, question -> query").unwrap(),
            ],
            summarize: Predict::parse("text -> summary").unwrap(),
        }
    }
}

impl Module for MultiHop {
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        Box::pin(async move {
            let mut context = Vec::new();
            for hop in &self.hops {
                let mut step = inputs.clone();
                step.insert("context".into(), json!(context));
                let query = hop.forward(step).await?;
                context.push(query.get("query").cloned().unwrap_or_default());
            }
            self.generate_answer.forward(inputs).await
        })
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        let mut out = naming::nest("generate_answer", self.generate_answer.named_predictors());
        out.extend(naming::nest_each("hops", &self.hops));
        out.extend(naming::nest("summarize", self.summarize.named_predictors()));
        out
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        let mut out = naming::nest(
            "generate_answer",
            self.generate_answer.named_predictors_mut(),
        );
        out.extend(naming::nest_each_mut("hops", &mut self.hops));
        out.extend(naming::nest(
            "summarize",
            self.summarize.named_predictors_mut(),
        ));
        out
    }
}
