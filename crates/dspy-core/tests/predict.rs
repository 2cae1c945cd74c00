//! `Predict`: formatting, the LM call, parsing, n completions, the JSON fallback, per-call
//! overrides, structured output and traces.

mod support;

use dspy_core::adapters::{AdapterKind, Message, Role};
use dspy_core::lm::{LmError, ResponseFormat};
use dspy_core::module::ModuleExt;
use dspy_core::predict::{CallOptions, LmConfig, Predict, StructuredOutput};
use dspy_core::{settings, trace, Error, Example};
use serde_json::json;
use support::{chat, values, Scripted};

// What Python DSPy 3.4.1's `dspy.Predict("question -> answer")` sends, byte for byte, as
// `python scripts/record_predict_prompts.py` prints it (cases `chat`, `fallback` and
// `scoped-json`). Written out here rather than rebuilt with our own adapters (which `Predict`
// calls), so a change in what `Predict` sends fails these tests.

const CHAT_SYSTEM: &str = "Your input fields are:\n1. `question` (str):\nYour output fields are:\n\
1. `answer` (str):\nAll interactions will be structured in the following way, with the appropriate \
values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## answer ## ]]\n{answer}\n\n\
[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        \
Given the fields `question`, produce the fields `answer`.";

const JSON_SYSTEM: &str = "Your input fields are:\n1. `question` (str):\nYour output fields are:\n\
1. `answer` (str):\nAll interactions will be structured in the following way, with the appropriate \
values filled in.\n\nInputs will have the following structure:\n\n[[ ## question ## ]]\n{question}\n\n\
Outputs will be a JSON object with the following fields.\n\n{\n  \"answer\": \"{answer}\"\n}\n\
In adhering to this structure, your objective is: \n        \
Given the fields `question`, produce the fields `answer`.";

/// DSPy's Chat adapter messages for `question -> answer` asking `question`.
fn dspy_chat_messages(question: &str) -> Vec<Message> {
    vec![
        Message::system(CHAT_SYSTEM),
        Message::user(format!(
            "[[ ## question ## ]]\n{question}\n\nRespond with the corresponding output fields, \
             starting with the field `[[ ## answer ## ]]`, and then ending with the marker for \
             `[[ ## completed ## ]]`."
        )),
    ]
}

/// DSPy's JSON adapter messages for `question -> answer` asking `question`.
fn dspy_json_messages(question: &str) -> Vec<Message> {
    vec![
        Message::system(JSON_SYSTEM),
        Message::user(format!(
            "[[ ## question ## ]]\n{question}\n\n\
             Respond with a JSON object in the following order of fields: `answer`."
        )),
    ]
}

#[tokio::test]
async fn formats_calls_and_parses() {
    let lm = Scripted::texts([chat(&[("answer", "4")]).as_str()]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared());
    let pred = qa
        .forward(Example::new().with("question", "What is 2 + 2?"))
        .await
        .unwrap();
    assert_eq!(pred.get_str("answer"), Some("4"));
    assert_eq!(pred.usage().total_tokens, 15);

    let requests = lm.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].messages, dspy_chat_messages("What is 2 + 2?"));
    assert_eq!(requests[0].temperature, None);
    assert_eq!(requests[0].n, None);
}

#[tokio::test]
async fn demos_are_formatted_into_the_prompt() {
    let lm = Scripted::texts([chat(&[("answer", "Paris")]).as_str()]);
    let demos = vec![Example::new()
        .with("question", "Capital of Spain?")
        .with("answer", "Madrid")];
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared())
        .with_demos(demos);
    qa.forward(values(json!({"question": "Capital of France?"})))
        .await
        .unwrap();
    let roles: Vec<Role> = lm.requests()[0].messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::System, Role::User, Role::Assistant, Role::User]
    );
}

#[tokio::test]
async fn n_completions_raise_a_low_temperature() {
    let lm = Scripted::replies([Ok(vec![
        chat(&[("answer", "4")]),
        chat(&[("answer", "four")]),
        chat(&[("answer", "IV")]),
    ])]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared())
        .with_config(LmConfig::default().n(3).temperature(0.1));
    let pred = qa
        .forward(values(json!({"question": "2 + 2?"})))
        .await
        .unwrap();
    assert_eq!(pred.get_str("answer"), Some("4"));
    assert_eq!(pred.completions().len(), 3);
    assert_eq!(
        pred.field_completions("answer"),
        [&json!("4"), &json!("four"), &json!("IV")]
    );
    let request = &lm.requests()[0];
    assert_eq!((request.n, request.temperature), (Some(3), Some(0.7)));
}

#[tokio::test]
async fn a_high_temperature_is_kept_and_call_config_overrides() {
    let lm = Scripted::texts([chat(&[("answer", "4")]).as_str()]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared())
        .with_config(LmConfig::default().temperature(0.1).max_tokens(100));
    let options = CallOptions::default().config(LmConfig::default().n(2).temperature(0.9));
    let pred = qa
        .call(values(json!({"question": "?"})), options)
        .await
        .unwrap();
    assert_eq!(
        pred.completions().len(),
        1,
        "completions are what the LM returned"
    );
    let request = &lm.requests()[0];
    assert_eq!(request.temperature, Some(0.9));
    assert_eq!(request.max_tokens, Some(100));
    assert_eq!(request.n, Some(2));
}

#[tokio::test]
async fn an_unparseable_chat_completion_is_retried_with_the_json_adapter() {
    let lm = Scripted::texts(["The answer is 4.", r#"{"answer": "4"}"#]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared());
    let inputs = values(json!({"question": "2 + 2?"}));
    let pred = qa.forward(inputs.clone()).await.unwrap();
    assert_eq!(pred.get_str("answer"), Some("4"));
    assert_eq!(pred.usage().total_tokens, 30, "both calls count");

    let requests = lm.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].messages, dspy_chat_messages("2 + 2?"));
    assert_eq!(requests[1].messages, dspy_json_messages("2 + 2?"));
}

#[tokio::test]
async fn xml_falls_back_too_but_json_and_disabled_fallback_do_not() {
    let xml = Scripted::texts(["<answer>4", r#"{"answer": "4"}"#]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(xml.shared())
        .with_adapter(AdapterKind::Xml);
    assert!(qa.forward(values(json!({"question": "?"}))).await.is_ok());
    assert_eq!(xml.requests().len(), 2);

    let json_lm = Scripted::texts(["not json at all", r#"{"answer": "4"}"#]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(json_lm.shared())
        .with_adapter(AdapterKind::Json);
    let err = qa
        .forward(values(json!({"question": "?"})))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Parse(ref e) if e.adapter == AdapterKind::Json));
    assert_eq!(json_lm.requests().len(), 1);

    let chat_lm = Scripted::texts(["no markers", r#"{"answer": "4"}"#]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(chat_lm.shared())
        .with_json_fallback(false);
    let err = qa
        .forward(values(json!({"question": "?"})))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Parse(ref e) if e.adapter == AdapterKind::Chat));
    assert_eq!(chat_lm.requests().len(), 1);
}

#[tokio::test]
async fn an_empty_completion_is_a_parse_error_after_the_fallback() {
    let lm = Scripted::texts(["", ""]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared());
    let err = qa
        .forward(values(json!({"question": "?"})))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("The LM returned an empty or null response."),
        "{err}"
    );
    assert_eq!(lm.requests().len(), 2);
}

#[tokio::test]
async fn lm_errors_are_returned_without_a_fallback() {
    let lm = Scripted::replies([Err(LmError::Timeout(std::time::Duration::from_secs(3)))]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared());
    let err = qa
        .forward(values(json!({"question": "?"})))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Lm(LmError::Timeout(_))));
    assert_eq!(lm.requests().len(), 1);
}

#[tokio::test]
async fn the_call_lm_beats_the_predictor_lm_which_beats_the_scope() {
    let answer = chat(&[("answer", "x")]);
    let scoped = Scripted::texts([answer.as_str(), answer.as_str()]);
    let own = Scripted::texts([answer.as_str()]);
    let per_call = Scripted::texts([answer.as_str()]);
    let inputs = values(json!({"question": "?"}));

    let mut qa = Predict::parse("question -> answer").unwrap();
    settings::with_lm(scoped.shared(), async {
        qa.forward(inputs.clone()).await.unwrap();
        let with_own = qa.clone().with_lm(own.shared());
        with_own.forward(inputs.clone()).await.unwrap();
        with_own
            .call(inputs.clone(), CallOptions::default().lm(per_call.shared()))
            .await
            .unwrap();
    })
    .await;
    assert_eq!(
        (
            scoped.requests().len(),
            own.requests().len(),
            per_call.requests().len()
        ),
        (1, 1, 1)
    );

    // A scoped adapter applies when neither the call nor the predictor picks one.
    let json_lm = Scripted::texts([r#"{"answer": "x"}"#]);
    qa.set_lm(Some(json_lm.shared()));
    settings::with_adapter(AdapterKind::Json, qa.forward(inputs.clone()))
        .await
        .unwrap();
    assert_eq!(json_lm.requests()[0].messages, dspy_json_messages("?"));
}

#[tokio::test]
async fn structured_output_is_requested_with_the_json_adapter_only() {
    let lm = Scripted::texts([
        r#"{"answer": "4", "score": 3}"#,
        chat(&[("answer", "4"), ("score", "3")]).as_str(),
    ]);
    let config = LmConfig::default().structured_output(StructuredOutput::JsonSchema);
    let qa = Predict::parse("question -> answer, score: int")
        .unwrap()
        .with_lm(lm.shared())
        .with_config(config);
    let json = qa.clone().with_adapter(AdapterKind::Json);
    let pred = json
        .forward(values(json!({"question": "?"})))
        .await
        .unwrap();
    assert_eq!(pred.get("score"), Some(&json!(3)));
    qa.forward(values(json!({"question": "?"}))).await.unwrap();

    let requests = lm.requests();
    match &requests[0].response_format {
        Some(ResponseFormat::JsonSchema {
            name,
            schema,
            strict,
        }) => {
            assert_eq!(name, "DSPyProgramOutputs");
            assert!(strict);
            assert_eq!(schema["required"], json!(["answer", "score"]));
            assert_eq!(schema["additionalProperties"], json!(false));
        }
        other => panic!("expected a JSON schema, got {other:?}"),
    }
    assert_eq!(requests[1].response_format, None);
}

#[tokio::test]
async fn traces_record_each_predictor_call() {
    let lm = Scripted::texts([chat(&[("answer", "4")]).as_str()]);
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared());
    let (pred, entries) =
        trace::with_trace(qa.forward(values(json!({"question": "2 + 2?"})))).await;
    let pred = pred.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].predictor, qa.id());
    assert_eq!(entries[0].inputs, values(json!({"question": "2 + 2?"})));
    assert_eq!(entries[0].prediction, pred);
    assert_eq!(
        qa.predictor_name(entries[0].predictor).as_deref(),
        Some("self")
    );
    assert!(!trace::is_tracing());
}

#[tokio::test]
async fn input_defaults_are_filled() {
    use dspy_core::adapters::{FieldSpec, FieldType, SignatureSpec};
    let spec = SignatureSpec::builder()
        .input(FieldSpec::new("question", FieldType::Str))
        .input(FieldSpec::new("style", FieldType::Str).with_default(json!("short")))
        .output(FieldSpec::new("answer", FieldType::Str))
        .build()
        .unwrap();
    let lm = Scripted::texts([chat(&[("answer", "x")]).as_str()]);
    let qa = Predict::new(spec).with_lm(lm.shared());
    let (_, entries) = trace::with_trace(qa.forward(values(json!({"question": "?"})))).await;
    assert_eq!(
        entries[0].inputs,
        values(json!({"question": "?", "style": "short"}))
    );
}

#[tokio::test]
async fn batch_keeps_input_order() {
    let lm = Scripted::answering("echo", |request| {
        let user = support::last_user(request);
        let question = user.lines().nth(1).unwrap_or_default().to_string();
        Ok(vec![chat(&[("answer", &question.to_uppercase())])])
    });
    let qa = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared());
    let inputs = ["a", "b", "c", "d"]
        .iter()
        .map(|q| values(json!({ "question": q })))
        .collect();
    let results = qa.batch(inputs, 3).await;
    let answers: Vec<String> = results
        .into_iter()
        .map(|r| r.unwrap().get_str("answer").unwrap().to_string())
        .collect();
    assert_eq!(answers, ["A", "B", "C", "D"]);
}
