//! Concurrency and rate limits, and the timeout layer.

mod layer_support;

use std::sync::Arc;
use std::time::Duration;

use dspy_core::layer::limit::{
    ConcurrencyLimit, ConcurrencyLimitLayer, RateLimit, RateLimitPolicy,
};
use dspy_core::layer::retry::{Jitter, Retry, RetryPolicy};
use dspy_core::layer::timeout::Timeout;
use dspy_core::layer::Layer;
use dspy_core::lm::{LanguageModel, LmError, LmResponse, Usage};
use tokio::task::JoinSet;
use tokio::time::Instant;

use layer_support::{ask, ask_slow, FakeLm};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_limit_is_never_exceeded() {
    let fake = FakeLm::new().delay(Duration::from_millis(5)).shared();
    let lm = Arc::new(ConcurrencyLimit::new(fake.clone(), 4));
    let mut tasks = JoinSet::new();
    for i in 0..64 {
        let lm = lm.clone();
        tasks.spawn(async move { lm.call(ask(&i.to_string())).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(fake.calls(), 64);
    assert_eq!(fake.max_in_flight(), 4);
    assert_eq!(lm.available(), 4);
}

#[tokio::test(start_paused = true)]
async fn dropped_calls_give_their_permits_back() {
    let fake = FakeLm::new().shared();
    let lm = Arc::new(ConcurrencyLimit::new(fake.clone(), 2));
    let mut stuck = JoinSet::new();
    for i in 0..5 {
        let lm = lm.clone();
        stuck.spawn(async move { lm.call(ask_slow(&i.to_string(), 3_600_000)).await });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!((fake.in_flight(), lm.available()), (2, 0));
    stuck.abort_all();
    while stuck.join_next().await.is_some() {}
    assert_eq!((fake.in_flight(), lm.available()), (0, 2));

    let start = Instant::now();
    lm.call(ask("after")).await.unwrap();
    lm.call(ask("after 2")).await.unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_shared_layer_limits_several_lms_together() {
    let layer = ConcurrencyLimitLayer::shared(1);
    let a = FakeLm::new().delay(Duration::from_secs(1)).shared();
    let b = FakeLm::new().delay(Duration::from_secs(1)).shared();
    let (la, lb) = (layer.layer(a.clone()), layer.layer(b.clone()));
    let start = Instant::now();
    let (x, y) = tokio::join!(la.call(ask("a")), lb.call(ask("b")));
    x.unwrap();
    y.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn requests_per_minute_spread_calls_out() {
    let fake = FakeLm::new().shared();
    let lm = RateLimit::new(
        fake.clone(),
        &RateLimitPolicy::new().requests_per_minute(60),
    );
    let start = Instant::now();
    let mut at = Vec::new();
    for i in 0..5 {
        lm.call(ask(&i.to_string())).await.unwrap();
        at.push(start.elapsed().as_millis());
    }
    // One per second, the first at once (a one-second burst holds one request).
    assert_eq!(at, [0, 1000, 2000, 3000, 4000]);
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_wait_their_turn_under_a_request_limit() {
    let fake = FakeLm::new().shared();
    let lm = Arc::new(RateLimit::new(
        fake.clone(),
        &RateLimitPolicy::new()
            .requests_per_minute(600)
            .burst(Duration::from_secs(1)),
    ));
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for i in 0..30 {
        let lm = lm.clone();
        tasks.spawn(async move {
            lm.call(ask(&i.to_string())).await.unwrap();
            Instant::now()
        });
    }
    let mut done = Vec::new();
    while let Some(t) = tasks.join_next().await {
        done.push(t.unwrap() - start);
    }
    done.sort();
    // Ten at once (the burst), then one every 100 ms.
    assert_eq!(done[9], Duration::ZERO);
    assert_eq!(done[29], Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn tokens_per_minute_use_estimates_then_reported_usage() {
    // 600 tokens per minute = 10 per second; each call reports 15 tokens.
    let fake = FakeLm::new().shared();
    let lm = RateLimit::new(fake.clone(), &RateLimitPolicy::new().tokens_per_minute(600));
    let start = Instant::now();
    for i in 0..5 {
        lm.call(ask(&i.to_string()).max_tokens(1)).await.unwrap();
    }
    // Estimates are small (~7 tokens) but every call is charged its 15 reported tokens:
    // 75 tokens at 10 per second, less the 10 the bucket started with, minus the last call's
    // charge that nobody waits for.
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(4000) && elapsed <= Duration::from_millis(6500),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_call_dropped_while_rate_limited_gives_its_slot_back() {
    let fake = FakeLm::new().shared();
    let lm = Arc::new(RateLimit::new(
        fake.clone(),
        &RateLimitPolicy::new().requests_per_minute(60),
    ));
    lm.call(ask("first")).await.unwrap(); // uses the burst
    let waiting = tokio::spawn({
        let lm = lm.clone();
        async move { lm.call(ask("second")).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    waiting.abort();
    let _ = waiting.await;
    // The cancelled call's reservation is returned: the next one waits 0.9 s, not 1.9 s.
    let start = Instant::now();
    lm.call(ask("third")).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(900));
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_slow_call_times_out() {
    let fake = FakeLm::new().delay(Duration::from_secs(10)).shared();
    let lm = Timeout::new(fake.clone(), Duration::from_secs(2));
    let start = Instant::now();
    assert_eq!(
        lm.call(ask("q")).await.unwrap_err(),
        LmError::Timeout(Duration::from_secs(2))
    );
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(fake.in_flight(), 0, "the timed-out call was dropped");

    let fast = Timeout::new(FakeLm::new().shared(), Duration::from_secs(2));
    assert!(fast.call(ask("q")).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn timeouts_inside_retries_are_retried_per_attempt() {
    let fake = FakeLm::new().delay(Duration::from_secs(10)).shared();
    let lm = Retry::new(
        Timeout::new(fake.clone(), Duration::from_secs(1)),
        RetryPolicy::new().max_attempts(3).jitter(Jitter::None),
    );
    let start = Instant::now();
    let error = lm.call(ask("q")).await.unwrap_err();
    assert_eq!(
        error,
        LmError::RetriesExhausted {
            attempts: 3,
            last: Box::new(LmError::Timeout(Duration::from_secs(1)))
        }
    );
    // Three 1 s attempts, waits of 1 s and 2 s between them.
    assert_eq!(start.elapsed(), Duration::from_secs(6));
    assert_eq!(fake.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_timeout_around_a_limited_lm_releases_the_permit() {
    let fake = FakeLm::new().shared();
    let limited = ConcurrencyLimit::new(fake.clone(), 1);
    let lm = Timeout::new(limited, Duration::from_secs(1));
    assert!(matches!(
        lm.call(ask_slow("slow", 60_000)).await,
        Err(LmError::Timeout(_))
    ));
    assert_eq!(lm.get_ref().available(), 1);
    let response: LmResponse = lm.call(ask("fast")).await.unwrap();
    assert_eq!(
        response.usage,
        Usage {
            prompt_tokens: 10,
            completion_tokens: 5,
            total_tokens: 15
        }
    );
}

/// A fake answering its first call with `first` as usage, then normally (15 tokens).
fn reporting(first: Usage) -> Arc<FakeLm> {
    let mut response = LmResponse::text("fake-model-v1", "huge");
    response.usage = first;
    FakeLm::new().script(vec![Ok(response)]).shared()
}

/// How long each of three calls after the first waits, at 6000 tokens per minute (100/s).
async fn waits_after(first: Usage) -> Vec<Duration> {
    let fake = reporting(first);
    let lm = RateLimit::new(
        fake.clone(),
        &RateLimitPolicy::new().tokens_per_minute(6000),
    );
    lm.call(ask("first").max_tokens(10)).await.unwrap();
    let mut waits = Vec::new();
    for i in 0..3 {
        let start = Instant::now();
        lm.call(ask(&i.to_string()).max_tokens(10)).await.unwrap();
        waits.push(start.elapsed());
    }
    assert_eq!(fake.calls(), 4);
    waits
}

#[tokio::test(start_paused = true)]
async fn absurd_reported_usage_cannot_stall_later_calls() {
    let max = Usage {
        prompt_tokens: u64::MAX,
        completion_tokens: u64::MAX,
        total_tokens: u64::MAX,
    };
    let quadrillion = Usage {
        prompt_tokens: 0,
        completion_tokens: 1_000_000_000_000_000,
        total_tokens: 1_000_000_000_000_000,
    };
    for first in [max, quadrillion] {
        let waits = waits_after(first).await;
        // One response is charged at most a minute's worth (6000 tokens): the next call waits
        // about a minute, the ones after it hardly at all.
        assert!(
            waits[0] >= Duration::from_secs(55) && waits[0] <= Duration::from_secs(61),
            "{first:?}: {waits:?}"
        );
        for wait in &waits[1..] {
            assert!(*wait <= Duration::from_secs(1), "{first:?}: {waits:?}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn large_real_usage_is_still_charged_in_full() {
    // 3000 tokens is far above the 1-second burst (100 tokens) but within a minute's worth:
    // the next call waits for ~30 s of refill.
    let waits = waits_after(Usage {
        prompt_tokens: 2000,
        completion_tokens: 1000,
        total_tokens: 3000,
    })
    .await;
    assert!(
        waits[0] >= Duration::from_secs(28) && waits[0] <= Duration::from_secs(31),
        "{waits:?}"
    );
}
