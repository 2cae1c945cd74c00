//! A predictor holds any `Adapter`: one written here (a `key=value` format that is none of
//! DSPy's) formats the prompt and parses the completion; its fallback choice is honoured; the
//! settings scope and the per-call option accept it too.

mod support;

use dspy_core::adapters::{
    Adapter, AdapterKind, IntoAdapter, Message, ParseError, ParseErrorKind, SignatureSpec, Values,
};
use dspy_core::predict::{CallOptions, Predict};
use dspy_core::{settings, Error};
use serde_json::json;
use support::{values, Scripted};

/// Prompts `key=value` lines and reads them back.
#[derive(Debug)]
struct KeyValue {
    fallback: bool,
}

impl Adapter for KeyValue {
    fn kind(&self) -> AdapterKind {
        AdapterKind::Chat
    }

    fn format(&self, spec: &SignatureSpec, _demos: &[Values], inputs: &Values) -> Vec<Message> {
        let outputs: Vec<&str> = spec.outputs().iter().map(|f| f.name.as_str()).collect();
        let mut user = String::new();
        for (k, v) in inputs {
            user.push_str(&format!("{k}={}\n", v.as_str().unwrap_or_default()));
        }
        vec![
            Message::system(format!("Reply with lines {}=...", outputs.join("=..., "))),
            Message::user(user),
        ]
    }

    fn parse(&self, spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
        let mut out = Values::new();
        for line in completion.lines() {
            if let Some((k, v)) = line.split_once('=') {
                if spec.outputs().iter().any(|f| f.name == k.trim()) {
                    out.insert(k.trim().to_string(), json!(v.trim()));
                }
            }
        }
        if out.len() == spec.outputs().len() {
            return Ok(out);
        }
        Err(ParseError {
            adapter: self.kind(),
            kind: ParseErrorKind::Malformed {
                reason: "expected key=value lines".into(),
            },
            completion: completion.to_string(),
            expected: spec.outputs().iter().map(|f| f.name.clone()).collect(),
        })
    }

    fn json_fallback(&self) -> bool {
        self.fallback
    }
}

#[tokio::test]
async fn a_custom_adapter_formats_and_parses() {
    let lm = Scripted::texts(["answer = Paris"]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared())
        .with_adapter(KeyValue { fallback: false });
    let pred = qa
        .forward(values(json!({"question": "Capital of France?"})))
        .await
        .unwrap();
    assert_eq!(pred.get_str("answer"), Some("Paris"));
    let sent = &lm.requests()[0].messages;
    assert_eq!(sent[0].content, "Reply with lines answer=...");
    assert_eq!(sent[1].content, "question=Capital of France?\n");
}

#[tokio::test]
async fn the_adapter_decides_whether_json_fallback_applies() {
    let lm = Scripted::texts(["no lines here", r#"{"answer": "Paris"}"#]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared())
        .with_adapter(KeyValue { fallback: true });
    let pred = qa.forward(values(json!({"question": "?"}))).await.unwrap();
    assert_eq!(pred.get_str("answer"), Some("Paris"));
    assert_eq!(lm.requests().len(), 2, "fell back to the JSON adapter");

    let lm = Scripted::texts(["no lines here", r#"{"answer": "Paris"}"#]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared())
        .with_adapter(KeyValue { fallback: false });
    let err = qa
        .forward(values(json!({"question": "?"})))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Parse(_)), "{err}");
    assert_eq!(lm.requests().len(), 1, "no fallback call");
}

#[tokio::test]
async fn scoped_and_per_call_custom_adapters() {
    let lm = Scripted::texts(["answer = 1", "answer = 2"]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared());
    let scoped = settings::with_adapter(
        KeyValue { fallback: false },
        qa.forward(values(json!({"question": "a"}))),
    )
    .await
    .unwrap();
    assert_eq!(scoped.get_str("answer"), Some("1"));
    let options = CallOptions::default().adapter(KeyValue { fallback: false }.into_adapter());
    let per_call = qa
        .call(values(json!({"question": "b"})), options)
        .await
        .unwrap();
    assert_eq!(per_call.get_str("answer"), Some("2"));
    assert!(lm
        .requests()
        .iter()
        .all(|r| r.messages[0].content.starts_with("Reply with lines")));
}
