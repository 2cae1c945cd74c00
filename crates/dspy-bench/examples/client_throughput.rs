//! How many chat completions per second `OpenAiClient` pushes through the test kit's mock server.
//!
//! `cargo run --release -p dspy-bench --example client_throughput -- [concurrency] [seconds]`
//!
//! Client and server share this process (and the machine's cores), on 127.0.0.1 only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dspy_core::adapters::Message;
use dspy_core::client::OpenAiClient;
use dspy_core::lm::{LanguageModel, LmRequest};
use dspy_testkit::{MockConfig, MockServer, Responder};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);

    let server = MockServer::start(MockConfig::new().responder(Responder::fixed(
        "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]",
    )))
    .await?;
    let lm = Arc::new(
        OpenAiClient::builder("gpt-4o-mini")
            .base_url(server.base_url())
            .build()?,
    );
    let request = LmRequest::new(vec![
        Message::system("Your input fields are:\n1. `question` (str)\nYour output fields are:\n1. `answer` (str)"),
        Message::user("[[ ## question ## ]]\nWhat is the capital of France?"),
    ])
    .temperature(0.0);

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (lm, request) = (lm.clone(), request.clone());
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0u64, 0u64);
                while Instant::now() < deadline {
                    match lm.call(request.clone()).await {
                        Ok(_) => ok += 1,
                        Err(_) => failed += 1,
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    let (mut ok, mut failed) = (0, 0);
    for task in tasks {
        let (o, f) = task.await?;
        ok += o;
        failed += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{ok} ok, {failed} failed in {elapsed:.2}s with {concurrency} concurrent calls: {:.0} requests/s",
        ok as f64 / elapsed
    );
    Ok(())
}
