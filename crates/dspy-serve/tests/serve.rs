//! The server end to end over real HTTP: typed and dynamic endpoints, schemas, error statuses,
//! the concurrency limit and graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use dspy::core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};
use dspy::prelude::*;
use dspy_serve::Server;
use dspy_testkit::{chat_completion, ScriptedLm};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify, Semaphore};
use tokio::task::JoinHandle;

/// Answer questions.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output(desc = "short")]
    answer: String,
    #[output]
    confidence: f64,
}

/// A running server: its base URL, the trigger of its shutdown, its task.
struct Running {
    url: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), dspy_serve::ServeError>>,
}

async fn start(server: Server) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(listener, async move {
        let _ = stopped.await;
    }));
    Running { url, stop, task }
}

fn answers(n: usize) -> SharedLm {
    let outputs = vec![[("answer", "Paris"), ("confidence", "0.9")]; n];
    Arc::new(ScriptedLm::from_outputs(outputs))
}

fn qa_server(lm: SharedLm) -> Server {
    Server::new().typed_predict("qa", dspy::Predict::<QA>::new().with_lm(lm))
}

async fn post(url: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn typed_predict_answers_and_publishes_its_schema() {
    let running = start(qa_server(answers(1))).await;
    let (status, body) = post(
        &format!("{}/qa", running.url),
        json!({"question": "Capital of France?"}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"answer": "Paris", "confidence": 0.9}));

    let schema: Value = reqwest::get(format!("{}/qa/schema", running.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        schema["input"],
        json!({"type": "object", "properties": {"question": {"type": "string"}},
               "required": ["question"], "additionalProperties": false})
    );
    assert_eq!(
        schema["output"]["properties"]["answer"],
        json!({"type": "string", "description": "short"})
    );
    assert_eq!(
        schema["output"]["properties"]["confidence"]["type"],
        "number"
    );
    assert_eq!(
        schema["output"]["required"],
        json!(["answer", "confidence"])
    );

    let health: Value = reqwest::get(format!("{}/health", running.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({"status": "ok", "endpoints": ["qa"]}));
    running.stop.send(()).unwrap();
    running.task.await.unwrap().unwrap();
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Sum {
    a: i64,
    b: i64,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Total {
    total: i64,
}

#[tokio::test]
async fn any_async_function_serves_with_its_types_schemas() {
    let server = Server::new().typed("/v1/sum", |sum: Sum| async move {
        Ok::<_, dspy::Error>(Total {
            total: sum.a + sum.b,
        })
    });
    let running = start(server).await;
    let (status, body) = post(&format!("{}/v1/sum", running.url), r#"{"a": 2, "b": 3}"#).await;
    assert_eq!((status, body), (200, json!({"total": 5})));
    let schema: Value = reqwest::get(format!("{}/v1/sum/schema", running.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(schema["input"]["title"], "Sum");
    assert_eq!(schema["output"]["properties"]["total"]["type"], "integer");

    let (status, body) = post(&format!("{}/v1/sum", running.url), r#"{"a": 2}"#).await;
    assert_eq!(status, 400);
    assert_eq!(body["kind"], "invalid_input");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("missing field `b`"),
        "{body}"
    );
}

#[tokio::test]
async fn dynamic_predict_checks_inputs_against_the_signature() {
    let predict = dspy::core::predict::Predict::parse("question, k: int -> answer")
        .unwrap()
        .with_lm(Arc::new(ScriptedLm::from_outputs([[("answer", "42")]])));
    let running = start(Server::new().predict("ask", predict)).await;
    let url = format!("{}/ask", running.url);

    let (status, body) = post(&url, r#"{"question": "Why?", "k": "3"}"#).await;
    assert_eq!((status, body), (200, json!({"answer": "42"})));

    let (status, body) = post(&url, r#"{"question": "Why?", "k": "many"}"#).await;
    assert_eq!((status, &body["kind"]), (400, &json!("invalid_input")));
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("input field `k`"),
        "{body}"
    );

    let (status, body) = post(&url, r#"{"question": "Why?"}"#).await;
    assert_eq!(status, 400);
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("missing input field `k`"));

    let (status, body) = post(&url, r#"{"question": "Why?", "k": 1, "x": 1}"#).await;
    assert_eq!(status, 400);
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("unknown input field `x`"));

    let (status, body) = post(&url, "[1, 2]").await;
    assert_eq!((status, &body["kind"]), (400, &json!("invalid_input")));
}

#[tokio::test]
async fn bad_json_big_bodies_and_unparseable_answers_get_their_statuses() {
    let lm: SharedLm = Arc::new(ScriptedLm::new(["no fields here at all"]).cycle());
    let running = start(qa_server(lm).max_body_bytes(64)).await;
    let url = format!("{}/qa", running.url);

    let (status, body) = post(&url, "{not json").await;
    assert_eq!((status, &body["kind"]), (400, &json!("invalid_json")));
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("key must be a string"),
        "{body}"
    );

    let big = json!({"question": "x".repeat(100)}).to_string();
    let (status, body) = post(&url, big).await;
    assert_eq!((status, &body["kind"]), (413, &json!("body_too_large")));

    let (status, body) = post(&url, json!({"question": "?"}).to_string()).await;
    assert_eq!(
        (status, &body["kind"]),
        (422, &json!("unparseable_output")),
        "{body}"
    );

    let (status, body) = post(&format!("{}/nope", running.url), "{}").await;
    assert_eq!((status, &body["kind"]), (404, &json!("not_found")));
}

#[tokio::test]
async fn failed_lm_calls_are_502_and_slow_programs_504() {
    let down: SharedLm = Arc::new(ScriptedLm::from_results([Err(LmError::config("down"))]));
    let running = start(qa_server(down)).await;
    let (status, body) = post(&format!("{}/qa", running.url), r#"{"question": "?"}"#).await;
    assert_eq!(
        (status, body),
        (502, json!({"error": "down", "kind": "lm_error"}))
    );

    let slow = Server::new()
        .request_timeout(Duration::from_millis(50))
        .typed("slow", |sum: Sum| async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, dspy::Error>(Total { total: sum.a })
        });
    let running = start(slow).await;
    let (status, body) = post(&format!("{}/slow", running.url), r#"{"a": 1, "b": 1}"#).await;
    assert_eq!((status, &body["kind"]), (504, &json!("timeout")));
}

/// An LM that says when a call started and answers only once let through.
#[derive(Debug)]
struct Gated {
    inner: ScriptedLm,
    entered: Arc<Notify>,
    gate: Arc<Semaphore>,
}

impl LanguageModel for Gated {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            self.entered.notify_one();
            let _permit = self.gate.acquire().await.expect("gate open");
            self.inner.call(request).await
        })
    }

    fn model(&self) -> &str {
        "gated"
    }
}

fn gated() -> (SharedLm, Arc<Notify>, Arc<Semaphore>) {
    let entered = Arc::new(Notify::new());
    let gate = Arc::new(Semaphore::new(0));
    let inner = ScriptedLm::new([chat_completion([("answer", "A"), ("confidence", "1")])]).cycle();
    let lm = Gated {
        inner,
        entered: Arc::clone(&entered),
        gate: Arc::clone(&gate),
    };
    (Arc::new(lm), entered, gate)
}

#[tokio::test]
async fn requests_over_the_concurrency_limit_get_503() {
    let (lm, entered, gate) = gated();
    let running = start(qa_server(lm).concurrency_limit(1)).await;
    let url = format!("{}/qa", running.url);
    let first = tokio::spawn({
        let url = url.clone();
        async move { post(&url, r#"{"question": "1"}"#).await }
    });
    entered.notified().await;
    let response = reqwest::Client::new()
        .post(&url)
        .body(r#"{"question": "2"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["kind"], "overloaded");

    gate.add_permits(1);
    assert_eq!(first.await.unwrap().0, 200);
    // The slot is free again.
    gate.add_permits(1);
    assert_eq!(post(&url, r#"{"question": "3"}"#).await.0, 200);
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_request_in_flight() {
    let (lm, entered, gate) = gated();
    let running = start(qa_server(lm)).await;
    let url = format!("{}/qa", running.url);
    let in_flight = tokio::spawn({
        let url = url.clone();
        async move { post(&url, r#"{"question": "1"}"#).await }
    });
    entered.notified().await;
    running.stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !running.task.is_finished(),
        "the server waits for the request"
    );
    gate.add_permits(1);
    let (status, body) = in_flight.await.unwrap();
    assert_eq!(
        (status, body),
        (200, json!({"answer": "A", "confidence": 1.0}))
    );
    tokio::time::timeout(Duration::from_secs(5), running.task)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
    assert!(
        reqwest::get(format!("{url}/schema")).await.is_err(),
        "no longer listening"
    );
}

#[test]
fn invalid_or_duplicate_names_are_refused() {
    let server = Server::new().predict(
        "a b",
        dspy::core::predict::Predict::parse("q -> a").unwrap(),
    );
    assert!(matches!(
        server.router(),
        Err(dspy_serve::ServeError::InvalidName(_))
    ));
    let p = || dspy::core::predict::Predict::parse("q -> a").unwrap();
    let server = Server::new().predict("x", p()).predict("/x", p());
    assert!(matches!(
        server.router(),
        Err(dspy_serve::ServeError::DuplicateName(_))
    ));
    let server = Server::new().predict("health", p());
    assert!(server.router().is_err());
}
