//! Speed of the embedded model: load time, prompt and generated tokens/s, peak memory.
//!
//! `cargo run --release -p dspy-local --example bench_local -- [MODEL.gguf] [--threads 1,2]
//! [--pp 512] [--tg 128] [--reps 3] [--batch 4]`
//!
//! Each thread count runs in a child process (rayon's global pool is sized once per process).
//! `DSPY_LOCAL_ISA=avx2` (or `portable`) measures a lesser kernel on the same machine.
//! Prompt processing ("pp") runs `--pp` tokens through an empty cache; generation ("tg") runs
//! `--tg` single-token steps after them, picking the argmax each step. With `--batch B`
//! (B > 1) it also generates for B such sequences at once, one batched forward pass per step
//! (`tg128x4`: all B sequences' tokens per second). Peak memory is the child's VmHWM. Compare with llama.cpp on the same file: `scripts/bench_llama_cpp.py`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use dspy_local::engine::Engine;
use dspy_local::sampler::argmax;

struct Args {
    model: PathBuf,
    threads: Vec<usize>,
    pp: usize,
    tg: usize,
    reps: usize,
    batch: usize,
    child: bool,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        model: dspy_local::resolve_model(dspy_local::DEFAULT_MODEL).map_err(|e| e.to_string())?,
        threads: vec![1, 2],
        pp: 512,
        tg: 128,
        reps: 3,
        batch: 1,
        child: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut num = |what: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{what} needs a number"))
        };
        match a.as_str() {
            "--threads" => {
                let v = std::env::args()
                    .skip_while(|x| x != "--threads")
                    .nth(1)
                    .unwrap_or_default();
                it.next();
                args.threads = v.split(',').filter_map(|x| x.parse().ok()).collect();
            }
            "--pp" => args.pp = num("--pp")?,
            "--tg" => args.tg = num("--tg")?,
            "--reps" => args.reps = num("--reps")?,
            "--batch" => args.batch = num("--batch")?,
            "--child" => args.child = true,
            m => args.model = PathBuf::from(m),
        }
    }
    Ok(args)
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn child(args: &Args) -> Result<(), String> {
    let threads = rayon::current_num_threads();
    let started = Instant::now();
    let engine =
        Engine::load(&args.model, args.pp + args.tg + 8, None).map_err(|e| e.to_string())?;
    let load = started.elapsed().as_secs_f64();
    // A fixed, realistic prompt: a DSPy-style system message repeated to the length asked for.
    let text = "Your input fields are:\n1. `question` (str)\nYour output fields are:\n1. `answer` (str)\nAll interactions will be structured in the following way, with the appropriate values filled in.\n";
    let mut prompt = Vec::new();
    while prompt.len() < args.pp {
        prompt.extend(engine.tokenizer().encode(text));
    }
    prompt.truncate(args.pp);
    let model = engine.model();
    let mut cache = model
        .new_cache(args.pp + args.tg + 8)
        .map_err(|e| e.to_string())?;
    // Warm-up: one short prefill and a few steps (thread pool start, weight repacking).
    let logits = model
        .forward(&prompt[..16.min(prompt.len())], &mut cache)
        .map_err(|e| e.to_string())?;
    let mut next = argmax(&logits);
    for _ in 0..4 {
        next = argmax(
            &model
                .forward(&[next], &mut cache)
                .map_err(|e| e.to_string())?,
        );
    }
    let (mut pp_best, mut tg_best) = (0f64, 0f64);
    for _ in 0..args.reps.max(1) {
        cache.truncate(0);
        let t = Instant::now();
        let logits = model
            .forward(&prompt, &mut cache)
            .map_err(|e| e.to_string())?;
        let pp = args.pp as f64 / t.elapsed().as_secs_f64();
        let mut next = argmax(&logits);
        let t = Instant::now();
        for _ in 0..args.tg {
            next = argmax(
                &model
                    .forward(&[next], &mut cache)
                    .map_err(|e| e.to_string())?,
            );
        }
        let tg = args.tg as f64 / t.elapsed().as_secs_f64();
        pp_best = pp_best.max(pp);
        tg_best = tg_best.max(tg);
    }
    let batched = if args.batch > 1 {
        let tok_s = batched_tg(args, model, &prompt)?;
        format!("  tg{}x{}={tok_s:.1} tok/s", args.tg, args.batch)
    } else {
        String::new()
    };
    println!(
        "dspy-local  isa={:?}  threads={threads}  load={load:.3}s  pp{}={pp_best:.1} tok/s  tg{}={tg_best:.1} tok/s{batched}  peak_rss={:.1} MiB",
        dspy_local::model::Isa::detect(),
        args.pp,
        args.tg,
        vm_hwm_kib() as f64 / 1024.0
    );
    Ok(())
}

/// Tokens per second of `--batch` sequences generated at once, each after the same prompt:
/// the best of `--reps` runs of `--tg` batched steps.
fn batched_tg(
    args: &Args,
    model: &dspy_local::model::Llama,
    prompt: &[u32],
) -> Result<f64, String> {
    let err = |e: dspy_local::LocalError| e.to_string();
    let mut caches = (0..args.batch)
        .map(|_| model.new_cache(args.pp + args.tg + 8))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    let mut best = 0f64;
    for _ in 0..args.reps.max(1) {
        let mut next = Vec::new();
        for cache in &mut caches {
            cache.truncate(0);
            next.push(argmax(&model.forward(prompt, cache).map_err(err)?));
        }
        let t = Instant::now();
        for _ in 0..args.tg {
            let feeds: Vec<[u32; 1]> = next.iter().map(|&id| [id]).collect();
            let mut batch: Vec<(&[u32], &mut dspy_local::model::KvCache)> = feeds
                .iter()
                .map(|f| f.as_slice())
                .zip(caches.iter_mut())
                .collect();
            let logits = model.forward_batch(&mut batch).map_err(err)?;
            next = logits.iter().map(|l| argmax(l)).collect();
        }
        best = best.max((args.tg * args.batch) as f64 / t.elapsed().as_secs_f64());
    }
    Ok(best)
}

fn main() {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench_local: {e}");
            std::process::exit(2);
        }
    };
    if !args.model.is_file() {
        eprintln!(
            "bench_local: model {} not found; run `{}`",
            args.model.display(),
            dspy_local::FETCH_COMMAND
        );
        std::process::exit(1);
    }
    if args.child {
        if let Err(e) = child(&args) {
            eprintln!("bench_local: {e}");
            std::process::exit(1);
        }
        return;
    }
    println!("model: {}", args.model.display());
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("bench_local"));
    for &n in &args.threads {
        let status = Command::new(&exe)
            .arg(&args.model)
            .args(["--pp", &args.pp.to_string(), "--tg", &args.tg.to_string()])
            .args(["--reps", &args.reps.to_string(), "--child"])
            .args(["--batch", &args.batch.to_string()])
            .env("CANDLE_NUM_THREADS", n.to_string())
            .env("RAYON_NUM_THREADS", n.to_string())
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("bench_local: run with {n} threads failed");
        }
    }
}
