//! Retry layer: attempt counts, backoff, Retry-After, non-retryable errors, shared budget.

mod layer_support;

use std::time::Duration;

use dspy_core::layer::retry::{Jitter, Retry, RetryBudget, RetryPolicy};
use dspy_core::lm::{LanguageModel, LmError};
use tokio::time::Instant;

use layer_support::{ask, ok, server_error, FakeLm};

fn quick() -> RetryPolicy {
    RetryPolicy::new()
        .base_delay(Duration::from_millis(1))
        .seed(1)
}

#[tokio::test(start_paused = true)]
async fn stops_at_max_attempts_with_exact_count() {
    let fake = FakeLm::new().always_failing(server_error(), 100).shared();
    let lm = Retry::new(fake.clone(), quick().max_attempts(5));
    let error = lm.call(ask("q")).await.unwrap_err();
    assert_eq!(
        error,
        LmError::RetriesExhausted {
            attempts: 5,
            last: Box::new(server_error())
        }
    );
    assert_eq!(fake.calls(), 5);
}

#[tokio::test(start_paused = true)]
async fn default_policy_is_three_retries_like_dspy() {
    let fake = FakeLm::new().always_failing(server_error(), 100).shared();
    let lm = Retry::new(fake.clone(), RetryPolicy::default().seed(3));
    let error = lm.call(ask("q")).await.unwrap_err();
    assert!(matches!(
        error,
        LmError::RetriesExhausted { attempts: 4, .. }
    ));
    assert_eq!(fake.calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn succeeds_after_transient_failures() {
    let fake = FakeLm::new()
        .script(vec![
            Err(server_error()),
            Err(LmError::Timeout(Duration::from_secs(1))),
            ok("fine"),
        ])
        .shared();
    let lm = Retry::new(fake.clone(), quick());
    let response = lm.call(ask("q")).await.unwrap();
    assert_eq!(response.first_text(), Some("fine"));
    assert_eq!(fake.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn non_retryable_errors_are_returned_at_once_unchanged() {
    let auth = LmError::Auth {
        status: 401,
        message: "bad key".into(),
    };
    for error in [
        auth,
        LmError::ContextLength {
            message: "too long".into(),
        },
        LmError::InvalidRequest {
            status: 400,
            message: "nope".into(),
        },
    ] {
        let fake = FakeLm::new().always_failing(error.clone(), 10).shared();
        let lm = Retry::new(fake.clone(), quick().max_attempts(10));
        let start = Instant::now();
        assert_eq!(lm.call(ask("q")).await.unwrap_err(), error);
        assert_eq!(fake.calls(), 1);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}

#[tokio::test(start_paused = true)]
async fn a_later_non_retryable_error_ends_the_retries() {
    let auth = LmError::Auth {
        status: 403,
        message: "revoked".into(),
    };
    let fake = FakeLm::new()
        .script(vec![Err(server_error()), Err(auth.clone())])
        .shared();
    let lm = Retry::new(fake.clone(), quick().max_attempts(10));
    assert_eq!(lm.call(ask("q")).await.unwrap_err(), auth);
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured() {
    let fake = FakeLm::new()
        .script(vec![
            Err(LmError::RateLimited {
                retry_after: Some(Duration::from_secs(7)),
            }),
            Err(LmError::Server {
                status: 502,
                message: "bad gateway".into(),
                retry_after: Some(Duration::from_millis(1500)),
            }),
            ok("done"),
        ])
        .shared();
    // Base delay of an hour: only the provider's Retry-After can explain a short wait.
    let lm = Retry::new(fake.clone(), quick().base_delay(Duration::from_secs(3600)));
    let start = Instant::now();
    assert_eq!(lm.call(ask("q")).await.unwrap().first_text(), Some("done"));
    assert_eq!(start.elapsed(), Duration::from_millis(8500));
    assert_eq!(fake.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn exponential_backoff_without_jitter_waits_1_2_4_seconds() {
    let fake = FakeLm::new().always_failing(server_error(), 100).shared();
    let lm = Retry::new(fake.clone(), RetryPolicy::new().jitter(Jitter::None));
    let start = Instant::now();
    let _ = lm.call(ask("q")).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(1 + 2 + 4));
}

#[tokio::test(start_paused = true)]
async fn full_jitter_waits_less_than_the_exponential_delay_and_repeats_with_a_seed() {
    async fn total_wait(seed: u64) -> Duration {
        let fake = FakeLm::new().always_failing(server_error(), 100).shared();
        let lm = Retry::new(fake, RetryPolicy::new().max_attempts(6).seed(seed));
        let start = Instant::now();
        let _ = lm.call(ask("q")).await;
        start.elapsed()
    }
    let a = total_wait(11).await;
    assert!(a < Duration::from_secs(1 + 2 + 4 + 8 + 16), "{a:?}");
    assert_eq!(a, total_wait(11).await);
    assert_ne!(a, total_wait(12).await);
}

#[tokio::test(start_paused = true)]
async fn one_attempt_returns_the_error_unwrapped() {
    let fake = FakeLm::new().always_failing(server_error(), 10).shared();
    let lm = Retry::new(fake.clone(), RetryPolicy::never());
    assert_eq!(lm.call(ask("q")).await.unwrap_err(), server_error());
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_shared_budget_caps_retries_across_calls() {
    let fake = FakeLm::new().always_failing(server_error(), 100).shared();
    let budget = RetryBudget::new(2.0);
    let lm = Retry::new(
        fake.clone(),
        quick().max_attempts(10).budget(budget.clone()),
    );

    let first = lm.call(ask("a")).await.unwrap_err();
    assert!(
        matches!(first, LmError::RetriesExhausted { attempts: 3, .. }),
        "{first:?}"
    );
    let second = lm.call(ask("b")).await.unwrap_err();
    assert!(
        matches!(second, LmError::RetriesExhausted { attempts: 1, .. }),
        "{second:?}"
    );
    assert_eq!(fake.calls(), 4);
    assert!(budget.available() < 1.0);
}

#[tokio::test(start_paused = true)]
async fn the_budget_refills_over_time_and_with_deposits() {
    let budget = RetryBudget::new(1.0).refill_per_second(0.5);
    let fake = FakeLm::new().always_failing(server_error(), 100).shared();
    let lm = Retry::new(fake.clone(), quick().max_attempts(2).budget(budget.clone()));
    assert!(matches!(
        lm.call(ask("a")).await,
        Err(LmError::RetriesExhausted { attempts: 2, .. })
    ));
    assert!(matches!(
        lm.call(ask("b")).await,
        Err(LmError::RetriesExhausted { attempts: 1, .. })
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(matches!(
        lm.call(ask("c")).await,
        Err(LmError::RetriesExhausted { attempts: 2, .. })
    ));

    let deposits = RetryBudget::new(1.0).deposit_per_call(0.5);
    assert_eq!(deposits.available(), 1.0);
    let fake = FakeLm::new().always_failing(server_error(), 1).shared();
    let lm = Retry::new(fake, quick().budget(deposits.clone()));
    lm.call(ask("d")).await.unwrap(); // one retry (-1), one deposit (+0.5, capped at 1)
    assert_eq!(deposits.available(), 0.0);
}

#[tokio::test(start_paused = true)]
async fn dropping_a_call_while_it_waits_to_retry_stops_it() {
    let fake = FakeLm::new().always_failing(server_error(), 100).shared();
    let lm = std::sync::Arc::new(Retry::new(
        fake.clone(),
        RetryPolicy::new().jitter(Jitter::None).max_attempts(10),
    ));
    let task = tokio::spawn({
        let lm = lm.clone();
        async move { lm.call(ask("q")).await }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await; // first retry at 1 s, next at 3 s
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(fake.calls(), 2);
    assert_eq!(fake.in_flight(), 0);
}

fn rate_limited(secs: u64) -> LmError {
    LmError::RateLimited {
        retry_after: Some(Duration::from_secs(secs)),
    }
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_above_the_cap_falls_back_to_our_backoff() {
    // Seen: a 429 with `Retry-After: 3600` kept a call waiting although max_delay was 200 ms.
    let fake = FakeLm::new()
        .script(vec![Err(rate_limited(3600)), ok("done")])
        .shared();
    let policy = RetryPolicy::new()
        .max_delay(Duration::from_millis(200))
        .jitter(Jitter::None);
    assert_eq!(policy.get_retry_after_cap(), Duration::from_secs(60));
    let lm = Retry::new(fake.clone(), policy);
    let start = Instant::now();
    assert_eq!(lm.call(ask("q")).await.unwrap().first_text(), Some("done"));
    assert_eq!(start.elapsed(), Duration::from_millis(200));
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_retry_after_cap_is_60_seconds_by_default_and_configurable() {
    async fn waited(ask_secs: u64, policy: RetryPolicy) -> Duration {
        let fake = FakeLm::new()
            .script(vec![Err(rate_limited(ask_secs))])
            .shared();
        let lm = Retry::new(fake, policy.jitter(Jitter::None));
        let start = Instant::now();
        lm.call(ask("q")).await.unwrap();
        start.elapsed()
    }
    let backoff = RetryPolicy::new().base_delay(Duration::from_millis(5));
    // At the cap: honoured; above it: the 5 ms backoff.
    assert_eq!(waited(60, backoff.clone()).await, Duration::from_secs(60));
    assert_eq!(waited(61, backoff.clone()).await, Duration::from_millis(5));
    let long = backoff.clone().retry_after_cap(Duration::from_secs(7200));
    assert_eq!(waited(3600, long).await, Duration::from_secs(3600));
    let never = backoff.retry_after_cap(Duration::ZERO);
    assert_eq!(waited(1, never.clone()).await, Duration::from_millis(5));
    assert_eq!(waited(0, never).await, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_deadline_stops_retries_whose_wait_would_end_past_it() {
    let fake = FakeLm::new().always_failing(server_error(), 100).shared();
    let deadline = Duration::from_secs(5);
    let policy = RetryPolicy::new()
        .max_attempts(10)
        .jitter(Jitter::None)
        .deadline(deadline);
    assert_eq!(policy.get_deadline(), Some(deadline));
    let lm = Retry::new(fake.clone(), policy);
    let start = Instant::now();
    let error = lm.call(ask("q")).await.unwrap_err();
    // Waits of 1 s and 2 s fit; the next one (4 s, ending at 7 s) would not.
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(fake.calls(), 3);
    assert_eq!(
        error,
        LmError::RetryDeadline {
            attempts: 3,
            deadline,
            last: Box::new(server_error()),
        }
    );
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(text.contains("deadline of 5s was reached"), "{text}");
    assert!(text.contains("RetryPolicy::deadline"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_deadline_also_bounds_a_provider_s_retry_after() {
    let fake = FakeLm::new()
        .script(vec![Err(rate_limited(30)), ok("late")])
        .shared();
    let lm = Retry::new(fake.clone(), quick().deadline(Duration::from_secs(10)));
    let start = Instant::now();
    let error = lm.call(ask("q")).await.unwrap_err();
    assert!(
        matches!(error, LmError::RetryDeadline { attempts: 1, .. }),
        "{error:?}"
    );
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn enormous_waits_neither_overflow_nor_hang() {
    // A Retry-After of Duration::MAX, honoured by an unbounded cap, against a deadline: the
    // deadline check must not overflow `elapsed + wait` (the attempt takes 10 ms).
    let huge = LmError::RateLimited {
        retry_after: Some(Duration::MAX),
    };
    let fake = FakeLm::new()
        .delay(Duration::from_millis(10))
        .script(vec![Err(huge.clone())])
        .shared();
    let policy = quick()
        .retry_after_cap(Duration::MAX)
        .deadline(Duration::from_secs(1));
    let lm = Retry::new(fake.clone(), policy);
    let error = lm.call(ask("q")).await.unwrap_err();
    assert!(
        matches!(error, LmError::RetryDeadline { attempts: 1, ref last, .. } if **last == huge),
        "{error:?}"
    );
    // With the default cap the same ask just gets the backoff.
    let fake = FakeLm::new().script(vec![Err(huge)]).shared();
    let lm = Retry::new(fake.clone(), quick().jitter(Jitter::None));
    let start = Instant::now();
    lm.call(ask("q")).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(1));
}

#[tokio::test(start_paused = true)]
async fn a_deadline_does_not_spend_the_retry_budget() {
    let budget = RetryBudget::new(5.0);
    let fake = FakeLm::new().always_failing(server_error(), 10).shared();
    let policy = RetryPolicy::new()
        .jitter(Jitter::None)
        .budget(budget.clone())
        .deadline(Duration::from_millis(500));
    let lm = Retry::new(fake.clone(), policy);
    let error = lm.call(ask("q")).await.unwrap_err();
    assert!(
        matches!(error, LmError::RetryDeadline { attempts: 1, .. }),
        "{error:?}"
    );
    assert_eq!(budget.available(), 5.0);
}
