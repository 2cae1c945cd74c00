//! CPU per example and peak memory of `Evaluate` as the data set grows, against the test kit's
//! mock server at 0 ms.
//!
//! `cargo run --release -p dspy-bench --example evaluate_scale -- [n ...] [--threads T] [--scores-only]`
//!
//! For each `n` (default 2,000 and 20,000), `n` distinct questions go through `Predict` with
//! `OpenAiClient` (no layers), at most `T` (default 64) at a time. Prints wall time, the
//! process's CPU time per example (user + system, from `/proc/self/stat`; the mock server runs
//! in the same process, so its share is included) and the peak resident memory so far
//! (`VmHWM`). `--scores-only` keeps only each row's score and error (`keep_outputs(false)`).
//! Linux only (the figures come from `/proc`).

use std::time::Instant;

use dspy_core::client::OpenAiClient;
use dspy_core::example::{Example, Prediction};
use dspy_core::predict::Predict;
use dspy_core::Evaluate;
use dspy_testkit::{chat_completion, MockConfig, MockServer, Responder};

/// User + system CPU seconds of this process.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // `after` starts at field 3 (state), so utime (14) is index 11 and stime (15) index 12.
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident memory of this process, in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn exact(ex: &Example, pred: &Prediction) -> bool {
    ex.get("answer") == pred.get("answer")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut sizes = Vec::new();
    let mut threads = 64usize;
    let mut scores_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => {
                threads = args
                    .next()
                    .and_then(|t| t.parse().ok())
                    .ok_or("--threads takes a number")?
            }
            "--scores-only" => scores_only = true,
            n => sizes.push(n.parse::<usize>().map_err(|_| format!("not a size: {n}"))?),
        }
    }
    if sizes.is_empty() {
        sizes = vec![2_000, 20_000];
    }

    let server = MockServer::start(
        MockConfig::new().responder(Responder::fixed(chat_completion([("answer", "42")]))),
    )
    .await?;
    let lm = std::sync::Arc::new(
        OpenAiClient::builder("gpt-4o-mini")
            .base_url(server.base_url())
            .build()?,
    );
    let program = Predict::parse("question -> answer")?.with_lm(lm);

    println!(
        "evaluate_scale: {threads} at a time, mock at 0 ms, keep_outputs = {}",
        !scores_only
    );
    println!("  examples      wall s   CPU us/example   peak RSS MiB   score");
    for n in sizes {
        let devset: Vec<Example> = (0..n)
            .map(|i| {
                Example::new()
                    .with("question", format!("What is {i} + {i}?"))
                    .with("answer", if i % 2 == 0 { "42" } else { "no" })
                    .with_inputs(["question"])
            })
            .collect();
        let evaluate = Evaluate::new(devset)
            .num_threads(threads)
            .max_errors(usize::MAX)
            .keep_outputs(!scores_only);
        let (cpu0, t0) = (cpu_seconds(), Instant::now());
        let result = evaluate.run(&program, &exact).await?;
        let (cpu, wall) = (cpu_seconds() - cpu0, t0.elapsed().as_secs_f64());
        println!(
            "  {n:>8}   {wall:>9.2}   {:>14.1}   {:>12.1}   {:>5.1}",
            cpu * 1e6 / n as f64,
            peak_mib(),
            result.score
        );
        drop(result);
    }
    Ok(())
}
