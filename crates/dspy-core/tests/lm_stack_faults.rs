//! Acceptance tests of the full LM client stack under injected faults.
//!
//! `OpenAiClient` → `LmBuilder` (retry with a bounded budget, concurrency limit, a per-attempt
//! timeout shorter than the mock's slow fault) → the test kit's `MockServer` on 127.0.0.1. A
//! tiny counting layer sits between the retry/timeout layers and the client, so every attempt
//! the stack makes is counted on the client side and checked against the server's own counter.
//!
//! Every test runs on tokio's paused clock (`start_paused`, one thread), so no outcome depends
//! on how fast the machine is. The paused clock moves only when the runtime has nothing to run
//! and no I/O event ready. The mock server runs on the test's own runtime and answers a healthy
//! request without waiting on anything outside it (loopback I/O is ready as soon as the other
//! side wrote it), so the clock stands still during a healthy attempt and the 300 ms attempt
//! timeout cannot cut one off, however loaded the machine. A slow fault waits on the mock's
//! clock thread (real time) for an hour; with nothing else to do, the runtime jumps its clock to
//! the attempt's deadline and the timeout layer fires. A timeout that never fired would leave
//! that attempt hanging, and the `NO_HANG` guard (on the paused clock too) would fail the test
//! at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dspy_core::adapters::Message;
use dspy_core::client::OpenAiClient;
use dspy_core::layer::retry::{RetryBudget, RetryPolicy};
use dspy_core::layer::{Layer, LmBuilder};
use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};
use dspy_testkit::{Fault, MockConfig, MockServer, Responder};
use futures_util::StreamExt;

/// Most attempts per call, the first included.
const MAX_ATTEMPTS: u32 = 4;
/// The per-attempt deadline of the timeout layer.
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(300);
/// The mock's slow fault, in real time: however long the runtime stays busy before its clock
/// jumps to an attempt's deadline, the slow answer cannot arrive first.
const SLOW: Duration = Duration::from_secs(3600);
/// Nothing in this file may take longer than this.
const NO_HANG: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// A counting layer: attempts per prompt, and how each attempt ended.

/// What the counting layer saw.
#[derive(Debug, Default)]
struct Attempts {
    started: AtomicU64,
    per_prompt: Mutex<HashMap<String, u32>>,
    /// Attempts that came back from the client, by outcome. Attempts cut off by the timeout
    /// layer never come back: `started - finished` of them.
    outcomes: Mutex<HashMap<&'static str, u64>>,
}

impl Attempts {
    fn started(&self) -> u64 {
        self.started.load(Ordering::SeqCst)
    }

    fn for_prompt(&self, prompt: &str) -> u32 {
        let map = self.per_prompt.lock().unwrap();
        map.get(prompt).copied().unwrap_or(0)
    }

    fn max_per_prompt(&self) -> u32 {
        let map = self.per_prompt.lock().unwrap();
        map.values().copied().max().unwrap_or(0)
    }

    fn outcome(&self, kind: &str) -> u64 {
        let map = self.outcomes.lock().unwrap();
        map.get(kind).copied().unwrap_or(0)
    }

    fn finished(&self) -> u64 {
        self.outcomes.lock().unwrap().values().sum()
    }
}

fn kind(result: &Result<LmResponse, LmError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(LmError::Server { .. }) => "server",
        Err(LmError::RateLimited { .. }) => "rate_limited",
        Err(LmError::Decode { .. }) => "decode",
        Err(LmError::Transport { .. }) => "transport",
        Err(LmError::Timeout(_)) => "client_timeout",
        Err(_) => "other",
    }
}

fn prompt_of(request: &LmRequest) -> String {
    request
        .messages
        .last()
        .map(|m| m.content.clone())
        .unwrap_or_default()
}

/// Counts every call (attempt) that reaches the wrapped client.
#[derive(Debug, Clone)]
struct CountAttempts(Arc<Attempts>);

#[derive(Debug)]
struct Counted {
    inner: SharedLm,
    attempts: Arc<Attempts>,
}

impl Layer<SharedLm> for CountAttempts {
    type Lm = Counted;

    fn layer(&self, inner: SharedLm) -> Counted {
        Counted {
            inner,
            attempts: Arc::clone(&self.0),
        }
    }
}

impl LanguageModel for Counted {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        self.attempts.started.fetch_add(1, Ordering::SeqCst);
        *self
            .attempts
            .per_prompt
            .lock()
            .unwrap()
            .entry(prompt_of(&request))
            .or_insert(0) += 1;
        Box::pin(async move {
            let result = self.inner.call(request).await;
            *self
                .attempts
                .outcomes
                .lock()
                .unwrap()
                .entry(kind(&result))
                .or_insert(0) += 1;
            result
        })
    }

    fn model(&self) -> &str {
        self.inner.model()
    }
}

// ---------------------------------------------------------------------------------------------
// The stack.

/// The mock's answer to `prompt`, from the responder below.
fn expected_answer(prompt: &str) -> String {
    format!("answer to <{prompt}>")
}

fn responder() -> Responder {
    Responder::new(|request| expected_answer(request.last_user_message().unwrap_or_default()))
}

fn ask(prompt: &str) -> LmRequest {
    LmRequest::new(vec![
        Message::system("Answer the question."),
        Message::user(prompt),
    ])
}

fn policy() -> RetryPolicy {
    RetryPolicy::new()
        .max_attempts(MAX_ATTEMPTS)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(4))
        .seed(7)
}

/// OpenAiClient → counting layer → timeout → concurrency limit → retry.
fn stack(server: &MockServer, policy: RetryPolicy, attempts: &Arc<Attempts>) -> SharedLm {
    let client = OpenAiClient::builder("gpt-4o-mini")
        .base_url(server.base_url())
        .api_key("sk-mock")
        // The client's own deadline is long: the timeout layer is the one that fires.
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    LmBuilder::new(client)
        .retry(policy)
        .concurrency_limit(32)
        .timeout(ATTEMPT_TIMEOUT)
        .layer(CountAttempts(Arc::clone(attempts)))
        .build()
}

async fn no_hang<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(NO_HANG, future)
        .await
        .expect("the stack hung")
}

// ---------------------------------------------------------------------------------------------
// 1,000 calls against 30 % faults of every kind.

#[tokio::test(start_paused = true)]
async fn a_thousand_calls_under_thirty_percent_faults() {
    const CALLS: usize = 1_000;
    const BUDGET: f64 = 1_000.0;
    let config = MockConfig::new()
        .responder(responder())
        .failure_rate(0.3)
        .faults([
            Fault::ServerError,
            Fault::RateLimited {
                retry_after_secs: 0,
            },
            Fault::Slow(SLOW),
            Fault::Truncated,
            Fault::DropConnection,
        ])
        .seed(2024);
    let server = MockServer::start(config).await.unwrap();
    let attempts = Arc::new(Attempts::default());
    let budget = RetryBudget::new(BUDGET);
    let lm = stack(&server, policy().budget(budget.clone()), &attempts);

    let started = std::time::Instant::now();
    let results: Vec<(String, Result<LmResponse, LmError>)> = no_hang(
        futures_util::stream::iter(0..CALLS)
            .map(|i| {
                let lm = lm.clone();
                // Spawned, so a panic anywhere in the stack fails the test through the JoinError.
                tokio::spawn(async move {
                    let prompt = format!("question {i}: what is {i} times 3?");
                    let result = lm.call(ask(&prompt)).await;
                    (prompt, result)
                })
            })
            .buffer_unordered(64)
            .map(|joined| joined.expect("a call panicked"))
            .collect(),
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(results.len(), CALLS);

    let (mut ok, mut exhausted) = (0u64, 0u64);
    for (prompt, result) in &results {
        let made = attempts.for_prompt(prompt);
        assert!(
            (1..=MAX_ATTEMPTS).contains(&made),
            "{prompt}: {made} attempts"
        );
        match result {
            Ok(response) => {
                ok += 1;
                assert_eq!(
                    response.first_text(),
                    Some(expected_answer(prompt).as_str())
                );
                assert!(!response.cached);
            }
            Err(LmError::RetriesExhausted { attempts: n, last }) => {
                exhausted += 1;
                assert_eq!(*n, MAX_ATTEMPTS, "{prompt}: budget ran out early");
                assert_eq!(made, MAX_ATTEMPTS, "{prompt}");
                assert!(last.is_retryable(), "{prompt}: {last}");
            }
            Err(other) => panic!("{prompt}: untyped failure {other:?}"),
        }
    }

    let server_requests = server.requests();
    let client_attempts = attempts.started();
    let timeouts = client_attempts - attempts.finished();
    eprintln!(
        "{CALLS} calls in {elapsed:?}: {ok} ok, {exhausted} exhausted; {client_attempts} attempts, \
         {server_requests} server requests, {} faults injected; per kind: 500 {}, 429 {}, \
         truncated {}, dropped {}, timed out {timeouts}",
        server.faults_injected(),
        attempts.outcome("server"),
        attempts.outcome("rate_limited"),
        attempts.outcome("decode"),
        attempts.outcome("transport"),
    );

    // Every attempt the stack made reached the server, and nothing else did.
    assert_eq!(server_requests, client_attempts);
    // Every failed attempt was an injected fault, every injected fault a failed attempt.
    assert_eq!(server.faults_injected(), client_attempts - ok);
    assert_eq!(attempts.outcome("ok"), ok);
    assert!(attempts.max_per_prompt() <= MAX_ATTEMPTS);
    // Each retry took one token from the shared budget.
    assert_eq!(
        budget.available(),
        BUDGET - (client_attempts - CALLS as u64) as f64
    );
    // Every fault kind happened, and each ended as its typed error.
    for kind in ["server", "rate_limited", "decode", "transport"] {
        assert!(attempts.outcome(kind) > 0, "no {kind} fault seen");
    }
    assert!(timeouts > 0, "no slow fault was cut off by the timeout");
    assert_eq!(attempts.outcome("client_timeout"), 0);
    assert_eq!(attempts.outcome("other"), 0);
    // ~0.3^4 of calls fail four times in a row.
    assert!(exhausted > 0 && exhausted < 50, "{exhausted} exhausted");
}

// ---------------------------------------------------------------------------------------------
// One fault kind at a time: exact upstream call counts with `fail_first(k, fault)`.

/// Runs one call against a fresh server failing its first `k` attempts with `fault`; returns the
/// result, the server's request count and the client's attempt count.
async fn fail_first(k: u32, fault: Fault) -> (Result<LmResponse, LmError>, u64, u64) {
    let config = MockConfig::new()
        .responder(responder())
        .fail_first(k, fault);
    let server = MockServer::start(config).await.unwrap();
    let attempts = Arc::new(Attempts::default());
    let lm = stack(&server, policy(), &attempts);
    let result = no_hang(lm.call(ask("what is 6 times 7?"))).await;
    (result, server.requests(), attempts.started())
}

/// Whether an error is the one expected.
type ErrorCheck = fn(&LmError) -> bool;

/// For `k` in `0..=MAX_ATTEMPTS + 1` (concurrently, each on its own server): `k + 1` upstream
/// calls and the right answer while `k < MAX_ATTEMPTS`, else `MAX_ATTEMPTS` calls and
/// `RetriesExhausted` whose last error `last_ok` accepts.
async fn check_fault(fault: Fault, last_ok: ErrorCheck) {
    let runs = futures_util::future::join_all((0..=MAX_ATTEMPTS + 1).map(|k| {
        let fault = fault.clone();
        async move { (k, fail_first(k, fault).await) }
    }))
    .await;
    for (k, (result, requests, attempts)) in runs {
        assert_eq!(requests, attempts, "{fault:?}, k = {k}");
        if k < MAX_ATTEMPTS {
            let response = result.unwrap_or_else(|e| panic!("{fault:?}, k = {k}: {e}"));
            assert_eq!(
                response.first_text(),
                Some(expected_answer("what is 6 times 7?").as_str())
            );
            assert_eq!(requests, u64::from(k) + 1, "{fault:?}, k = {k}");
        } else {
            match result {
                Err(LmError::RetriesExhausted { attempts, last }) => {
                    assert_eq!(attempts, MAX_ATTEMPTS, "{fault:?}, k = {k}");
                    assert!(last_ok(&last), "{fault:?}, k = {k}: last error {last:?}");
                }
                other => panic!("{fault:?}, k = {k}: expected RetriesExhausted, got {other:?}"),
            }
            assert_eq!(requests, u64::from(MAX_ATTEMPTS), "{fault:?}, k = {k}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn http_500_is_retried_until_the_attempts_run_out() {
    check_fault(Fault::ServerError, |e| {
        matches!(e, LmError::Server { status: 500, .. })
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn http_429_with_retry_after_is_retried_until_the_attempts_run_out() {
    check_fault(
        Fault::RateLimited {
            retry_after_secs: 0,
        },
        |e| {
            matches!(
                e,
                LmError::RateLimited {
                    retry_after: Some(d)
                } if d.is_zero()
            )
        },
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_answer_is_cut_off_by_the_timeout_and_retried() {
    check_fault(Fault::Slow(SLOW), |e| {
        *e == LmError::Timeout(ATTEMPT_TIMEOUT)
    })
    .await;
    // The cut-off came at the deadline, not before (paused time: exactly, whatever the load).
    let started = tokio::time::Instant::now();
    let (result, requests, attempts) = fail_first(1, Fault::Slow(SLOW)).await;
    result.unwrap();
    assert_eq!((requests, attempts), (2, 2));
    assert!(
        started.elapsed() >= ATTEMPT_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn truncated_json_is_retried_until_the_attempts_run_out() {
    check_fault(Fault::Truncated, |e| matches!(e, LmError::Decode { .. })).await;
}

#[tokio::test(start_paused = true)]
async fn a_dropped_connection_is_retried_until_the_attempts_run_out() {
    check_fault(Fault::DropConnection, |e| {
        matches!(e, LmError::Transport { .. })
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn http_503_is_retried_like_500() {
    check_fault(Fault::Status(503), |e| {
        matches!(e, LmError::Server { status: 503, .. })
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_over_the_backoff() {
    // The backoff alone would wait at most 4 ms; the server asks for 1 s. On the paused clock
    // the wait is exact, and only the retry layer's sleep can move it.
    let started = tokio::time::Instant::now();
    let (result, requests, attempts) = fail_first(
        1,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    )
    .await;
    result.unwrap();
    assert_eq!((requests, attempts), (2, 2));
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn non_retryable_errors_come_back_at_once() {
    let cases: [(Fault, ErrorCheck); 4] = [
        (Fault::Status(400), |e| {
            matches!(e, LmError::InvalidRequest { status: 400, .. })
        }),
        (Fault::Status(401), |e| {
            matches!(e, LmError::Auth { status: 401, .. })
        }),
        (Fault::Status(403), |e| {
            matches!(e, LmError::Auth { status: 403, .. })
        }),
        (Fault::ContextLength, |e| {
            matches!(e, LmError::ContextLength { .. })
        }),
    ];
    for (fault, expected) in cases {
        // Only the first attempt fails: a retry would have succeeded, so one upstream call
        // proves none was made.
        let (result, requests, attempts) = fail_first(1, fault.clone()).await;
        let error = result.expect_err("a non-retryable error was retried");
        assert!(expected(&error), "{fault:?}: {error:?}");
        assert!(!error.is_retryable());
        assert_eq!((requests, attempts), (1, 1), "{fault:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_shared_budget_caps_retries_during_an_outage() {
    // Every request fails; 20 calls may share 5 retries in total.
    let config = MockConfig::new()
        .failure_rate(1.0)
        .faults([Fault::ServerError]);
    let server = MockServer::start(config).await.unwrap();
    let attempts = Arc::new(Attempts::default());
    let budget = RetryBudget::new(5.0);
    let lm = stack(&server, policy().budget(budget.clone()), &attempts);
    let results = no_hang(futures_util::future::join_all(
        (0..20).map(|i| lm.call(ask(&format!("outage {i}")))),
    ))
    .await;
    for result in results {
        match result {
            Err(LmError::RetriesExhausted { attempts, last }) => {
                assert!((1..=MAX_ATTEMPTS).contains(&attempts));
                assert!(matches!(*last, LmError::Server { status: 500, .. }));
            }
            other => panic!("expected RetriesExhausted, got {other:?}"),
        }
    }
    assert_eq!(server.requests(), 20 + 5);
    assert_eq!(attempts.started(), 20 + 5);
    assert_eq!(budget.available(), 0.0);
}
