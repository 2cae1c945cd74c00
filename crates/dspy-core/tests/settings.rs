//! Global settings. One test function, because the global LM is shared by every test in a
//! binary.

mod support;

use dspy_core::predict::Predict;
use dspy_core::{settings, Error};
use serde_json::json;
use support::{chat, values, Scripted};

#[tokio::test]
async fn global_and_scoped_lms() {
    let qa = Predict::parse("question -> answer").unwrap();
    let inputs = values(json!({"question": "?"}));

    settings::clear_lm();
    assert!(matches!(qa.forward(inputs.clone()).await, Err(Error::NoLm)));

    let answer = chat(&[("answer", "x")]);
    let global = Scripted::texts([answer.as_str(), answer.as_str()]);
    let scoped = Scripted::texts([answer.as_str()]);
    settings::configure(global.shared());
    qa.forward(inputs.clone()).await.unwrap();
    settings::with_lm(scoped.shared(), qa.forward(inputs.clone()))
        .await
        .unwrap();
    qa.forward(inputs.clone()).await.unwrap();
    assert_eq!((global.requests().len(), scoped.requests().len()), (2, 1));

    settings::clear_lm();
    assert!(settings::lm().is_none());
    assert_eq!(settings::num_threads(), 8);
    assert_eq!(settings::max_errors(), 10);
}
