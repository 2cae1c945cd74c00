//! GEPA `auto = light` against the test kit's mock server at 20 ms per call.
//!
//! `cargo run --release -p dspy-bench --example gepa_bench`
//!
//! The workload of the issue: `Gepa::new(metric, Budget::Auto(Auto::Light))` with DSPy's other
//! defaults (reflection minibatch 3, Pareto parents, merges) and 16 threads compiles `question
//! -> answer` on 100 train and 100 val examples of the keyword world
//! (`dspy_testkit::keyword_world`: kinds alpha, beta, easy, hard in turn; the task model gets
//! alpha and beta right only when the instructions mention ALPHA and BETA; the metric's
//! feedback says so; the reflection model adds a keyword once the feedback asks for it twice).
//! The mock answers every request after 20 ms, the reflection prompts (they hold
//! `current_instruction`) as the reflection model, the others as the task model. One
//! `OpenAiClient` at the mock, behind a concurrency limit of 16 and no cache, is both LMs, so
//! every metric call is one task request.
//!
//! # The limit
//!
//! GEPA's steps wait for each other: the seed's validation pass, then per iteration the
//! parent's minibatch, the reflection call(s), the child's minibatch and, when the child is
//! kept, its validation pass (a merge: its subsample, then the validation pass if kept). With
//! every call taking exactly 20 ms, 16 at once and nothing else costing time, a pass over `n`
//! examples takes `ceil(n / 16)` waves and each reflection call one wave. The bench replays
//! the run's iteration records into waves: `limit = waves × 20 ms`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dspy_core::adapters::Message;
use dspy_core::client::OpenAiClient;
use dspy_core::evaluate::{feedback_fn, Evaluate};
use dspy_core::example::Example;
use dspy_core::lm::{LmRequest, SharedLm};
use dspy_core::predict::Predict;
use dspy_core::{settings, LmBuilder};
use dspy_optimize::gepa::{Budget, Gepa, IterationOutcome};
use dspy_optimize::mipro::Auto;
use dspy_testkit::keyword_world::{dataset, reflection_reply, score, task_reply};
use dspy_testkit::server::ChatRequest;
use dspy_testkit::{MockConfig, MockServer, Responder};

const LATENCY: Duration = Duration::from_millis(20);
const LIMIT: usize = 16;

fn as_request(chat: &ChatRequest) -> LmRequest {
    LmRequest::new(
        chat.messages
            .iter()
            .map(|m| match m.role.as_str() {
                "system" => Message::system(m.content.clone()),
                "assistant" => Message::assistant(m.content.clone()),
                _ => Message::user(m.content.clone()),
            })
            .collect(),
    )
}

fn kinds(n: usize) -> Vec<&'static str> {
    ["alpha", "beta", "easy", "hard"]
        .into_iter()
        .cycle()
        .take(n)
        .collect()
}

fn waves(n: usize) -> u64 {
    n.div_ceil(LIMIT) as u64
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reflections = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&reflections);
    let server = MockServer::start(MockConfig::new().latency(LATENCY).responder(Responder::new(
        move |chat| {
            let request = as_request(chat);
            let user = chat.last_user_message().unwrap_or("");
            if user.contains("[[ ## current_instruction ## ]]") {
                counter.fetch_add(1, Ordering::Relaxed);
                reflection_reply(&request)
            } else {
                task_reply(&request)
            }
        },
    )))
    .await?;
    let client = OpenAiClient::builder("gpt-4o-mini")
        .base_url(server.base_url())
        .build()?;
    let lm: SharedLm = LmBuilder::new(client)
        .concurrency_limit(LIMIT)
        .without_trace()
        .build();
    let (train, val): (Vec<Example>, Vec<Example>) =
        (dataset(&kinds(100), 0), dataset(&kinds(100), 100));
    let student = Predict::parse("question -> answer")?;
    let metric =
        feedback_fn(|example, prediction, _trace, predictor| score(example, prediction, predictor));
    let mut gepa = Gepa::new(metric, Budget::Auto(Auto::Light)).reflection_lm(lm.clone());
    gepa.num_threads = Some(LIMIT);

    let start = Instant::now();
    let result = settings::with_lm(lm.clone(), gepa.run(&student, &train, Some(&val))).await?;
    let wall = start.elapsed();

    // Replay the run into waves.
    let mut total = waves(val.len());
    let (mut accepted, mut rejected, mut other, mut merges) = (0, 0, 0, 0);
    for it in &result.iterations {
        total += waves(it.examples.len());
        if it.merge {
            merges += 1;
        } else if !it.child_scores.is_empty() {
            total += it.components.len() as u64 + waves(it.examples.len());
        } else if it.outcome == IterationOutcome::NothingProposed {
            total += it.components.len() as u64; // the reflection call(s) that gave nothing
        }
        match it.outcome {
            IterationOutcome::Accepted => {
                accepted += 1;
                total += waves(val.len());
            }
            IterationOutcome::Rejected => rejected += 1,
            _ => other += 1,
        }
    }
    let limit = LATENCY * total as u32;
    let requests = server.requests();
    let reflection_calls = reflections.load(Ordering::Relaxed);

    println!("GEPA auto=light, 100 train / 100 val, mock at {LATENCY:?}, concurrency {LIMIT}");
    println!(
        "iterations: {} ({accepted} accepted, {rejected} rejected, {other} skipped or nothing proposed; {merges} merges), candidates {}",
        result.iterations.len(),
        result.candidates.len()
    );
    println!(
        "metric calls: {} (budget {}; the last iteration may pass it, as in DSPy)",
        result.metric_calls, result.budget
    );
    println!(
        "server requests: {requests} ({} task, {reflection_calls} reflection)",
        requests - reflection_calls
    );
    println!("waves: {total} -> limit {:.2} s", limit.as_secs_f64());
    println!(
        "wall: {:.2} s ({:.2}x the limit)",
        wall.as_secs_f64(),
        wall.as_secs_f64() / limit.as_secs_f64()
    );

    let evaluate = Evaluate::new(val.clone())
        .num_threads(LIMIT)
        .display_progress(false);
    let check =
        feedback_fn(|example, prediction, _trace, predictor| score(example, prediction, predictor));
    let before = settings::with_lm(lm.clone(), evaluate.run(&student, &check)).await?;
    let after = settings::with_lm(lm, evaluate.run(&result.program, &check)).await?;
    println!(
        "val score: {}% before, {}% after; best instructions: {:?}",
        before.score,
        after.score,
        result.program.signature().instructions()
    );
    Ok(())
}
