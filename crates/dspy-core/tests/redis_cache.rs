//! The Redis cache level against a real `redis-server`: two processes share it, so the second
//! run makes no upstream call; a server that is down costs misses, never a failed call; the
//! URL's password stays out of `Debug` and errors.
//!
//! Runs without the test harness: the same binary is the parent (starts the mock OpenAI server
//! and, unless `DSPY_RS_TEST_REDIS_URL` names one, its own `redis-server` on a free port) and,
//! with `DSPY_RS_REDIS_TEST_CHILD` set, each child run. Without a Redis server it prints
//! `SKIPPED` and passes, except under CI (`CI` set and not `false`/`0`), where it fails.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dspy_core::adapters::Message;
use dspy_core::client::ClientBuilder;
use dspy_core::layer::cache::{Cache, RedisCache, RedisCacheOptions, ResponseCache};
use dspy_core::lm::{LanguageModel, Lm, LmRequest};
use dspy_testkit::{MockConfig, MockServer, Responder};

const CHILD: &str = "DSPY_RS_REDIS_TEST_CHILD";
const QUESTIONS: u64 = 5;

fn main() {
    // Several threads: the parent blocks on each child while the mock server answers it.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if std::env::var_os(CHILD).is_some() {
        runtime.block_on(child());
        return;
    }
    let Some(redis) = RedisServer::find_or_start() else {
        let why = "no Redis server: install redis-server (Debian: apt-get install redis-server) or set DSPY_RS_TEST_REDIS_URL";
        // `CI` set and not empty, `false` or `0`, as for the local-model tests.
        let ci = std::env::var("CI").is_ok_and(|v| {
            let v = v.trim();
            !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false"))
        });
        if ci {
            panic!("redis_cache: {why}; under CI this test must run");
        }
        println!("SKIPPED redis_cache: {why}");
        return;
    };
    runtime.block_on(two_processes_share_the_cache(&redis.url));
    println!("test two_processes_share_the_cache ... ok");
    runtime.block_on(a_server_that_is_down_costs_misses_not_calls());
    println!("test a_server_that_is_down_costs_misses_not_calls ... ok");
    secrets_stay_out_of_debug_and_errors();
    println!("test secrets_stay_out_of_debug_and_errors ... ok");
    println!("test result: ok. 3 passed");
}

/// One child process: `Lm::new` (Redis from `$DSPY_RS_REDIS_URL`, its own empty disk cache)
/// asks every question once and prints what its cache did.
async fn child() {
    let nonce = std::env::var("NONCE").unwrap();
    let lm = Lm::new("openai/test-model").unwrap();
    let mut answers = Vec::new();
    for i in 0..QUESTIONS {
        let request = LmRequest::new(vec![Message::user(format!("question {i} of run {nonce}"))]);
        answers.push(
            lm.call(request)
                .await
                .unwrap()
                .first_text()
                .unwrap()
                .to_string(),
        );
    }
    let stats = lm.response_cache().unwrap().stats();
    println!("answers: {}", answers.join("|"));
    println!(
        "stats: redis_hits={} disk_hits={} misses={} redis_errors={}",
        stats.redis_hits, stats.disk_hits, stats.misses, stats.redis_errors
    );
}

async fn two_processes_share_the_cache(redis_url: &str) {
    let server = MockServer::start(MockConfig::new().responder(Responder::new(|r| {
        format!("answer to {}", r.last_user_message().unwrap_or(""))
    })))
    .await
    .unwrap();
    let nonce = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let run = || {
        // Each run has its own empty disk cache: only Redis can answer from the first run.
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new(std::env::current_exe().unwrap())
            .env(CHILD, "1")
            .env("NONCE", &nonce)
            .env("DSPY_RS_REDIS_URL", redis_url)
            .env("DSPY_RS_CACHEDIR", dir.path())
            .env("OPENAI_BASE_URL", server.base_url())
            .env("OPENAI_API_KEY", "sk-test")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let first = run();
    assert_eq!(server.requests(), QUESTIONS, "first run: {first}");
    assert!(first.contains("redis_hits=0 "), "{first}");
    assert!(first.contains(&format!("misses={QUESTIONS} ")), "{first}");

    let second = run();
    assert_eq!(
        server.requests(),
        QUESTIONS,
        "the second process made upstream calls: {second}"
    );
    assert!(
        second.contains(&format!(
            "redis_hits={QUESTIONS} disk_hits=0 misses=0 redis_errors=0"
        )),
        "{second}"
    );
    let answers = |out: &str| out.lines().next().unwrap().to_string();
    assert_eq!(answers(&first), answers(&second));
    assert!(
        first.contains(&format!("answer to question 0 of run {nonce}")),
        "{first}"
    );
}

async fn a_server_that_is_down_costs_misses_not_calls() {
    let port = free_port();
    let options = RedisCacheOptions {
        timeout: Duration::from_millis(500),
        ..RedisCacheOptions::default()
    };
    let redis = RedisCache::with_options(&format!("redis://127.0.0.1:{port}/0"), options).unwrap();
    let cache = ResponseCache::builder().redis(redis).build();
    let server = MockServer::start(MockConfig::new().responder(Responder::fixed("ok")))
        .await
        .unwrap();
    let client = ClientBuilder::new("openai/test-model")
        .base_url(server.base_url())
        .api_key("sk-test")
        .build()
        .unwrap();
    let lm = Cache::new(client, cache.clone());
    for i in 0..3 {
        let request = LmRequest::new(vec![Message::user(format!("q{i}"))]);
        assert_eq!(lm.call(request).await.unwrap().first_text(), Some("ok"));
    }
    let stats = cache.stats();
    assert_eq!(stats.misses, 3);
    assert!(stats.redis_errors >= 1, "{stats:?}");
    assert_eq!(server.requests(), 3);
}

fn secrets_stay_out_of_debug_and_errors() {
    let redis = RedisCache::open("redis://:hunter2@127.0.0.1:6379/3").unwrap();
    let debug = format!("{redis:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("127.0.0.1:6379/3"), "{debug}");
    let error = RedisCache::open("redis://:hunter2@[::1/")
        .unwrap_err()
        .to_string();
    assert!(!error.contains("hunter2"), "{error}");
    assert!(error.contains("invalid Redis URL"), "{error}");
    let error = Lm::builder("openai/test-model")
        .api_key("sk-test")
        .redis_cache("notredis://:hunter2@host")
        .build()
        .unwrap_err()
        .to_string();
    assert!(!error.contains("hunter2"), "{error}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The Redis server the test uses: `$DSPY_RS_TEST_REDIS_URL`, or a `redis-server` started
/// here (killed on drop).
struct RedisServer {
    url: String,
    child: Option<Child>,
}

impl RedisServer {
    fn find_or_start() -> Option<RedisServer> {
        if let Ok(url) = std::env::var("DSPY_RS_TEST_REDIS_URL") {
            return Some(RedisServer { url, child: None });
        }
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = RedisServer {
            url: format!("redis://127.0.0.1:{port}/0"),
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on port {port} within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
