//! `ScriptedLm`: fixed answers, keyed answers, closures, auto answers, counting and recording.

use std::sync::Arc;

use dspy_core::adapters::Message;
use dspy_core::lm::{LanguageModel, LmError, LmRequest, LmResponse, ResponseFormat};
use dspy_testkit::{chat_completion, ScriptedLm, DEFAULT_MODEL};
use futures::executor::block_on;

fn ask(text: &str) -> LmRequest {
    LmRequest::new(vec![Message::system("Be brief."), Message::user(text)])
}

fn text(lm: &ScriptedLm, request: LmRequest) -> Result<String, LmError> {
    block_on(lm.call(request)).map(|r| r.first_text().unwrap_or_default().to_string())
}

#[test]
fn fixed_answers_in_order_then_an_error() {
    let lm = ScriptedLm::new(["one", "two"]);
    assert_eq!(text(&lm, ask("a")).unwrap(), "one");
    assert_eq!(text(&lm, ask("b")).unwrap(), "two");
    let error = text(&lm, ask("c")).unwrap_err();
    assert!(matches!(error, LmError::Config { .. }), "{error:?}");
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("2 scripted answers"));
    assert_eq!(lm.calls(), 3);
}

#[test]
fn cycling_starts_over() {
    let lm = ScriptedLm::new(["one", "two"]).cycle();
    let answers: Vec<String> = (0..5).map(|_| text(&lm, ask("q")).unwrap()).collect();
    assert_eq!(answers, ["one", "two", "one", "two", "one"]);
    let empty = ScriptedLm::new(Vec::<String>::new()).cycle();
    assert!(text(&empty, ask("q")).is_err());
}

#[test]
fn outputs_are_written_in_chat_format() {
    let lm = ScriptedLm::from_outputs([vec![("reasoning", "Because."), ("answer", "42")]]);
    assert_eq!(
        text(&lm, ask("q")).unwrap(),
        "[[ ## reasoning ## ]]\nBecause.\n\n[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]"
    );
    assert_eq!(
        chat_completion([("answer", "42")]),
        "[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]"
    );
}

#[test]
fn scripted_errors() {
    let lm = ScriptedLm::from_results([
        Err(LmError::Server {
            status: 503,
            message: "busy".into(),
            retry_after: None,
        }),
        Ok("fine".into()),
    ]);
    assert!(text(&lm, ask("q")).unwrap_err().is_retryable());
    assert_eq!(text(&lm, ask("q")).unwrap(), "fine");
}

#[test]
fn keyed_answers_match_the_last_user_message() {
    let lm = ScriptedLm::keyed([("France", "Paris"), ("Fran", "not me"), ("Japan", "Tokyo")]);
    assert_eq!(text(&lm, ask("Capital of France?")).unwrap(), "Paris");
    assert_eq!(text(&lm, ask("Capital of Japan?")).unwrap(), "Tokyo");
    // Only the last user message counts, not the system prompt or earlier turns.
    let history = LmRequest::new(vec![
        Message::system("Japan"),
        Message::user("France"),
        Message::assistant("Paris"),
        Message::user("Peru"),
    ]);
    assert!(matches!(
        block_on(lm.call(history.clone())),
        Err(LmError::Config { .. })
    ));
    let lm = lm.fallback("I don't know");
    assert_eq!(text(&lm, history).unwrap(), "I don't know");
}

#[test]
fn closures_compute_answers() {
    let lm = ScriptedLm::from_fn(|request| request.messages.last().unwrap().content.to_uppercase());
    assert_eq!(text(&lm, ask("shout")).unwrap(), "SHOUT");

    let lm = ScriptedLm::from_response_fn(|request| {
        if request.temperature == Some(0.0) {
            Err(LmError::RateLimited { retry_after: None })
        } else {
            Ok(LmResponse::text("custom-model", "warm"))
        }
    });
    assert!(block_on(lm.call(ask("q").temperature(0.0))).is_err());
    let response = block_on(lm.call(ask("q").temperature(1.0))).unwrap();
    assert_eq!(response.model, "custom-model");
    assert_eq!(response.first_text(), Some("warm"));
}

#[test]
fn auto_answers_dspy_prompts() {
    let system = "Your input fields are:\n1. `question` (str): \nYour output fields are:\n1. `answer` (str): \n2. `confident` (bool): \nAll interactions will be structured in the following way";
    let user = "[[ ## question ## ]]\nIs water wet?\n\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`.";
    let request = LmRequest::new(vec![Message::system(system), Message::user(user)]);
    let lm = ScriptedLm::auto();
    // Written out: `chat_completion` shares its writer with `auto`.
    assert_eq!(
        text(&lm, request.clone()).unwrap(),
        "[[ ## answer ## ]]\nIs water wet?\n\n[[ ## confident ## ]]\nTrue\n\n[[ ## completed ## ]]"
    );
    let json = request.response_format(ResponseFormat::JsonObject);
    assert_eq!(
        text(&lm, json).unwrap(),
        r#"{"answer":"Is water wet?","confident":true}"#
    );
    assert_eq!(text(&lm, ask("plain")).unwrap(), "plain");
}

#[test]
fn counts_and_records_calls() {
    let lm = ScriptedLm::new(["a", "b"]).cycle();
    assert_eq!(lm.calls(), 0);
    assert!(lm.last_request().is_none());
    for q in ["first", "second", "third"] {
        text(&lm, ask(q)).unwrap();
    }
    assert_eq!(lm.calls(), 3);
    let requests = lm.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].messages[1].content, "first");
    assert_eq!(lm.last_request().unwrap().messages[1].content, "third");
}

#[test]
fn n_choices_usage_and_model() {
    let lm = ScriptedLm::new(["abcdefgh"])
        .cycle()
        .with_model("test/model");
    assert_eq!(lm.model(), "test/model");
    let response = block_on(lm.call(ask("q").n(3))).unwrap();
    assert_eq!(response.choices.len(), 3);
    assert!(response.choices.iter().all(|c| c.text == "abcdefgh"));
    assert_eq!(response.model, "test/model");
    assert_eq!(response.usage.completion_tokens, 6);
    assert!(response.usage.prompt_tokens > 0);
    assert_eq!(
        response.usage.total_tokens,
        response.usage.prompt_tokens + response.usage.completion_tokens
    );
    let mut named = ask("q");
    named.model = Some("override".into());
    assert_eq!(block_on(lm.call(named)).unwrap().model, "override");
    let too_many = block_on(lm.call(ask("q").n(1000))).unwrap_err();
    assert!(matches!(
        too_many,
        LmError::InvalidRequest { status: 400, .. }
    ));
    assert_eq!(ScriptedLm::auto().model(), DEFAULT_MODEL);
}

#[test]
fn shared_across_threads() {
    let lm = Arc::new(ScriptedLm::new(["x"]).cycle());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let lm = Arc::clone(&lm);
            std::thread::spawn(move || {
                for _ in 0..25 {
                    block_on(lm.call(ask("q"))).unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(lm.calls(), 100);
    assert_eq!(lm.requests().len(), 100);
    let shared: Arc<dyn LanguageModel> = lm;
    assert_eq!(shared.model(), DEFAULT_MODEL);
}
