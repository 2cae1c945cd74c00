//! Load test: a typed `Predict` served over an LM that answers at once, hit by many concurrent
//! requests; prints wall time, requests/s, p50/p99 latency and the error count.
//!
//! ```text
//! cargo run --release -p dspy-serve --example serve_load -- [REQUESTS] [CONCURRENCY_LIMIT]
//! ```
//!
//! Defaults: 1,000 requests, all sent at once, and a limit of 64 programs at a time; the
//! others wait for a slot (queue timeout 30 s) instead of getting 503.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dspy::prelude::*;
use dspy_serve::Server;
use dspy_testkit::ScriptedLm;
use tokio::net::TcpListener;

/// Answer questions.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let limit: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(64);
    if requests == 0 {
        return Err("REQUESTS must be at least 1".into());
    }

    let lm: SharedLm = Arc::new(ScriptedLm::from_outputs([[("answer", "Paris")]]).cycle());
    let server = Server::new()
        .concurrency_limit(limit)
        .queue_timeout(Duration::from_secs(30))
        .typed_predict("qa", dspy::Predict::<QA>::new().with_lm(lm));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/qa", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.serve(listener, async move {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(requests)
        .build()?;
    let start = Instant::now();
    let tasks: Vec<_> = (0..requests)
        .map(|i| {
            let client = client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let sent = Instant::now();
                let body = format!(r#"{{"question": "Capital of France? ({i})"}}"#);
                let ok = match client.post(&url).body(body).send().await {
                    Ok(response) => {
                        response.status().is_success() && response.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                (sent.elapsed(), ok)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(requests);
    let mut errors = 0;
    for task in tasks {
        let (latency, ok) = task.await?;
        latencies.push(latency);
        errors += usize::from(!ok);
    }
    let wall = start.elapsed();
    latencies.sort();
    let at = |q: f64| {
        let index = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len());
        latencies[index - 1]
    };
    println!("requests:          {requests} (concurrency limit {limit})");
    println!("wall time:         {wall:.2?}");
    println!(
        "throughput:        {:.0} requests/s",
        requests as f64 / wall.as_secs_f64()
    );
    println!("latency p50 / p99: {:.2?} / {:.2?}", at(0.50), at(0.99));
    println!("errors:            {errors}");
    let _ = stop.send(());
    running.await??;
    Ok(())
}
