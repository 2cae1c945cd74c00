//! `OpenAiClient` and `Fleet` against the test kit's mock OpenAI-compatible server.

use std::sync::Arc;
use std::time::Duration;

use dspy_core::adapters::Message;
use dspy_core::client::{Fleet, OpenAiClient};
use dspy_core::lm::{LanguageModel, LmError, LmRequest, SharedLm};
use dspy_testkit::{Fault, MockConfig, MockServer, Responder};
use futures_util::StreamExt;

fn client(server: &MockServer) -> OpenAiClient {
    OpenAiClient::builder("gpt-4o-mini")
        .base_url(server.base_url())
        .api_key("sk-mock")
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn question() -> LmRequest {
    LmRequest::new(vec![
        Message::system("Answer briefly."),
        Message::user("What is the capital of France?"),
    ])
}

#[tokio::test]
async fn answers_and_records() {
    let config = MockConfig::new()
        .responder(Responder::fixed("Paris"))
        .record_requests(true);
    let server = MockServer::start(config).await.unwrap();
    let lm = client(&server);
    let answer = lm.call(question().temperature(0.0).n(2)).await.unwrap();
    assert_eq!(answer.first_text(), Some("Paris"));
    assert_eq!(answer.choices.len(), 2);
    assert!(answer.usage.total_tokens > 0);

    let recorded = server.recorded();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].path, "/v1/chat/completions");
    assert_eq!(recorded[0].header("authorization"), Some("Bearer sk-mock"));
    let body = recorded[0].json().unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["n"], 2);
}

#[tokio::test]
async fn streams_the_answer() {
    let text = "The capital of France is Paris.";
    let config = MockConfig::new()
        .responder(Responder::fixed(text))
        .stream_chunk_chars(4);
    let server = MockServer::start(config).await.unwrap();
    let deltas: Vec<String> = client(&server)
        .stream(question())
        .map(|d| d.unwrap())
        .collect()
        .await;
    assert!(deltas.len() > 1, "{deltas:?}");
    assert_eq!(deltas.concat(), text);
}

async fn fault(fault: Fault, timeout: Duration) -> LmError {
    let server = MockServer::start(MockConfig::new().fail_first(1, fault))
        .await
        .unwrap();
    let lm = OpenAiClient::builder("m")
        .base_url(server.base_url())
        .timeout(timeout)
        .build()
        .unwrap();
    let err = lm.call(question()).await.unwrap_err();
    // The retry gets through.
    lm.call(question()).await.unwrap();
    err
}

#[tokio::test]
async fn every_fault_maps_to_its_error() {
    let long = Duration::from_secs(5);
    let err = fault(Fault::ServerError, long).await;
    assert!(
        matches!(err, LmError::Server { status: 500, .. }),
        "{err:?}"
    );
    let err = fault(
        Fault::RateLimited {
            retry_after_secs: 2,
        },
        long,
    )
    .await;
    assert!(
        matches!(err, LmError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(2)),
        "{err:?}"
    );
    let err = fault(Fault::Status(401), long).await;
    assert!(matches!(err, LmError::Auth { status: 401, .. }), "{err:?}");
    let err = fault(Fault::Status(503), long).await;
    assert!(
        matches!(err, LmError::Server { status: 503, .. }),
        "{err:?}"
    );
    let err = fault(Fault::Status(404), long).await;
    assert!(
        matches!(err, LmError::InvalidRequest { status: 404, .. }),
        "{err:?}"
    );
    let err = fault(Fault::ContextLength, long).await;
    assert!(matches!(err, LmError::ContextLength { .. }), "{err:?}");
    let err = fault(Fault::Truncated, long).await;
    assert!(matches!(err, LmError::Decode { .. }), "{err:?}");
    let err = fault(Fault::DropConnection, long).await;
    assert!(matches!(err, LmError::Transport { .. }), "{err:?}");
}

/// A slow answer trips the client's own deadline, and the retry, answered at once, does not.
///
/// On tokio's paused clock the client's 150 ms deadline is only reached when the runtime has
/// nothing left to do: at once while the mock holds back its slow answer (on its clock thread,
/// in real time), never while the in-process server is answering the retry, however loaded the
/// machine.
#[tokio::test(start_paused = true)]
async fn a_slow_answer_maps_to_a_timeout() {
    let deadline = Duration::from_millis(150);
    // Without the client's deadline the call would wait an hour; this guard (paused too) fires
    // at once instead.
    let err = tokio::time::timeout(
        Duration::from_secs(60),
        fault(Fault::Slow(Duration::from_secs(3600)), deadline),
    )
    .await
    .expect("the client's deadline never fired");
    assert!(
        matches!(err, LmError::Timeout(d) if d == deadline),
        "{err:?}"
    );
}

#[tokio::test]
async fn fleet_over_mock_servers() {
    let healthy = MockServer::start(MockConfig::new().responder(Responder::fixed("ok")))
        .await
        .unwrap();
    let failing = MockServer::start(MockConfig::new().failure_rate(1.0))
        .await
        .unwrap();
    let members: Vec<SharedLm> = vec![Arc::new(client(&failing)), Arc::new(client(&healthy))];
    let fleet = Fleet::new(members).unwrap();
    for _ in 0..10 {
        assert_eq!(
            fleet.call(question()).await.unwrap().first_text(),
            Some("ok")
        );
    }
    assert_eq!(failing.requests(), 1);
    assert_eq!(healthy.requests(), 10);
}
