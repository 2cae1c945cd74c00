//! Throughput and overhead of the full LM client stack against the in-process mock server.
//!
//! ```text
//! cargo run --release -p dspy-bench --example lm_stack_bench -- [--calls N] [--latency-ms L]
//!     [--concurrency C] [--runs R]
//! ```
//!
//! Starts the test kit's `MockServer` on 127.0.0.1 with a fixed latency and sends `N` calls
//! with distinct prompts, at most `C` at a time, three ways:
//!
//! - `timer`: no HTTP at all, each call just sleeps the latency on tokio's timer, bounded by a
//!   semaphore: what the timer's 1 ms granularity alone costs per wave.
//! - `reqwest`: bare HTTP POSTs of the same JSON bodies through one pooled `reqwest::Client`,
//!   bounded by a semaphore. What the mock (and the machine) alone allow.
//! - `client`: `OpenAiClient` without layers, bounded by a semaphore.
//! - `stack`: `OpenAiClient` inside `LmBuilder` with retry, an in-memory cache (distinct
//!   prompts, so every call misses and stores) and a concurrency limit of `C` (plus its default
//!   tracing layer), every call spawned at once.
//!
//! Each way runs `R` times after a warm-up (connections opened); the best and median wall times
//! are printed with throughput and the overhead against the ideal `ceil(N / C) × latency`.
//! Without `--calls`/`--latency-ms`/`--concurrency` it runs the two reference settings:
//! (a) 256 calls at 20 ms, concurrency 16 (ideal 320 ms) and (b) 20,000 calls at 0 ms,
//! concurrency 64.
//!
//! Client and server share this process and the machine's cores; nothing leaves 127.0.0.1.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dspy_core::adapters::Message;
use dspy_core::client::OpenAiClient;
use dspy_core::layer::cache::ResponseCache;
use dspy_core::layer::retry::RetryPolicy;
use dspy_core::layer::LmBuilder;
use dspy_core::lm::{LanguageModel, LmRequest, SharedLm};
use dspy_testkit::{MockConfig, MockServer, Responder};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const SYSTEM: &str =
    "Your input fields are:\n1. `question` (str)\nYour output fields are:\n1. `answer` (str)";
const MODEL: &str = "gpt-4o-mini";

#[derive(Debug, Clone, Copy)]
struct Setting {
    calls: usize,
    latency: Duration,
    concurrency: usize,
}

impl Setting {
    /// `ceil(calls / concurrency)` waves of one latency each.
    fn ideal(&self) -> Duration {
        let waves = self.calls.div_ceil(self.concurrency.max(1));
        self.latency * waves as u32
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Timer,
    Reqwest,
    Client,
    Stack,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Timer => "timer",
            Way::Reqwest => "reqwest",
            Way::Client => "client",
            Way::Stack => "stack",
        }
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: lm_stack_bench [--calls N] [--latency-ms L] [--concurrency C] [--runs R]\n\
         without --calls/--latency-ms/--concurrency: (a) 256 calls, 20 ms, 16 and (b) 20000 calls, 0 ms, 64"
    );
    std::process::exit(2)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut calls = None;
    let mut latency_ms = None;
    let mut concurrency = None;
    let mut runs = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || -> f64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| usage())
        };
        match flag.as_str() {
            "--calls" | "-n" => calls = Some(value() as usize),
            "--latency-ms" | "-l" => latency_ms = Some(value()),
            "--concurrency" | "-c" => concurrency = Some(value() as usize),
            "--runs" | "-r" => runs = (value() as usize).max(1),
            _ => usage(),
        }
    }
    let settings = if calls.is_none() && latency_ms.is_none() && concurrency.is_none() {
        vec![
            Setting {
                calls: 256,
                latency: Duration::from_millis(20),
                concurrency: 16,
            },
            Setting {
                calls: 20_000,
                latency: Duration::ZERO,
                concurrency: 64,
            },
        ]
    } else {
        vec![Setting {
            calls: calls.unwrap_or(256).max(1),
            latency: Duration::from_secs_f64(latency_ms.unwrap_or(20.0).max(0.0) / 1000.0),
            concurrency: concurrency.unwrap_or(16).max(1),
        }]
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "lm_stack_bench: {cores} cores, {runs} runs per way after a warm-up; times best / median"
    );
    for setting in settings {
        runtime.block_on(bench(setting, runs))?;
    }
    Ok(())
}

async fn bench(setting: Setting, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let config = MockConfig::new()
        .latency(setting.latency)
        .responder(Responder::fixed(
            "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]",
        ));
    let server = MockServer::start(config).await?;
    let ideal = setting.ideal();
    println!(
        "\n{} calls, mock latency {:?}, concurrency {}: ideal ceil(N/C) x latency = {:.1} ms",
        setting.calls,
        setting.latency,
        setting.concurrency,
        ms(ideal)
    );
    println!(
        "  {:<8} {:>10} {:>10} {:>12} {:>12} {:>14}",
        "way", "best ms", "median ms", "best req/s", "median req/s", "best - ideal"
    );
    let http = reqwest::Client::builder().tcp_nodelay(true).build()?;
    let client = OpenAiClient::builder(MODEL)
        .base_url(server.base_url())
        .api_key("sk-bench")
        .build()?;
    let mut round = 0usize;
    let mut best = Vec::new();
    for way in [Way::Timer, Way::Reqwest, Way::Client, Way::Stack] {
        // Warm-up: opens the connections and faults in the allocator's pools.
        round += 1;
        run(way, setting, round, &server, &http, &client).await?;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            round += 1;
            times.push(run(way, setting, round, &server, &http, &client).await?);
        }
        times.sort();
        let (fastest, median) = (times[0], times[times.len() / 2]);
        let rate = |d: Duration| setting.calls as f64 / d.as_secs_f64();
        println!(
            "  {:<8} {:>10.1} {:>10.1} {:>12.0} {:>12.0} {:>+11.1} ms",
            way.name(),
            ms(fastest),
            ms(median),
            rate(fastest),
            rate(median),
            ms(fastest) - ms(ideal),
        );
        best.push((way, fastest, median));
    }
    let time_of = |w: Way| best.iter().find(|(way, ..)| *way == w).map(|b| (b.1, b.2));
    if let (Some(bare), Some(stack)) = (time_of(Way::Reqwest), time_of(Way::Stack)) {
        println!(
            "  stack overhead over bare reqwest: best {:+.1} ms, median {:+.1} ms ({:+.1} us per call at the median)",
            ms(stack.0) - ms(bare.0),
            ms(stack.1) - ms(bare.1),
            (ms(stack.1) - ms(bare.1)) * 1000.0 / setting.calls as f64,
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn prompt(round: usize, i: usize) -> String {
    format!("[[ ## question ## ]]\nRound {round}, question {i}: what is the capital of France?")
}

fn request(round: usize, i: usize) -> LmRequest {
    LmRequest::new(vec![
        Message::system(SYSTEM),
        Message::user(prompt(round, i)),
    ])
    .temperature(0.0)
}

/// One timed run of `setting.calls` calls; fails on the first failed call.
async fn run(
    way: Way,
    setting: Setting,
    round: usize,
    server: &MockServer,
    http: &reqwest::Client,
    client: &OpenAiClient,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let limit = Arc::new(Semaphore::new(setting.concurrency));
    // Built before the clock starts: a fresh stack (and an empty cache) per run.
    let stack: SharedLm = LmBuilder::new(client.clone())
        .retry(RetryPolicy::new())
        .cache(ResponseCache::in_memory(setting.calls.max(1)))
        .concurrency_limit(setting.concurrency)
        .build();
    let url = server.chat_url();
    let bodies: Vec<Vec<u8>> = if way == Way::Reqwest {
        (0..setting.calls)
            .map(|i| {
                serde_json::to_vec(&serde_json::json!({
                    "model": MODEL,
                    "messages": [
                        {"role": "system", "content": SYSTEM},
                        {"role": "user", "content": prompt(round, i)},
                    ],
                    "temperature": 0.0,
                }))
                .expect("JSON")
            })
            .collect()
    } else {
        Vec::new()
    };
    let requests: Vec<LmRequest> = if way == Way::Reqwest {
        Vec::new()
    } else {
        (0..setting.calls).map(|i| request(round, i)).collect()
    };

    let started = Instant::now();
    let mut tasks: JoinSet<Result<(), String>> = JoinSet::new();
    match way {
        Way::Timer => {
            for _ in 0..setting.calls {
                let limit = limit.clone();
                tasks.spawn(async move {
                    let _permit = limit.acquire_owned().await.map_err(|e| e.to_string())?;
                    tokio::time::sleep(setting.latency).await;
                    Ok(())
                });
            }
        }
        Way::Reqwest => {
            for body in bodies {
                let (http, url, limit) = (http.clone(), url.clone(), limit.clone());
                tasks.spawn(async move {
                    let _permit = limit.acquire_owned().await.map_err(|e| e.to_string())?;
                    let response = http
                        .post(url)
                        .header("content-type", "application/json")
                        .header("authorization", "Bearer sk-bench")
                        .body(body)
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    if !response.status().is_success() {
                        return Err(format!("HTTP {}", response.status()));
                    }
                    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
                    let _: serde_json::Value =
                        serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
                    Ok(())
                });
            }
        }
        Way::Client => {
            for request in requests {
                let (client, limit) = (client.clone(), limit.clone());
                tasks.spawn(async move {
                    let _permit = limit.acquire_owned().await.map_err(|e| e.to_string())?;
                    client.call(request).await.map_err(|e| e.to_string())?;
                    Ok(())
                });
            }
        }
        Way::Stack => {
            for request in requests {
                let stack = stack.clone();
                tasks.spawn(async move {
                    let response = stack.call(request).await.map_err(|e| e.to_string())?;
                    if response.cached {
                        return Err("unexpected cache hit".into());
                    }
                    Ok(())
                });
            }
        }
    }
    while let Some(joined) = tasks.join_next().await {
        joined??;
    }
    Ok(started.elapsed())
}
