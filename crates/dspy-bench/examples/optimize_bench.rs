//! BootstrapFewShotWithRandomSearch against the test kit's mock server at 20 ms per call.
//!
//! `cargo run --release -p dspy-bench --example optimize_bench -- [candidates] [n] [candidates at once] [ahead]`
//!
//! 16 random candidates (19 in all), 100 train and 100 dev examples, an in-memory response
//! cache and at most 16 calls in flight. Prints the wall time, the LM calls the server saw and
//! the least time those calls need at that latency and concurrency (calls × 20 ms / 16).

use std::time::{Duration, Instant};

use dspy_core::client::OpenAiClient;
use dspy_core::example::{Example, Prediction};
use dspy_core::layer::cache::ResponseCache;
use dspy_core::predict::Predict;
use dspy_core::{settings, Evaluate, LmBuilder};
use dspy_optimize::{BootstrapFewShotWithRandomSearch, Optimizer};
use dspy_testkit::server::ChatRequest;
use dspy_testkit::{chat_completion, MockConfig, MockServer, Responder};

const LATENCY: Duration = Duration::from_millis(20);
const LIMIT: usize = 16;
const KINDS: [&str; 10] = [
    "amber", "basil", "cedar", "dune", "ember", "fjord", "grove", "heath", "inlet", "juniper",
];

fn true_answer(question: &str) -> String {
    let (kind, n) = question.split_once('-').unwrap_or((question, "0"));
    let n: u64 = n.parse().unwrap_or(0);
    format!("{}{}", kind.chars().rev().collect::<String>(), n * 7 % 100)
}

fn field(content: &str, name: &str) -> Option<String> {
    let marker = format!("[[ ## {name} ## ]]\n");
    let start = content.find(&marker)? + marker.len();
    Some(content[start..].lines().next()?.trim().to_string())
}

fn kind(q: &str) -> &str {
    q.split('-').next().unwrap_or("")
}

/// Answers right only when a demo of the question's kind is in the prompt.
fn oracle(request: &ChatRequest) -> String {
    let msgs = &request.messages;
    let Some(question) = msgs.last().and_then(|m| field(&m.content, "question")) else {
        return chat_completion([("answer", "unknown")]);
    };
    let knows = msgs[..msgs.len() - 1].windows(2).any(|w| {
        w[0].role == "user"
            && w[1].role == "assistant"
            && field(&w[0].content, "question").is_some_and(|q| kind(&q) == kind(&question))
    });
    let answer = if knows {
        true_answer(&question)
    } else {
        "unknown".into()
    };
    chat_completion([("answer", answer)])
}

fn dataset(start: usize, n: usize) -> Vec<Example> {
    (0..n)
        .map(|i| {
            let q = format!("{}-{}", KINDS[i % KINDS.len()], start + i);
            Example::new()
                .with("question", q.clone())
                .with("answer", true_answer(&q))
                .with_inputs(["question"])
        })
        .collect()
}

fn exact(ex: &Example, pred: &Prediction) -> bool {
    ex.get("answer") == pred.get("answer")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let candidates: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let parallel: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    // `ahead`: bootstrap examples ahead of DSPy's order (more calls, less waiting).
    let ahead = args.next().as_deref() == Some("ahead");

    let server = MockServer::start(
        MockConfig::new()
            .latency(LATENCY)
            .responder(Responder::new(oracle)),
    )
    .await?;
    let client = OpenAiClient::builder("gpt-4o-mini")
        .base_url(server.base_url())
        .build()?;
    let lm = LmBuilder::new(client)
        .cache(ResponseCache::in_memory(1_000_000))
        .concurrency_limit(LIMIT)
        .without_trace()
        .build();
    let (train, dev) = (dataset(0, n), dataset(1000, n));
    let student = Predict::parse("question -> answer")?;
    let optimizer = BootstrapFewShotWithRandomSearch::new(exact)
        .num_candidate_programs(candidates)
        .num_threads(LIMIT)
        .candidate_concurrency(parallel)
        .seed(0);
    let mut optimizer = optimizer;
    optimizer.bootstrap.bootstrap_ahead = ahead;

    let started = Instant::now();
    let compiled = settings::with_lm(lm.clone(), async {
        optimizer
            .compile_with_report(&student, &train, Some(&dev))
            .await
    })
    .await?;
    let wall = started.elapsed().as_secs_f64();
    let calls = server.requests();
    let limit = calls as f64 * LATENCY.as_secs_f64() / LIMIT as f64;
    let before = settings::with_lm(lm.clone(), Evaluate::new(dev.clone()).run(&student, &exact))
        .await?
        .score;
    println!("{}", compiled.report);
    println!(
        "{} candidates on {n} train / {n} dev: {wall:.2} s wall, {calls} LM calls, limit {limit:.2} s \
         (calls x {} ms / {LIMIT}), {:.2}x the limit; dev score {before} -> {}",
        compiled.report.candidates.len(),
        LATENCY.as_millis(),
        wall / limit,
        compiled.report.candidates.iter().map(|c| c.score).fold(0.0, f64::max),
    );
    Ok(())
}
