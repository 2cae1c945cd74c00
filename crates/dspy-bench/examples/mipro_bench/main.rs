//! MIPROv2 light against the test kit's mock server at 20 ms per call.
//!
//! `cargo run --release -p dspy-bench --example mipro_bench`
//!
//! The workload of the issue: `MiproV2::new(exact).auto(Some(Auto::Light))` with its default
//! demos (4 bootstrapped, 4 labeled), seed 9 and 16 threads compiles `question -> answer` on 100
//! train and 100 val examples (`What is the code of the <colour> item number <i>?`, answer
//! `Oracle::true_answer`, as in `crates/dspy-optimize/tests/data/instruction_qa.json`; train
//! is `i` in 0..100, val 100..200).
//!
//! The mock answers like the instruction-optimizer test worlds (world a): a task prompt (its
//! last message asks for the output field `answer`) as `Oracle::new("task-a")` with
//! `with_magic(PromptWorld::MAGIC, 900)` does, any other prompt (the proposer's) as
//! `PromptWorld::new("prompts-a").completion(messages, 0)`. Every request MIPROv2 sends has
//! `n = 1` (the bench counts any that do not). One `OpenAiClient` at the mock, in `LmBuilder`
//! with an in-memory cache and a concurrency limit of 16, is both the prompt LM and the task
//! LM. Under the cache and the limit, the client is wrapped in a recorder that notes each
//! call the server sees (its kind from the prompt, when it started and ended, and for task
//! calls the question, the demo questions and whether the answer was right).
//!
//! # The limit
//!
//! The least wall time if every LM call took exactly 20 ms, at most 16 ran at once and nothing
//! else took time, given the dependencies of DSPy's algorithm. It is `waves × 20 ms`, where
//! `waves` is the sum over the phases, which run one after another:
//!
//! 1. **Demo sets**: DSPy builds them one after another. A set bootstraps by trying training
//!    examples in order until `m` runs passed (`m` = that set's `max_bootstrapped_demos`, here
//!    the passes it found); with `k` passes known, only the next `m − k` examples are sure to be
//!    tried, so at best those run at once: a wave. `W_s` is that wave count for set `s`,
//!    replayed from the pass/fail sequence the recorder saw (calls grouped by their teacher's
//!    labeled demos). Phase waves: `Σ_s W_s`.
//! 2. **Data-set summary**: its calls depend on each other: one wave per call.
//! 3. **Proposals**: independent of each other, each three calls in a row (describe the
//!    program, describe the module, write the instruction): `ceil(D/16) + ceil(M/16) +
//!    ceil(G/16)` waves for `D`, `M`, `G` calls of each kind.
//! 4. **Search**: the default program's full evaluation, each trial's minibatch and each
//!    periodic full evaluation finish before the next starts: `Σ_e ceil(c_e/16)` waves, with
//!    `c_e` the calls evaluation `e` sends to the server (its examples minus those the cache
//!    answers, i.e. (instruction, demo set, example) seen before). The evaluations and their
//!    examples come from `compiled.report.trials`; their calls must add up to the search
//!    calls the recorder saw (the bench says so if not).
//!
//! Total: `limit = (Σ_s W_s + S + ceil(D/16) + ceil(M/16) + ceil(G/16) + Σ_e ceil(c_e/16))
//! × 20 ms`, with `S` the summary calls. Every term is printed.
//!
//! That is the limit of DSPy's structure. Our implementation overlaps two things DSPy runs one
//! after another: it builds up to 8 demo sets at once (`candidate_concurrency`), and it runs
//! the data-set summary while the demo sets are built (it needs neither them nor the random
//! generator). So it can beat that limit. The bench also prints the limit of our structure:
//! the demo sets bootstrapping at once (`J` waves, replaying all sets together with at most 16
//! calls per wave) and, when the recorder saw the summary start before the last bootstrap
//! answer, `max(J, S)` waves for both instead of `J + S`; the rest as above. Proposals overlap
//! in both (Python's loop runs them one after another, but nothing in the algorithm makes them
//! wait).
//!
//! Task calls are told apart by their question (train: demo sets, val: search), proposer
//! calls by the output field they ask for; the search calls, in the order they started, are
//! cut into evaluations by the report's call counts, and the wall time is split in time order
//! at each segment's last answer. The `gap` column is the time from the previous segment's
//! last answer to this one's first call: work outside the LM (TPE, building programs, cache).
//! The CPU line is the whole process's user + system time (10 ms ticks).
//!
//! Afterwards (untimed) the unoptimized and the optimized program are scored on the 100 val
//! examples.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dspy_core::adapters::Message;
use dspy_core::client::OpenAiClient;
use dspy_core::example::{Example, Prediction};
use dspy_core::layer::cache::ResponseCache;
use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};
use dspy_core::predict::Predict;
use dspy_core::{settings, Evaluate, LmBuilder};
use dspy_optimize::mipro::{Auto, MiproV2};
use dspy_optimize::Optimizer;
use dspy_testkit::server::ChatRequest;
use dspy_testkit::{chat_completion, MockConfig, MockServer, Oracle, PromptWorld, Responder};

mod limit;
mod world;

use limit::*;
use world::*;

const LATENCY: Duration = Duration::from_millis(20);
const LIMIT: usize = 16;
/// User + system CPU time of the whole process so far (Linux: `/proc/self/stat`, in clock
/// ticks of 10 ms).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces) start after its `)`.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let multi = Arc::new(AtomicU64::new(0));
    let world = PromptWorld::new("prompts-a");
    let oracle = Oracle::new("task-a").with_magic(PromptWorld::MAGIC, 900);
    let server = MockServer::start(MockConfig::new().latency(LATENCY).responder(responder(
        world,
        oracle,
        Arc::clone(&multi),
    )))
    .await?;
    let client = OpenAiClient::builder("gpt-4o-mini")
        .base_url(server.base_url())
        .build()?;
    let calls = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder {
        inner: client,
        calls: Arc::clone(&calls),
    };
    let cache = ResponseCache::in_memory(1_000_000);
    let lm: SharedLm = LmBuilder::new(recorder)
        .cache(cache.clone())
        .concurrency_limit(LIMIT)
        .without_trace()
        .build();
    settings::configure_num_threads(LIMIT);
    let (train, val) = (dataset(0..100), dataset(100..200));
    let student = Predict::parse("question -> answer")?;
    let optimizer = MiproV2::new(exact)
        .auto(Some(Auto::Light))
        .seed(9)
        .num_threads(LIMIT)
        .prompt_lm(lm.clone())
        .task_lm(lm.clone());

    let cpu_before = cpu_time();
    let started = Instant::now();
    let compiled = settings::with_lm(
        lm.clone(),
        optimizer.compile_with_report(&student, &train, Some(&val)),
    )
    .await?;
    let finished = Instant::now();
    let cpu = cpu_time().zip(cpu_before).map(|(a, b)| a.saturating_sub(b));
    let wall = finished - started;
    let requests = server.requests();
    let stats = cache.stats();
    let mut log = calls.lock().unwrap().clone();
    log.sort_by_key(|c| c.start);

    // Untimed: the dev score before and after.
    let evaluate = Evaluate::new(val.clone()).num_threads(LIMIT);
    let before = settings::with_lm(lm.clone(), evaluate.run(&student, &exact))
        .await?
        .score;
    let after = settings::with_lm(lm.clone(), evaluate.run(&compiled.program, &exact))
        .await?
        .score;

    println!("{}", compiled.report);
    for c in &compiled.report.instruction_candidates {
        println!(
            "  instruction {} of {}: {:?}",
            c.depth, c.predictor, c.instruction
        );
    }

    // Phases by kind; task calls by their question (train: demo sets, val: search).
    let train_qs: HashSet<&str> = train.iter().filter_map(|e| e.get_str("question")).collect();
    let is_task = |c: &&Call| c.kind == Kind::Task;
    let on_train = |c: &&Call| c.question.as_deref().is_some_and(|q| train_qs.contains(q));
    let boot: Vec<&Call> = log.iter().filter(is_task).filter(on_train).collect();
    let search: Vec<&Call> = log
        .iter()
        .filter(is_task)
        .filter(|c| !on_train(c))
        .collect();
    let summary: Vec<&Call> = log
        .iter()
        .filter(|c| matches!(c.kind, Kind::Observe | Kind::Summarize))
        .collect();
    let proposals: Vec<&Call> = log
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                Kind::DescribeProgram | Kind::DescribeModule | Kind::Generate
            )
        })
        .collect();
    let other = log.iter().filter(|c| c.kind == Kind::Other).count();

    // 1. Demo sets.
    let runs = demo_set_runs(&boot);
    let set_waves: Vec<usize> = runs.iter().map(|r| set_waves(r)).collect();
    let boot_waves: usize = set_waves.iter().sum();
    let boot_waves_joint = joint_waves(&runs, LIMIT);
    let unfinished = runs.iter().filter(|r| r.last() != Some(&true)).count();
    // 2. Summary.
    let summary_waves = summary.len();
    // 3. Proposals.
    let count = |k: Kind| proposals.iter().filter(|c| c.kind == k).count();
    let (describe_p, describe_m, generate) = (
        count(Kind::DescribeProgram),
        count(Kind::DescribeModule),
        count(Kind::Generate),
    );
    let proposal_waves = waves_of(describe_p) + waves_of(describe_m) + waves_of(generate);
    // 4. Search: the evaluations of the report, with the calls the cache cannot answer.
    let report = &compiled.report;
    let first_predictor = report
        .instruction_candidates
        .first()
        .map(|c| c.predictor.clone());
    let instructions: Vec<String> = report
        .instruction_candidates
        .iter()
        .filter(|c| Some(&c.predictor) == first_predictor.as_ref())
        .map(|c| c.instruction.clone())
        .collect();
    let n_val = val.len().min(Auto::Light.val_size());
    let mut seen: HashSet<(String, usize, usize)> = HashSet::new();
    let mut evals: Vec<Eval> = Vec::new();
    for trial in &report.trials {
        let examples: Vec<usize> = if trial.full_eval {
            (0..n_val).collect()
        } else {
            trial.minibatch.clone()
        };
        let instruction = trial
            .instructions
            .first()
            .and_then(|&i| instructions.get(i))
            .cloned()
            .unwrap_or_default();
        let demo_set = trial.demo_sets.first().copied().unwrap_or(0);
        let misses = examples
            .iter()
            .filter(|&&e| seen.insert((instruction.clone(), demo_set, e)))
            .count();
        let label = match (trial.number, trial.full_eval) {
            (1, _) => "default, full".to_string(),
            (n, true) => format!("trial {n}, full"),
            (n, false) => format!("trial {n}, minibatch"),
        };
        evals.push(Eval {
            label,
            examples: examples.len(),
            misses,
        });
    }
    let search_misses: usize = evals.iter().map(|e| e.misses).sum();
    let search_hits: usize = evals.iter().map(|e| e.examples - e.misses).sum();
    let eval_waves: Vec<usize> = evals.iter().map(|e| waves_of(e.misses)).collect();
    let search_waves: usize = eval_waves.iter().sum();

    // Did our run overlap the summary with the demo sets (DSPy runs it after them)?
    let first_start = |calls: &[&Call]| calls.iter().map(|c| c.start).min();
    let last_end = |calls: &[&Call]| calls.iter().map(|c| c.end).max();
    let summary_overlaps = match (first_start(&summary), last_end(&boot)) {
        (Some(s), Some(b)) => s < b,
        _ => false,
    };
    let pre_waves_ours = if summary_overlaps {
        boot_waves_joint.max(summary_waves)
    } else {
        boot_waves_joint + summary_waves
    };

    let wave_ms = ms(LATENCY);
    let tail_waves = proposal_waves + search_waves;
    let total_waves = boot_waves + summary_waves + tail_waves;
    let ours_waves = pre_waves_ours + tail_waves;
    let limit = total_waves as f64 * wave_ms / 1000.0;
    let limit_ours = ours_waves as f64 * wave_ms / 1000.0;
    let wall_s = wall.as_secs_f64();
    let at = |t: Option<Instant>| t.map_or(0.0, |t| ms(t.saturating_duration_since(started)));

    println!(
        "\nLM calls: {requests} answered by the mock ({} recorded: {} demo sets, {} summary, {} proposals, {} search, {other} other), {} more answered by the cache ({} coalesced); requests with n > 1: {}",
        log.len(),
        boot.len(),
        summary.len(),
        proposals.len(),
        search.len(),
        stats.hits(),
        stats.coalesced,
        multi.load(Ordering::Relaxed),
    );
    if let Some(cpu) = cpu {
        println!(
            "CPU (whole process: optimizer, client stack and mock server): {:.0} ms in {:.0} ms wall, {:.0} µs per call at the server",
            ms(cpu),
            ms(wall),
            cpu.as_secs_f64() * 1e6 / requests.max(1) as f64
        );
    }
    println!(
        "trials: {} ({} minibatch, {} full evaluations including the default program's), {} examples evaluated",
        report.trials.len(),
        report.trials.iter().filter(|t| !t.full_eval).count(),
        report.trials.iter().filter(|t| t.full_eval).count(),
        report.evaluations,
    );

    println!(
        "\nthe limit (DSPy's structure), in waves of at most {LIMIT} calls of {wave_ms:.0} ms:"
    );
    println!(
        "  1. demo sets, one after another: {} bootstrapped sets, calls {:?}, passes {:?}, waves {:?} = {boot_waves} waves{}",
        runs.len(),
        runs.iter().map(Vec::len).collect::<Vec<_>>(),
        runs.iter().map(|r| r.iter().filter(|&&p| p).count()).collect::<Vec<_>>(),
        set_waves,
        if unfinished > 0 {
            format!(" ({unfinished} sets ran out of examples: waves are a guess)")
        } else {
            String::new()
        },
    );
    println!("  2. data-set summary: {summary_waves} calls in a row = {summary_waves} waves");
    println!(
        "  3. proposals: {describe_p} describe-program, {describe_m} describe-module, {generate} instruction calls = {proposal_waves} waves"
    );
    println!(
        "  4. search: {} evaluations, calls at the server {:?} = waves {:?} = {search_waves} waves",
        evals.len(),
        evals.iter().map(|e| e.misses).collect::<Vec<_>>(),
        eval_waves,
    );
    if search_hits as u64 != stats.hits() {
        println!(
            "  WARNING: the cache answered {} calls, the search's evaluations account for {search_hits}",
            stats.hits()
        );
    }
    if search_misses != search.len() {
        println!(
            "  WARNING: the report's evaluations need {search_misses} calls, the server saw {} in the search",
            search.len()
        );
    }
    println!(
        "  total: {boot_waves} + {summary_waves} + {proposal_waves} + {search_waves} = {total_waves} waves = {limit:.2} s"
    );
    println!(
        "our structure: the demo sets at once ({boot_waves_joint} waves){}: {pre_waves_ours} + {proposal_waves} + {search_waves} = {ours_waves} waves = {limit_ours:.2} s",
        if summary_overlaps {
            ", the data-set summary during them"
        } else {
            ", then the data-set summary"
        },
    );

    // Wall time in time order: each segment ends at its last answer.
    println!(
        "\n{:<32} {:>6} {:>6} {:>6} {:>9} {:>9} {:>8} {:>7}",
        "segment", "calls", "DSPy", "ours", "limit ms", "wall ms", "excess", "gap ms"
    );
    println!(
        "{:<32} {:>6} {:>6} {:>6} {:>9} {:>9} {:>8} {:>7}",
        "", "", "waves", "waves", "(ours)", "", "", ""
    );
    let row = |name: &str, calls: usize, dspy: usize, ours: usize, wall: f64, gap: f64| {
        let limit = ours as f64 * wave_ms;
        println!(
            "{name:<32} {calls:>6} {dspy:>6} {ours:>6} {limit:>9.1} {wall:>9.1} {:>+8.1} {gap:>7.1}",
            wall - limit
        );
    };
    let pre: Vec<&Call> = boot.iter().chain(&summary).copied().collect();
    let pre_end = last_end(&pre).unwrap_or(started);
    row(
        if summary_overlaps {
            "demo sets + summary (overlapped)"
        } else {
            "demo sets, then summary"
        },
        pre.len(),
        boot_waves + summary_waves,
        pre_waves_ours,
        ms(pre_end - started),
        at(first_start(&pre)),
    );
    println!(
        "  (demo sets: first call at {:.1} ms, last answer at {:.1} ms; summary: {:.1} to {:.1} ms)",
        at(first_start(&boot)),
        at(last_end(&boot)),
        at(first_start(&summary)),
        at(last_end(&summary)),
    );
    let mut prev = pre_end;
    let proposals_end = last_end(&proposals).unwrap_or(prev).max(prev);
    row(
        "proposals",
        proposals.len(),
        proposal_waves,
        proposal_waves,
        ms(proposals_end - prev),
        first_start(&proposals).map_or(0.0, |t| ms(t.saturating_duration_since(prev))),
    );
    prev = proposals_end;
    let search_start = prev;
    let mut offset = 0;
    let (mut minibatch_wall, mut full_wall) = (0.0, 0.0);
    let (mut minibatch_waves, mut full_waves) = (0, 0);
    for (e, waves) in evals.iter().zip(&eval_waves) {
        let chunk = &search[offset.min(search.len())..(offset + e.misses).min(search.len())];
        offset += e.misses;
        let end = last_end(chunk).unwrap_or(prev).max(prev);
        let gap = first_start(chunk).map_or(0.0, |t| ms(t.saturating_duration_since(prev)));
        let wall = ms(end - prev);
        if e.examples == n_val {
            full_wall += wall;
            full_waves += waves;
        } else {
            minibatch_wall += wall;
            minibatch_waves += waves;
        }
        row(
            &format!("  {} ({} ex.)", e.label, e.examples),
            e.misses,
            *waves,
            *waves,
            wall,
            gap,
        );
        prev = end;
    }
    println!(
        "  (full evaluations: {full_waves} waves, {full_wall:.1} ms; minibatches: {minibatch_waves} waves, {minibatch_wall:.1} ms)"
    );
    row(
        "search",
        search.len(),
        search_waves,
        search_waves,
        ms(prev - search_start),
        0.0,
    );
    println!(
        "{:<32} {:>6} {:>6} {:>6} {:>9} {:>9.1}",
        "after the last answer",
        "",
        "",
        "",
        "",
        ms(finished.saturating_duration_since(prev))
    );
    println!(
        "{:<32} {:>6} {total_waves:>6} {ours_waves:>6} {:>9.1} {:>9.1} {:>+8.1}",
        "total",
        log.len(),
        limit_ours * 1000.0,
        wall_s * 1000.0,
        (wall_s - limit_ours) * 1000.0
    );

    println!(
        "\nMIPROv2 light on {} train / {} val: {wall_s:.2} s wall, {requests} LM calls at the server ({} with cache hits), limit {limit:.2} s (DSPy's structure), {:.2}x the limit; {:.2}x the {limit_ours:.2} s our structure allows; dev score {before} -> {after}; Python DSPy 3.4.1: 3.35 s, 686 calls",
        train.len(),
        val.len(),
        requests + stats.hits(),
        wall_s / limit,
        wall_s / limit_ours,
    );
    Ok(())
}
