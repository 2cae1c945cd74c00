//! `n > 1` when one of the completions does not parse, as Python DSPy 3.4.1 does it
//! (`python scripts/record_predict_prompts.py`, cases `n2-*`): the adapter parses every
//! completion and any failure fails the whole call (`Adapter._call_postprocess` raises on the
//! first), so the Chat adapter's JSON fallback makes the whole call again, with the same `n`
//! and temperature; the call succeeds only when every fallback completion parses. The JSON
//! adapter has no fallback: one bad completion is the call's error.

mod support;

use dspy_core::adapters::{AdapterKind, Role};
use dspy_core::predict::{LmConfig, Predict};
use dspy_core::Error;
use serde_json::json;
use support::{chat, values, Scripted};

fn two_completions(lm: &std::sync::Arc<Scripted>) -> Predict {
    Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared())
        .with_config(LmConfig::default().n(2))
}

/// The first line of the system message names the adapter's format: the JSON adapter's
/// announces "Inputs will have the following structure".
fn is_json_request(request: &dspy_core::lm::LmRequest) -> bool {
    let system = &request.messages[0];
    system.role == Role::System
        && system
            .content
            .contains("Outputs will be a JSON object with the following fields.")
}

#[tokio::test]
async fn one_bad_chat_completion_makes_the_whole_call_again_with_json() {
    for bad_first in [false, true] {
        let good = chat(&[("answer", "4")]);
        let chat_call = if bad_first {
            vec!["garbage".to_string(), good.clone()]
        } else {
            vec![good.clone(), "garbage".to_string()]
        };
        let lm = Scripted::replies([
            Ok(chat_call),
            Ok(vec![
                r#"{"answer": "x"}"#.to_string(),
                r#"{"answer": "y"}"#.to_string(),
            ]),
        ]);
        let pred = two_completions(&lm)
            .forward(values(json!({"question": "2 + 2?"})))
            .await
            .unwrap();
        // DSPy: answers ['x', 'y'], the JSON call's; the good chat completion is dropped.
        assert_eq!(
            pred.field_completions("answer"),
            [&json!("x"), &json!("y")],
            "bad first: {bad_first}"
        );
        assert_eq!(pred.get_str("answer"), Some("x"));
        let requests = lm.requests();
        assert_eq!(requests.len(), 2, "one chat call, one JSON call");
        assert!(!is_json_request(&requests[0]));
        assert!(is_json_request(&requests[1]));
        for r in &requests {
            // DSPy raises the default temperature 0.0 to 0.7 for n > 1, in both calls.
            assert_eq!((r.n, r.temperature), (Some(2), Some(0.7)));
        }
        assert_eq!(pred.usage().total_tokens, 30, "both calls count");
    }
}

#[tokio::test]
async fn one_bad_completion_in_the_fallback_too_is_a_json_parse_error() {
    let lm = Scripted::replies([
        Ok(vec![chat(&[("answer", "4")]), "garbage".to_string()]),
        Ok(vec![
            r#"{"answer": "x"}"#.to_string(),
            "still garbage".to_string(),
        ]),
    ]);
    let err = two_completions(&lm)
        .forward(values(json!({"question": "2 + 2?"})))
        .await
        .unwrap_err();
    // DSPy: AdapterParseError "LM response cannot be serialized to a JSON object."
    match &err {
        Error::Parse(e) => {
            assert_eq!(e.adapter, AdapterKind::Json);
            assert_eq!(e.completion, "still garbage");
        }
        other => panic!("expected a JSON parse error, got {other:?}"),
    }
    assert_eq!(lm.requests().len(), 2);
}

#[tokio::test]
async fn the_json_adapter_fails_the_call_on_one_bad_completion() {
    let lm = Scripted::replies([Ok(vec![
        r#"{"answer": "x"}"#.to_string(),
        "garbage".to_string(),
    ])]);
    let qa = two_completions(&lm).with_adapter(AdapterKind::Json);
    let err = qa
        .forward(values(json!({"question": "2 + 2?"})))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Parse(e) if e.adapter == AdapterKind::Json && e.completion == "garbage"),
        "{err:?}"
    );
    assert_eq!(lm.requests().len(), 1, "no fallback from the JSON adapter");
}

#[tokio::test]
async fn an_empty_completion_among_several_fails_like_an_unparseable_one() {
    // DSPy: an empty text is "The LM returned an empty or null response." for that completion,
    // an AdapterParseError like any other, so the Chat adapter falls back as above.
    let lm = Scripted::replies([
        Ok(vec![chat(&[("answer", "4")]), String::new()]),
        Ok(vec![
            r#"{"answer": "x"}"#.to_string(),
            r#"{"answer": "y"}"#.to_string(),
        ]),
    ]);
    let pred = two_completions(&lm)
        .forward(values(json!({"question": "2 + 2?"})))
        .await
        .unwrap();
    assert_eq!(pred.field_completions("answer"), [&json!("x"), &json!("y")]);
    assert_eq!(lm.requests().len(), 2);
}
