//! A task only demos can teach: questions `kind-n` whose answers follow an arbitrary code per
//! kind. The scripted LM answers right only when the prompt holds a demo (a user turn followed
//! by an assistant turn) of the same kind, or, for `max_rounds` tests, when the request carries
//! a rollout id (a "lucky" fresh sample). Otherwise it answers `unknown`.

#![allow(dead_code)]

pub mod recorded;

use std::sync::Arc;

use dspy_core::adapters::Role;
use dspy_core::example::Example;
use dspy_core::lm::{LmRequest, SharedLm};
use dspy_core::predict::Predict;
use dspy_core::{Evaluate, Module};
use dspy_testkit::{chat_completion, ScriptedLm};

pub const KINDS: [&str; 6] = ["amber", "basil", "cedar", "dune", "ember", "fjord"];

/// The arbitrary code: the kind reversed, then `n * 7 mod 100`.
pub fn true_answer(question: &str) -> String {
    let (kind, n) = question.split_once('-').unwrap_or((question, "0"));
    let n: u64 = n.parse().unwrap_or(0);
    format!("{}{}", kind.chars().rev().collect::<String>(), n * 7 % 100)
}

pub fn example(kind: &str, n: usize) -> Example {
    let q = format!("{kind}-{n}");
    Example::new()
        .with("question", q.clone())
        .with("answer", true_answer(&q))
        .with_inputs(["question"])
}

/// `per_kind` examples of each kind, numbers from `start`, kinds interleaved.
pub fn dataset(start: usize, per_kind: usize) -> Vec<Example> {
    (0..per_kind)
        .flat_map(|i| KINDS.iter().map(move |k| example(k, start + i)))
        .collect()
}

/// The value of `[[ ## field ## ]]` in a chat message.
fn field(content: &str, name: &str) -> Option<String> {
    let marker = format!("[[ ## {name} ## ]]\n");
    let start = content.find(&marker)? + marker.len();
    Some(content[start..].lines().next()?.trim().to_string())
}

fn kind(question: &str) -> &str {
    question.split('-').next().unwrap_or("")
}

/// The oracle's answer to one request.
pub fn oracle(request: &LmRequest) -> String {
    let msgs = &request.messages;
    let Some(question) = msgs.last().and_then(|m| field(&m.content, "question")) else {
        return chat_completion([("answer", "unknown")]);
    };
    let mut knows = request.rollout_id.is_some();
    for pair in msgs[..msgs.len() - 1].windows(2) {
        if pair[0].role == Role::User && pair[1].role == Role::Assistant {
            if let Some(q) = field(&pair[0].content, "question") {
                knows |= kind(&q) == kind(&question);
            }
        }
    }
    let answer = if knows {
        true_answer(&question)
    } else {
        "unknown".to_string()
    };
    chat_completion([("answer", answer)])
}

pub fn lm() -> (Arc<ScriptedLm>, SharedLm) {
    let lm = Arc::new(ScriptedLm::from_fn(oracle));
    (lm.clone(), lm)
}

pub fn student() -> Predict {
    Predict::parse("question -> answer").unwrap()
}

pub fn exact(ex: &Example, pred: &dspy_core::Prediction) -> bool {
    ex.get("answer") == pred.get("answer")
}

pub async fn score<P: Module>(program: &P, devset: &[Example]) -> f64 {
    Evaluate::new(devset.to_vec())
        .num_threads(4)
        .run(program, &exact)
        .await
        .unwrap()
        .score
}
