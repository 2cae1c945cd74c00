//! `Lm::new` has DSPy's defaults: a repeated call is answered from the cache, a 503 is
//! retried, `cache(false)` (per LM) and `CacheMode::Bypass` (per call) reach the server every
//! time, and usage is tracked; all against the mock OpenAI server.

use std::time::Duration;

use dspy_core::adapters::Message;
use dspy_core::layer::retry::RetryPolicy;
use dspy_core::lm::{CacheMode, LanguageModel, Lm, LmOptions, LmRequest};
use dspy_testkit::{Fault, MockConfig, MockServer, Responder};

fn question(text: &str) -> LmRequest {
    LmRequest::new(vec![Message::user(text)])
}

/// DSPy's defaults, with the disk cache in a temporary file and short retry waits.
fn options(server: &MockServer, dir: &tempfile::TempDir) -> LmOptions {
    Lm::builder("openai/test-model")
        .base_url(server.base_url())
        .api_key("sk-test")
        .disk_cache_path(dir.path().join("cache.sqlite"))
        .retry_policy(
            RetryPolicy::num_retries(3)
                .base_delay(Duration::from_millis(5))
                .max_delay(Duration::from_millis(20)),
        )
}

#[tokio::test]
async fn a_repeated_call_is_a_cache_hit() {
    let server = MockServer::start(MockConfig::new().responder(Responder::fixed("Paris")))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lm = options(&server, &dir).build().unwrap();
    let first = lm.call(question("Capital of France?")).await.unwrap();
    let second = lm.call(question("Capital of France?")).await.unwrap();
    assert_eq!(first.first_text(), Some("Paris"));
    assert_eq!(second.first_text(), Some("Paris"));
    assert!(second.cached);
    assert_eq!(server.requests(), 1, "the second call came from the cache");
    assert_eq!(lm.response_cache().expect("cache on").stats().hits(), 1);

    // A new Lm over the same disk file answers from disk.
    lm.response_cache().unwrap().flush();
    let again = options(&server, &dir).build().unwrap();
    assert!(
        again
            .call(question("Capital of France?"))
            .await
            .unwrap()
            .cached
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_503_is_retried() {
    let config = MockConfig::new()
        .responder(Responder::fixed("ok"))
        .fail_first(1, Fault::Status(503));
    let server = MockServer::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lm = options(&server, &dir).build().unwrap();
    let answer = lm.call(question("hi")).await.unwrap();
    assert_eq!(answer.first_text(), Some("ok"));
    assert_eq!(server.requests(), 2, "one failure, one retry");
    assert_eq!(lm.usage().snapshot().total().calls, 1);
}

#[tokio::test]
async fn without_cache_every_call_reaches_the_server() {
    let server = MockServer::start(MockConfig::new().responder(Responder::fixed("x")))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let uncached = options(&server, &dir).cache(false).build().unwrap();
    assert!(uncached.response_cache().is_none());
    for _ in 0..3 {
        uncached.call(question("same")).await.unwrap();
    }
    assert_eq!(server.requests(), 3);

    let cached = options(&server, &dir).build().unwrap();
    for _ in 0..2 {
        let request = question("per call").cache(CacheMode::Bypass);
        assert!(!cached.call(request).await.unwrap().cached);
    }
    assert_eq!(server.requests(), 5, "a bypassing call skips the cache");
}

#[tokio::test]
async fn set_defaults_fill_calls_that_set_none() {
    let server = MockServer::start(
        MockConfig::new()
            .responder(Responder::fixed("x"))
            .record_requests(true),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lm = options(&server, &dir)
        .temperature(0.7)
        .max_tokens(99)
        .build()
        .unwrap();
    lm.call(question("a")).await.unwrap();
    lm.call(question("b").temperature(0.1)).await.unwrap();
    let bodies: Vec<serde_json::Value> =
        server.recorded().iter().filter_map(|r| r.json()).collect();
    assert_eq!(bodies[0]["temperature"], 0.7);
    assert_eq!(bodies[0]["max_tokens"], 99);
    assert_eq!(bodies[1]["temperature"], 0.1);

    let bare = Lm::builder("openai/test-model")
        .base_url(server.base_url())
        .api_key("sk-test")
        .no_disk_cache()
        .build()
        .unwrap();
    bare.call(question("c")).await.unwrap();
    let last = server.recorded().last().and_then(|r| r.json()).unwrap();
    assert!(
        last.get("temperature").is_none(),
        "DSPy leaves it to the provider: {last}"
    );
    assert!(!format!("{bare:?}").contains("sk-test"));
}

#[test]
fn a_missing_key_names_the_variable() {
    if std::env::var_os("OPENAI_API_KEY").is_some() {
        return;
    }
    let err = Lm::new("openai/gpt-4o-mini").unwrap_err();
    assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
}

#[tokio::test]
async fn default_settings_are_part_of_the_cache_key() {
    let server = MockServer::start(MockConfig::new().responder(Responder::fixed("Paris")))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cold = options(&server, &dir).temperature(0.0).build().unwrap();
    assert!(!cold.call(question("Capital?")).await.unwrap().cached);
    cold.response_cache().unwrap().flush();
    // Another default temperature over the same disk cache is another request.
    let warm = options(&server, &dir).temperature(0.7).build().unwrap();
    assert!(!warm.call(question("Capital?")).await.unwrap().cached);
    assert_eq!(server.requests(), 2);
    // Disk writes happen in the background: wait for them before the next Lm reads.
    warm.response_cache().unwrap().flush();
    // The same one is a hit.
    let again = options(&server, &dir).temperature(0.7).build().unwrap();
    again.call(question("Capital?")).await.unwrap();
    assert_eq!(server.requests(), 2);
}
