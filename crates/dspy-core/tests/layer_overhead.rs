//! Overhead of the full layer stack (run by hand: `cargo test --release -p dspy-core --test
//! layer_overhead -- --ignored --nocapture`). Timing on shared machines is noisy, so these are
//! ignored by default; the numbers they print are what the benchmark crate checks.

mod layer_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use dspy_core::layer::cache::{DiskCache, ResponseCache};
use dspy_core::layer::history::History;
use dspy_core::layer::retry::RetryPolicy;
use dspy_core::layer::usage::UsageTracker;
use dspy_core::layer::LmBuilder;
use dspy_core::lm::{LanguageModel, SharedLm};
use tokio::task::JoinSet;

use layer_support::{ask, FakeLm};

fn full_stack(fake: Arc<FakeLm>, cache: ResponseCache) -> SharedLm {
    LmBuilder::new(fake)
        .retry(RetryPolicy::new())
        .cache(cache)
        .concurrency_limit(16)
        .timeout(Duration::from_secs(30))
        .track_usage(UsageTracker::new())
        .history(History::new())
        .build()
}

async fn waves(lm: SharedLm, calls: usize) -> Duration {
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for i in 0..calls {
        let lm = lm.clone();
        tasks.spawn(async move { lm.call(ask(&format!("question {i}"))).await.unwrap() });
    }
    while tasks.join_next().await.is_some() {}
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run by hand"]
async fn latency_bound_256_calls_of_20ms_at_concurrency_16() {
    for round in 0..3 {
        let bare = LmBuilder::new(FakeLm::new().delay(Duration::from_millis(20)).shared())
            .concurrency_limit(16)
            .without_trace()
            .build();
        let bare = waves(bare, 256).await;
        let full = full_stack(
            FakeLm::new().delay(Duration::from_millis(20)).shared(),
            ResponseCache::default(),
        );
        let full = waves(full, 256).await;
        println!("round {round}: limit only {bare:?}, full stack {full:?} (ideal 320 ms)");
    }
}

async fn throughput(lm: SharedLm, calls: usize) -> f64 {
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    let per_worker = calls / 16;
    for w in 0..16 {
        let lm = lm.clone();
        tasks.spawn(async move {
            for i in 0..per_worker {
                lm.call(ask(&format!("q {w} {i}"))).await.unwrap();
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    calls as f64 / start.elapsed().as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run by hand"]
async fn throughput_at_zero_latency() {
    let n = 100_000;
    let bare: SharedLm = FakeLm::new().shared();
    println!(
        "bare fake:                 {:>9.0} calls/s",
        throughput(bare, n).await
    );
    let full = full_stack(FakeLm::new().shared(), ResponseCache::default());
    println!(
        "full stack, memory cache:  {:>9.0} calls/s",
        throughput(full, n).await
    );
    let dir = tempfile::tempdir().unwrap();
    let disk = DiskCache::open(dir.path().join("bench.sqlite"));
    let cache = ResponseCache::builder().disk(disk).build();
    let full = full_stack(FakeLm::new().shared(), cache.clone());
    println!(
        "full stack, memory + disk: {:>9.0} calls/s",
        throughput(full, n).await
    );
    let start = Instant::now();
    cache.flush();
    println!(
        "  (flushing the disk queue afterwards took {:?})",
        start.elapsed()
    );
    let full = full_stack(FakeLm::new().shared(), cache);
    println!(
        "full stack, all hits:      {:>9.0} calls/s",
        throughput(full, n).await
    );
}
