//! Fault injection: each fault kind, the seeded failure fraction, and fail-first-k.

#![cfg(feature = "server")]

mod common;

use std::time::{Duration, Instant};

use common::{chat_body, post, raw_exchange, raw_post};
use dspy_testkit::{Fault, MockConfig, MockServer};
use serde_json::Value;

async fn always(fault: Fault) -> MockServer {
    MockServer::start(MockConfig::new().failure_rate(1.0).faults([fault]))
        .await
        .unwrap()
}

#[tokio::test]
async fn server_error() {
    let server = always(Fault::ServerError).await;
    let response = post(&server.chat_url(), &chat_body("x")).await;
    assert_eq!(response.status(), 500);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "server_error");
    assert_eq!(server.faults_injected(), 1);
}

#[tokio::test]
async fn rate_limited_with_retry_after() {
    let server = always(Fault::RateLimited {
        retry_after_secs: 7,
    })
    .await;
    let response = post(&server.chat_url(), &chat_body("x")).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
}

#[tokio::test]
async fn any_status_and_context_length() {
    for (code, kind) in [(503, "server_error"), (401, "invalid_request_error")] {
        let server = always(Fault::Status(code)).await;
        let response = post(&server.chat_url(), &chat_body("x")).await;
        assert_eq!(response.status(), code);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["type"], kind);
    }
    let server = always(Fault::ContextLength).await;
    let response = post(&server.chat_url(), &chat_body("x")).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "context_length_exceeded");
}

/// A slow answer trips a client's timeout; the retry of the same request is not slowed.
///
/// Nothing races the clock: the slow answer takes an hour, so the short-deadline client can only
/// give up (or hang, which the guard turns into a failure), and the retry gets a patient client
/// (20 s), which a slowed answer would time out and a prompt one never does, however loaded the
/// machine.
#[tokio::test]
async fn slow_answers_trip_client_timeouts() {
    let server =
        MockServer::start(MockConfig::new().fail_first(1, Fault::Slow(Duration::from_secs(3600))))
            .await
            .unwrap();
    let deadline = Duration::from_millis(300);
    let impatient = reqwest::Client::builder()
        .no_proxy()
        .timeout(deadline)
        .build()
        .unwrap();
    let started = Instant::now();
    let first = tokio::time::timeout(
        Duration::from_secs(60),
        impatient
            .post(server.chat_url())
            .json(&chat_body("x"))
            .send(),
    )
    .await
    .expect("the client's timeout never fired");
    assert!(first.unwrap_err().is_timeout());
    assert!(started.elapsed() >= deadline);
    // The retry of the same request is not slowed.
    let second = common::client()
        .post(server.chat_url())
        .json(&chat_body("x"))
        .send()
        .await;
    assert_eq!(second.unwrap().status(), 200);
    assert_eq!(server.requests(), 2);
}

/// Without a client timeout the slow answer still arrives, late but whole.
#[tokio::test]
async fn slow_answers_arrive_late_but_whole() {
    let slow = Duration::from_millis(300);
    let patient = always(Fault::Slow(slow)).await;
    let started = Instant::now();
    let response = post(&patient.chat_url(), &chat_body("late")).await;
    assert!(started.elapsed() >= slow);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "late");
}

#[tokio::test]
async fn truncated_bodies() {
    let server = always(Fault::Truncated).await;
    let response = post(&server.chat_url(), &chat_body("hello there")).await;
    assert_eq!(response.status(), 200);
    let length: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len(), length);
    assert!(bytes.starts_with(b"{\"id\":\"chatcmpl-mock-"));
    assert!(serde_json::from_slice::<Value>(&bytes).is_err());

    // Streams are cut too: no `[DONE]`.
    let mut body = chat_body("hello there");
    body["stream"] = true.into();
    let text = post(&server.chat_url(), &body).await.text().await.unwrap();
    assert!(text.starts_with("data: {"));
    assert!(!text.contains("[DONE]"));
}

#[tokio::test]
async fn dropped_connections() {
    let server = MockServer::start(MockConfig::new().fail_first(1, Fault::DropConnection))
        .await
        .unwrap();
    let body = chat_body("x").to_string();
    let first = raw_exchange(server.addr(), &raw_post(&body)).await.unwrap();
    assert!(first.is_empty(), "{}", String::from_utf8_lossy(&first));
    let second = raw_exchange(server.addr(), &raw_post(&body)).await.unwrap();
    assert!(second.starts_with(b"HTTP/1.1 200 OK"));

    let always_drop = always(Fault::DropConnection).await;
    let error = common::client()
        .post(always_drop.chat_url())
        .json(&chat_body("x"))
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_timeout() && error.status().is_none(), "{error}");
    assert_eq!(always_drop.faults_injected(), always_drop.requests());
}

/// Sends `count` requests one after another; returns each status (0 when none came back).
async fn statuses(server: &MockServer, count: usize) -> Vec<u16> {
    let client = common::client();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let response = client
            .post(server.chat_url())
            .json(&chat_body(&format!("q{i}")))
            .send()
            .await;
        out.push(response.map_or(0, |r| r.status().as_u16()));
    }
    out
}

#[tokio::test]
async fn failure_fraction_is_seeded() {
    let config = |seed| {
        MockConfig::new()
            .failure_rate(0.3)
            .faults([
                Fault::ServerError,
                Fault::RateLimited {
                    retry_after_secs: 1,
                },
            ])
            .seed(seed)
    };
    let n = 400;
    let a = MockServer::start(config(42)).await.unwrap();
    let first = statuses(&a, n).await;
    let failed = first.iter().filter(|s| **s != 200).count();
    assert!((80..=160).contains(&failed), "{failed} of {n} failed");
    assert_eq!(failed as u64, a.faults_injected());
    assert!(first.iter().all(|s| [200, 500, 429].contains(s)));
    assert!(first.contains(&500) && first.contains(&429));

    let b = MockServer::start(config(42)).await.unwrap();
    assert_eq!(statuses(&b, n).await, first, "same seed, same faults");
    let c = MockServer::start(config(43)).await.unwrap();
    assert_ne!(statuses(&c, n).await, first, "another seed, other faults");
}

#[tokio::test]
async fn fail_first_k_of_each_request() {
    let server = MockServer::start(MockConfig::new().fail_first(2, Fault::ServerError))
        .await
        .unwrap();
    let mut seen = Vec::new();
    for text in ["a", "a", "b", "a", "b", "b", "a"] {
        seen.push(
            post(&server.chat_url(), &chat_body(text))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(seen, [500, 500, 500, 200, 500, 200, 200]);
    assert_eq!(server.requests(), 7);
    assert_eq!(server.faults_injected(), 4);
}
