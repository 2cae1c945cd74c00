//! `Fleet` over real HTTP clients on several 127.0.0.1 servers.

mod http_server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use dspy_core::adapters::Message;
use dspy_core::client::{ClientBuilder, Fleet, OpenAiClient};
use dspy_core::lm::{LanguageModel, LmError, LmRequest, SharedLm};
use http_server::{chat_answer, closed_port_url, Reply, Server};
use serde_json::json;

fn openai(base: String) -> SharedLm {
    Arc::new(OpenAiClient::builder("m").base_url(base).build().unwrap())
}

fn hi() -> LmRequest {
    LmRequest::new(vec![Message::user("hi")])
}

#[tokio::test]
async fn spreads_requests_round_robin() {
    let a = Server::json(200, chat_answer("a")).await;
    let b = Server::json(200, chat_answer("b")).await;
    let c = Server::json(200, chat_answer("c")).await;
    let fleet = Fleet::new(vec![openai(a.base()), openai(b.base()), openai(c.base())]).unwrap();
    let mut answers = Vec::new();
    for _ in 0..9 {
        answers.push(
            fleet
                .call(hi())
                .await
                .unwrap()
                .first_text()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(answers, ["a", "b", "c", "a", "b", "c", "a", "b", "c"]);
    assert_eq!(
        (a.requests().len(), b.requests().len(), c.requests().len()),
        (3, 3, 3)
    );
}

#[tokio::test]
async fn fails_over_and_skips_the_sick_endpoint() {
    let sick = Server::json(503, json!({"error": {"message": "warming up"}})).await;
    let well = Server::json(200, chat_answer("ok")).await;
    let fleet = Fleet::new(vec![openai(sick.base()), openai(well.base())])
        .unwrap()
        .cooldown(Duration::from_secs(60));
    for _ in 0..6 {
        assert_eq!(fleet.call(hi()).await.unwrap().first_text(), Some("ok"));
    }
    assert_eq!(sick.requests().len(), 1, "tried once, then cooling down");
    assert_eq!(well.requests().len(), 6);
    assert!(!fleet.is_healthy(0));
    assert!(fleet.is_healthy(1));
}

/// A dead endpoint is skipped for its cool-down, then tried again.
///
/// `Fleet` measures cool-downs on the real clock, so instead of racing it the test brackets the
/// moment the endpoint was marked down: after `before`, and before the call returned. Up to
/// `before + cooldown` it must be unhealthy; from `after + cooldown` on, healthy again. When the
/// machine is so slow that the first check could not be made before `before + cooldown`, the
/// round proves nothing and is run again with a longer cool-down.
#[tokio::test]
async fn dead_endpoint_and_recovery() {
    let well = Server::json(200, chat_answer("ok")).await;
    let dead = closed_port_url().await;
    for cooldown in [250, 1_000, 4_000, 16_000].map(Duration::from_millis) {
        let fleet = Fleet::new(vec![openai(dead.clone()), openai(well.base())])
            .unwrap()
            .cooldown(cooldown);
        let before = Instant::now();
        assert_eq!(fleet.call(hi()).await.unwrap().first_text(), Some("ok"));
        let healthy = fleet.is_healthy(0);
        let after = Instant::now();
        if after >= before + cooldown {
            continue; // too slow to tell: the cool-down may really be over
        }
        assert!(!healthy, "cooling down");
        tokio::time::sleep_until((after + cooldown).into()).await;
        assert!(fleet.is_healthy(0), "cool-down over");
        return;
    }
    panic!("every call took longer than its cool-down");
}

#[tokio::test]
async fn all_down_returns_the_last_error_and_client_errors_stop_at_once() {
    let a = Server::json(500, json!({"error": {"message": "a broke"}})).await;
    let b = Server::json(500, json!({"error": {"message": "b broke"}})).await;
    let fleet = Fleet::new(vec![openai(a.base()), openai(b.base())]).unwrap();
    let err = fleet.call(hi()).await.unwrap_err();
    assert!(
        matches!(err, LmError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(a.requests().len() + b.requests().len(), 2);

    let bad = Server::json(400, json!({"error": {"message": "bad"}})).await;
    let good = Server::json(200, chat_answer("ok")).await;
    let fleet = Fleet::new(vec![openai(bad.base()), openai(good.base())]).unwrap();
    let err = fleet.call(hi()).await.unwrap_err();
    assert!(matches!(err, LmError::InvalidRequest { .. }), "{err:?}");
    assert_eq!(good.requests().len(), 0);
}

#[tokio::test]
async fn builder_with_several_base_urls() {
    let a = Server::start(|_, _| Reply::Json(200, chat_answer("a"))).await;
    let b = Server::start(|_, _| Reply::Json(200, chat_answer("b"))).await;
    let lm = ClientBuilder::new("hosted_vllm/meta-llama/Llama-3.1-8B-Instruct")
        .base_urls([a.base(), b.base()])
        .build()
        .unwrap();
    assert_eq!(lm.model(), "hosted_vllm/meta-llama/Llama-3.1-8B-Instruct");
    lm.call(hi()).await.unwrap();
    lm.call(hi()).await.unwrap();
    assert_eq!((a.requests().len(), b.requests().len()), (1, 1));
    assert_eq!(a.last().json()["model"], "meta-llama/Llama-3.1-8B-Instruct");
}
