//! ReAct's per-step overhead: the recorded 6-call trace of
//! `crates/dspy-core/tests/fixtures/modules/react.json` (5 steps with the tools `lookup` and
//! `add`, two of them failing, then the extract), replayed through an LM that costs nothing.
//!
//! ```text
//! cargo run --release -p dspy-bench --example react_bench -- [--runs N] [--warmup W]
//!     [--concurrency C]
//! ```
//!
//! The program is `ReAct` over `question -> answer` with the recorder's tools (same names,
//! descriptions, argument schemas and failures as `tests/react_parity.rs`), `max_iters` 6, and
//! the fixture's question. Before timing, one run through the test kit's `ScriptedLm` is checked
//! against the fixture: the same 6 calls with the same messages (failed tool calls' texts
//! masked, as in the parity test) and the same prediction.
//!
//! Timed runs answer from `ReplayLm`: the fixture's 6 completion texts by call index, a fresh
//! counter per run (so concurrent runs do not share a script), no logging, no usage counting.
//! It measures the time spent inside its own `call`, so the share outside the LM is measured,
//! not assumed. Every run's prediction is checked (outside the timed span).
//!
//! Printed: (a) `N` runs one after another on a current-thread runtime after `W` warm-up runs:
//! mean / median / p90 / min wall time per agent run and per LM call (run ÷ 6), the thread's CPU
//! time per run (`/proc/thread-self/schedstat`, robust to other processes on the machine), and
//! the share of the run spent outside the LM; (b) the same `N` runs on a multi-thread runtime
//! (one worker per core), at most `C` at a time: runs per second and LM calls per second.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dspy_core::adapters::{SignatureSpec, Values};
use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};
use dspy_core::react::ReAct;
use dspy_core::tool::Tool;
use dspy_core::{settings, Module, Prediction};
use dspy_testkit::ScriptedLm;
use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// LM calls per run: 5 steps and the extract.
const CALLS: usize = 6;

fn usage() -> ! {
    eprintln!("usage: react_bench [--runs N] [--warmup W] [--concurrency C]");
    std::process::exit(2)
}

/// The fixture's completions, one per call, by call index; time spent in `call` is added up.
#[derive(Debug)]
struct ReplayLm {
    outputs: Arc<[String]>,
    next: AtomicUsize,
    inside: Arc<AtomicU64>,
}

impl LanguageModel for ReplayLm {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        let start = Instant::now();
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        let response = match self.outputs.get(index) {
            Some(text) => Ok(LmResponse::text("replay", text.as_str())),
            None => Err(LmError::config("the trace has no answer left")),
        };
        drop(request);
        self.inside
            .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        Box::pin(std::future::ready(response))
    }

    fn model(&self) -> &str {
        "replay"
    }
}

/// The recorder's tools (`scripts/record_module_fixtures.py`), as `tests/react_parity.rs`
/// builds them: same names, descriptions, argument schemas, results and failures. The bench
/// crate has no serde derive, so the arguments are parsed by hand with `serde_json`.
fn tools() -> Vec<Tool> {
    let lookup = Tool::new("lookup", |args: Map<String, Value>| async move {
        let city: String = serde_json::from_value(args.get("city").cloned().unwrap_or_default())
            .map_err(|e| format!("invalid arguments: {e}"))?;
        match city.to_lowercase().as_str() {
            "paris" => Ok("France"),
            "berlin" => Ok("Germany"),
            "rome" => Ok("Italy"),
            other => Err(format!("'{other}'")),
        }
    })
    .desc("Look up the country of a city in a small table.")
    .arg("city", json!({"type": "string"}));
    let add = Tool::new("add", |args: Map<String, Value>| async move {
        let int = |key: &str, default: Option<i64>| -> Result<i64, String> {
            match (args.get(key), default) {
                (Some(v), _) => serde_json::from_value::<i64>(v.clone())
                    .map_err(|e| format!("invalid arguments: {e}")),
                (None, Some(d)) => Ok(d),
                (None, None) => Err(format!("invalid arguments: missing field `{key}`")),
            }
        };
        Ok::<_, String>(int("a", None)? + int("b", Some(1))?)
    })
    .desc("Add two integers.")
    .arg("a", json!({"type": "integer"}))
    .arg("b", json!({"type": "integer", "default": 1}));
    vec![lookup, add]
}

/// Masks failed tool calls' texts (`Execution error in {tool}: ...` up to the next field or the
/// end), which differ by design (Python shows a traceback).
fn mask(text: &str) -> String {
    const START: &str = "Execution error in ";
    const NEXT_FIELD: &str = "\n\n[[ ## ";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(START) {
        let after = &rest[at + START.len()..];
        let Some(colon) = after.find(": ") else { break };
        out.push_str(&rest[..at + START.len() + colon]);
        out.push_str(": <error>");
        let tail = &after[colon + 2..];
        rest = match tail.find(NEXT_FIELD) {
            Some(end) => &tail[end..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

fn masked_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(mask(s)),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), masked_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What every run must return: the fixture's answer after the 5 recorded steps.
fn check(pred: &Prediction) {
    assert_eq!(pred.get_str("answer"), Some("France; 5"), "answer");
    let trajectory = pred.get("trajectory").and_then(Value::as_object);
    let trajectory = trajectory.expect("a trajectory");
    assert_eq!(trajectory.len(), 20, "5 steps of 4 entries");
    assert_eq!(trajectory["observation_3"], json!(5));
    assert_eq!(trajectory["tool_name_4"], "finish");
}

/// One run through `ScriptedLm`, compared with the fixture call by call.
async fn verify(agent: &ReAct, fixture: &Value, inputs: Values) -> Result<(), BoxError> {
    let outputs: Vec<String> = fixture["calls"]
        .as_array()
        .ok_or("no calls")?
        .iter()
        .map(|c| c["output"].as_str().unwrap_or_default().to_string())
        .collect();
    let lm = Arc::new(ScriptedLm::new(outputs));
    let pred = settings::with_lm(lm.clone() as SharedLm, agent.forward(inputs)).await?;
    check(&pred);
    let requests = lm.requests();
    let calls = fixture["calls"].as_array().ok_or("no calls")?;
    assert_eq!(requests.len(), CALLS, "LM calls");
    assert_eq!(calls.len(), CALLS, "recorded calls");
    for (i, (ours, python)) in requests.iter().zip(calls).enumerate() {
        let python = python["messages"].as_array().ok_or("no messages")?;
        assert_eq!(ours.messages.len(), python.len(), "call {i}: messages");
        for (j, (a, b)) in ours.messages.iter().zip(python).enumerate() {
            assert_eq!(a.role.as_str(), b["role"], "call {i}, message {j}: role");
            let b = b["content"].as_str().unwrap_or_default();
            assert_eq!(mask(&a.content), mask(b), "call {i}, message {j} differs");
        }
    }
    assert_eq!(
        masked_value(&Value::Object(pred.values().clone())),
        masked_value(&fixture["prediction"]),
        "prediction"
    );
    Ok(())
}

/// One timed run: (wall time of the run, time inside the LM). The check is outside the span.
async fn run_once(
    agent: &ReAct,
    outputs: &Arc<[String]>,
    inputs: &Values,
) -> Result<(Duration, Duration), BoxError> {
    let inside = Arc::new(AtomicU64::new(0));
    let lm: SharedLm = Arc::new(ReplayLm {
        outputs: outputs.clone(),
        next: AtomicUsize::new(0),
        inside: inside.clone(),
    });
    let start = Instant::now();
    let pred = settings::with_lm(lm.clone(), agent.forward(inputs.clone())).await?;
    let wall = start.elapsed();
    check(&pred);
    Ok((wall, Duration::from_nanos(inside.load(Ordering::Relaxed))))
}

/// This thread's CPU time so far (Linux `schedstat`, nanoseconds), if readable.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() -> Result<(), BoxError> {
    let (mut runs, mut warmup, mut concurrency) = (2000usize, 200usize, 64usize);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value: usize = args
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| usage());
        match flag.as_str() {
            "--runs" | "-n" => runs = value.max(1),
            "--warmup" | "-w" => warmup = value,
            "--concurrency" | "-c" => concurrency = value.max(1),
            _ => usage(),
        }
    }

    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dspy-core/tests/fixtures/modules/react.json"
    );
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    assert_eq!(fixture["dspy_version"], "3.4.1");
    let outputs: Arc<[String]> = fixture["calls"]
        .as_array()
        .ok_or("no calls")?
        .iter()
        .map(|c| c["output"].as_str().unwrap_or_default().to_string())
        .collect();
    let agent =
        Arc::new(ReAct::new(&SignatureSpec::parse("question -> answer")?, tools()).max_iters(6));
    assert_eq!(
        agent.react().signature().instructions(),
        fixture["react_instructions"]
    );
    let inputs = Values::from_iter([(
        "question".to_string(),
        fixture["config"]["inputs"]["question"].clone(),
    )]);

    // (a) One after another on a current-thread runtime.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(verify(&agent, &fixture, inputs.clone()))?;
    println!(
        "react_bench: react.json trace (5 steps incl. 2 failing tool calls + extract = {CALLS} LM calls), \
         free replay LM; checked against the fixture"
    );
    let (times, inside, cpu) = runtime.block_on(async {
        for _ in 0..warmup {
            run_once(&agent, &outputs, &inputs).await?;
        }
        let cpu_start = thread_cpu();
        let mut times = Vec::with_capacity(runs);
        let mut inside = Duration::ZERO;
        for _ in 0..runs {
            let (wall, lm) = run_once(&agent, &outputs, &inputs).await?;
            times.push(wall);
            inside += lm;
        }
        let cpu = cpu_start.zip(thread_cpu()).map(|(a, b)| b - a);
        Ok::<_, BoxError>((times, inside, cpu))
    })?;
    let total: Duration = times.iter().sum();
    let mean = total / runs as u32;
    let mut sorted = times.clone();
    sorted.sort();
    let median = sorted[runs / 2];
    let p90 = sorted[(runs * 9 / 10).min(runs - 1)];
    let min = sorted[0];
    println!(
        "(a) {runs} runs one after another (current-thread runtime, after {warmup} warm-up runs)"
    );
    println!(
        "  {:<18} {:>10} {:>10} {:>10} {:>10}",
        "", "mean µs", "median µs", "p90 µs", "min µs"
    );
    for (label, div) in [("per agent run", 1.0), ("per LM call/step", CALLS as f64)] {
        println!(
            "  {label:<18} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
            us(mean) / div,
            us(median) / div,
            us(p90) / div,
            us(min) / div
        );
    }
    if let Some(cpu) = cpu {
        println!(
            "  CPU (this thread) per run {:.1} µs, per LM call {:.1} µs",
            us(cpu) / runs as f64,
            us(cpu) / (runs * CALLS) as f64
        );
    }
    println!(
        "  inside the LM {:.2} µs per run; outside the LM {:.2}% of the run time",
        us(inside) / runs as f64,
        100.0 * (1.0 - inside.as_secs_f64() / total.as_secs_f64())
    );

    // (b) Throughput: the same runs on a multi-thread runtime, at most C at a time.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    let wall = runtime.block_on(async {
        let run_all = |n: usize| {
            let (agent, outputs, inputs) = (agent.clone(), outputs.clone(), inputs.clone());
            async move {
                let limit = Arc::new(Semaphore::new(concurrency));
                let mut set = JoinSet::new();
                for _ in 0..n {
                    let permit = limit.clone().acquire_owned().await?;
                    let (agent, outputs, inputs) = (agent.clone(), outputs.clone(), inputs.clone());
                    set.spawn(async move {
                        let result = run_once(&agent, &outputs, &inputs).await;
                        drop(permit);
                        result.map(|_| ())
                    });
                }
                while let Some(done) = set.join_next().await {
                    done??;
                }
                Ok::<_, BoxError>(())
            }
        };
        run_all(warmup).await?;
        let start = Instant::now();
        run_all(runs).await?;
        Ok::<_, BoxError>(start.elapsed())
    })?;
    println!(
        "(b) {runs} runs on a multi-thread runtime ({workers} workers), at most {concurrency} at a time"
    );
    println!(
        "  {:.1} ms: {:.0} runs/s, {:.0} LM calls/s ({:.1} µs wall per run)",
        wall.as_secs_f64() * 1e3,
        runs as f64 / wall.as_secs_f64(),
        (runs * CALLS) as f64 / wall.as_secs_f64(),
        us(wall) / runs as f64
    );
    Ok(())
}
