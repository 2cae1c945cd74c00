//! Fault soak: the LM stack under a steady stream of mixed faults, checking that every request
//! is accounted for and that memory stays flat.
//!
//! `cargo run --release -p dspy-bench --example fault_soak -- [--minutes M] [--seconds S] [--concurrency C]`
//!
//! Runs for `M` minutes (default 10; `--seconds` for short runs) at `C` requests in flight
//! (default 64) against the test kit's mock server, 30% of whose answers are faults drawn from:
//! 500, 503, 429 with `Retry-After: 1`, a slow answer (past the 2 s per-attempt timeout), a
//! truncated body and a dropped connection. The client is `OpenAiClient` in `LmBuilder` with
//! retries (4 attempts, backoff capped at 200 ms), a 2 s timeout and a concurrency limit of C.
//!
//! Every request must end as the right answer or a typed error after the retry budget; a panic,
//! a wrong answer or a lost request fails the run. Resident memory is sampled every second; the
//! run fails if the last minute's peak is more than 10% above the peak after warm-up (the first
//! 20% of the run). Exit code 0 means all checks held. Loopback only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dspy_core::adapters::Message;
use dspy_core::client::OpenAiClient;
use dspy_core::layer::retry::RetryPolicy;
use dspy_core::layer::LmBuilder;
use dspy_core::lm::{LanguageModel, LmRequest, SharedLm};
use dspy_testkit::{chat_completion, Fault, MockConfig, MockServer, Responder};
use tokio::task::JoinSet;

/// Resident memory now, in MiB (`VmRSS`).
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    right: AtomicU64,
    errors: AtomicU64,
    wrong: AtomicU64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut seconds = 600u64;
    let mut concurrency = 64usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{arg} takes a number"))
        };
        match arg.as_str() {
            "--minutes" => seconds = value()? * 60,
            "--seconds" => seconds = value()?,
            "--concurrency" => concurrency = value()?.max(1) as usize,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }

    let server = MockServer::start(
        MockConfig::new()
            .responder(Responder::fixed(chat_completion([("answer", "42")])))
            .failure_rate(0.3)
            .faults([
                Fault::ServerError,
                Fault::Status(503),
                Fault::RateLimited {
                    retry_after_secs: 1,
                },
                Fault::Slow(Duration::from_secs(3)),
                Fault::Truncated,
                Fault::DropConnection,
            ])
            .seed(7),
    )
    .await?;
    let client = OpenAiClient::builder("gpt-4o-mini")
        .base_url(server.base_url())
        .timeout(Duration::from_secs(2))
        .build()?;
    let lm: SharedLm = LmBuilder::new(client)
        .retry(
            RetryPolicy::new()
                .max_attempts(4)
                .base_delay(Duration::from_millis(20))
                .max_delay(Duration::from_millis(200)),
        )
        .concurrency_limit(concurrency)
        .build();

    let tally = Arc::new(Tally::default());
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut workers = JoinSet::new();
    for w in 0..concurrency {
        let (lm, tally) = (lm.clone(), tally.clone());
        workers.spawn(async move {
            let mut i = 0u64;
            while Instant::now() < deadline {
                let request =
                    LmRequest::new(vec![Message::user(format!("worker {w} request {i}"))]);
                i += 1;
                tally.sent.fetch_add(1, Ordering::Relaxed);
                match lm.call(request).await {
                    Ok(response)
                        if response.first_text()
                            == Some(chat_completion([("answer", "42")]).as_str()) =>
                    {
                        tally.right.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {
                        tally.wrong.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        tally.errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }

    let warm_up = Duration::from_secs((seconds / 5).max(1));
    let mut warm_peak = 0.0f64;
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    println!("fault_soak: {seconds} s, {concurrency} in flight, 30% faults");
    while Instant::now() < deadline {
        ticker.tick().await;
        let (t, rss) = (start.elapsed().as_secs_f64(), rss_mib());
        if start.elapsed() <= warm_up {
            warm_peak = warm_peak.max(rss);
        }
        samples.push((t, rss));
        if samples.len().is_multiple_of(30) {
            println!(
                "  {t:>6.0} s  sent {:>9}  right {:>9}  errors {:>7}  rss {rss:.1} MiB",
                tally.sent.load(Ordering::Relaxed),
                tally.right.load(Ordering::Relaxed),
                tally.errors.load(Ordering::Relaxed),
            );
        }
    }
    let mut panics = 0;
    while let Some(joined) = workers.join_next().await {
        if joined.is_err() {
            panics += 1;
        }
    }
    let (sent, right, errors, wrong) = (
        tally.sent.load(Ordering::Relaxed),
        tally.right.load(Ordering::Relaxed),
        tally.errors.load(Ordering::Relaxed),
        tally.wrong.load(Ordering::Relaxed),
    );
    let last_minute = samples
        .iter()
        .filter(|(t, _)| *t >= seconds as f64 - 60.0)
        .map(|(_, r)| *r)
        .fold(0.0f64, f64::max);
    let growth = if warm_peak > 0.0 {
        last_minute / warm_peak - 1.0
    } else {
        0.0
    };
    println!(
        "sent {sent}, right {right}, typed errors {errors}, wrong {wrong}, panicked workers {panics}; \
         accounted {}; rss after warm-up {warm_peak:.1} MiB, last minute {last_minute:.1} MiB ({:+.1}%); \
         server saw {} requests",
        right + errors + wrong == sent,
        growth * 100.0,
        server.requests()
    );
    let ok = panics == 0 && wrong == 0 && right + errors == sent && growth <= 0.10;
    server.shutdown().await;
    if ok {
        println!("fault_soak: all checks held");
        Ok(())
    } else {
        Err("fault_soak: a check failed (see above)".into())
    }
}
