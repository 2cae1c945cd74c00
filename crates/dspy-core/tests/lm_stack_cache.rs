//! Acceptance tests of the response cache in the full client stack, counted at the server.
//!
//! `OpenAiClient` + `LmBuilder` (cache, retry) against the test kit's `MockServer` on
//! 127.0.0.1: a second identical run makes no upstream call — in the same process, and in
//! another process sharing the SQLite cache file (the test re-runs its own binary as the
//! first process) — while `rollout_id` and `CacheMode::Bypass` still reach the server.

use std::time::Duration;

use dspy_core::adapters::Message;
use dspy_core::client::OpenAiClient;
use dspy_core::layer::cache::{DiskCache, ResponseCache};
use dspy_core::layer::retry::RetryPolicy;
use dspy_core::layer::LmBuilder;
use dspy_core::lm::{CacheMode, LanguageModel, LmRequest, LmResponse, SharedLm};
use dspy_testkit::{Fault, MockConfig, MockServer, Responder};
use futures_util::StreamExt;

/// Nothing in this file may take longer than this.
const NO_HANG: Duration = Duration::from_secs(60);

fn expected_answer(prompt: &str) -> String {
    format!("answer to <{prompt}>")
}

fn server_config() -> MockConfig {
    MockConfig::new().responder(Responder::new(|request| {
        expected_answer(request.last_user_message().unwrap_or_default())
    }))
}

fn prompt(i: usize) -> String {
    format!("question {i}: what is {i} squared?")
}

fn ask(prompt: &str) -> LmRequest {
    LmRequest::new(vec![
        Message::system("Answer the question."),
        Message::user(prompt),
    ])
    .temperature(0.0)
}

/// OpenAiClient → retry → cache.
fn stack(base_url: &str, cache: ResponseCache) -> SharedLm {
    let client = OpenAiClient::builder("gpt-4o-mini")
        .base_url(base_url)
        .api_key("sk-mock")
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    LmBuilder::new(client)
        .retry(
            RetryPolicy::new()
                .max_attempts(4)
                .base_delay(Duration::from_millis(1)),
        )
        .cache(cache)
        .concurrency_limit(16)
        .build()
}

/// Sends the prompts `0..n` concurrently; returns the responses in prompt order.
async fn run(lm: &SharedLm, n: usize) -> Vec<LmResponse> {
    let calls = futures_util::stream::iter(0..n)
        .map(|i| {
            let lm = lm.clone();
            async move { lm.call(ask(&prompt(i))).await.unwrap() }
        })
        .buffered(32)
        .collect::<Vec<_>>();
    tokio::time::timeout(NO_HANG, calls)
        .await
        .expect("the stack hung")
}

fn assert_answers(responses: &[LmResponse], cached: bool) {
    for (i, response) in responses.iter().enumerate() {
        assert_eq!(
            response.first_text(),
            Some(expected_answer(&prompt(i)).as_str())
        );
        assert_eq!(response.cached, cached, "prompt {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_identical_run_makes_no_upstream_call() {
    const N: usize = 200;
    let server = MockServer::start(server_config()).await.unwrap();
    let lm = stack(&server.base_url(), ResponseCache::in_memory(1_000));

    assert_answers(&run(&lm, N).await, false);
    assert_eq!(server.requests(), N as u64);

    assert_answers(&run(&lm, N).await, true);
    assert_eq!(server.requests(), N as u64, "the second run went upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_are_retried_and_only_answers_are_cached() {
    const N: usize = 50;
    // Each distinct request fails once (HTTP 500), then goes through.
    let server = MockServer::start(server_config().fail_first(1, Fault::ServerError))
        .await
        .unwrap();
    let lm = stack(&server.base_url(), ResponseCache::in_memory(1_000));

    assert_answers(&run(&lm, N).await, false);
    assert_eq!(server.requests(), 2 * N as u64);

    assert_answers(&run(&lm, N).await, true);
    assert_eq!(server.requests(), 2 * N as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_id_and_bypass_make_fresh_upstream_calls() {
    let server = MockServer::start(server_config()).await.unwrap();
    let lm = stack(&server.base_url(), ResponseCache::in_memory(1_000));
    check_fresh_calls(&lm, &server, false).await;
}

/// Prompt 0 (already cached or not): rollout ids are new keys, bypass and refresh always go
/// upstream, and none of them disturbs the plain entry.
async fn check_fresh_calls(lm: &SharedLm, server: &MockServer, already_cached: bool) {
    let q = prompt(0);
    let expected = expected_answer(&q);
    let base = server.requests();
    let call = |request: LmRequest| async move { lm.call(request).await.unwrap() };

    let plain = call(ask(&q)).await;
    assert_eq!(plain.cached, already_cached);
    let base = base + u64::from(!already_cached);
    assert_eq!(server.requests(), base);

    // A new rollout id: a new key, one fresh call; the same id again is a hit.
    for (id, calls) in [(1, 1), (1, 1), (2, 2), (2, 2)] {
        let response = call(ask(&q).rollout_id(id)).await;
        assert_eq!(response.first_text(), Some(expected.as_str()));
        assert_eq!(server.requests(), base + calls, "rollout_id {id}");
    }

    // Bypass: every call goes upstream, and nothing is stored.
    for extra in 1..=2 {
        let response = call(ask(&q).cache(CacheMode::Bypass)).await;
        assert!(!response.cached);
        assert_eq!(response.first_text(), Some(expected.as_str()));
        assert_eq!(server.requests(), base + 2 + extra, "bypass {extra}");
    }

    // Refresh: goes upstream once, then the plain entry is a hit again.
    assert!(!call(ask(&q).cache(CacheMode::Refresh)).await.cached);
    assert_eq!(server.requests(), base + 5);
    assert!(call(ask(&q)).await.cached);
    assert_eq!(server.requests(), base + 5);
}

// ---------------------------------------------------------------------------------------------
// Two processes sharing the disk cache.

const CHILD_CACHE_ENV: &str = "DSPY_LM_STACK_CACHE_FILE";
const CHILD_URL_ENV: &str = "DSPY_LM_STACK_CACHE_BASE_URL";
const CROSS_PROCESS_N: usize = 100;
const CROSS_PROCESS_TEST: &str = "a_second_process_sharing_the_disk_cache_makes_no_upstream_call";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_sharing_the_disk_cache_makes_no_upstream_call() {
    if let (Ok(path), Ok(url)) = (std::env::var(CHILD_CACHE_ENV), std::env::var(CHILD_URL_ENV)) {
        // The child (the first process): an empty cache file, every answer from the server.
        let cache = ResponseCache::builder()
            .disk(DiskCache::try_open(&path).unwrap())
            .build();
        let lm = stack(&url, cache.clone());
        assert_answers(&run(&lm, CROSS_PROCESS_N).await, false);
        cache.flush();
        assert_eq!(cache.stats().misses, CROSS_PROCESS_N as u64);
        println!("child: {CROSS_PROCESS_N} answers stored in {path}");
        return;
    }

    let server = MockServer::start(server_config()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lm-cache.sqlite");

    let (exe, url, child_path) = (
        std::env::current_exe().unwrap(),
        server.base_url(),
        path.clone(),
    );
    // Blocking wait off the runtime's workers, so the server keeps answering the child.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args([
                CROSS_PROCESS_TEST,
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_CACHE_ENV, &child_path)
            .env(CHILD_URL_ENV, url)
            .output()
            .unwrap()
    });
    let output = tokio::time::timeout(NO_HANG, output)
        .await
        .expect("the child hung")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("1 passed") && stdout.contains("answers stored"),
        "the child ran no test:\n{stdout}"
    );
    assert_eq!(server.requests(), CROSS_PROCESS_N as u64);

    // This process, a fresh cache on the same file (empty memory level): all hits, from disk.
    let cache = ResponseCache::builder()
        .disk(DiskCache::try_open(&path).unwrap())
        .build();
    let lm = stack(&server.base_url(), cache.clone());
    assert_answers(&run(&lm, CROSS_PROCESS_N).await, true);
    assert_eq!(
        server.requests(),
        CROSS_PROCESS_N as u64,
        "the second process went upstream"
    );
    assert_eq!(cache.stats().disk_hits, CROSS_PROCESS_N as u64);

    check_fresh_calls(&lm, &server, true).await;
}
