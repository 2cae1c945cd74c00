//! Same world, same choices as Python DSPy 3.4.1: each optimizer runs against the oracle LM
//! (`dspy_testkit::Oracle`, whose Python twin recorded the fixtures with
//! `scripts/record_optimizer_fixtures.py`) and must save the same program, make the same number
//! of LM calls and, for random search, give every candidate the same score.
//!
//! DSPy's few-shot optimizers take no seed: they draw from `random.Random(0)` (random search:
//! `Random(candidate)`), which is our default seed 0; the two recorded worlds differ in the
//! oracle's salt. `Ensemble` samples from Python's global generator, seeded by the recorder with
//! `random.seed(s)`, as ours is with `.seed(s)`.

use std::sync::Arc;

use dspy_core::example::Example;
use dspy_core::predict::Predict;
use dspy_core::{settings, Module};
use dspy_optimize::{
    majority, BootstrapFewShot, BootstrapFewShotWithRandomSearch, Ensemble, LabeledFewShot,
    Optimizer,
};
use dspy_testkit::{ConcurrencyProbe, Oracle};
use serde_json::Value;

mod support;
use support::recorded::{exact_answer, qa_examples};

const WORLDS: [&str; 2] = ["world-a", "world-b"];

fn fixture(name: &str) -> Value {
    support::recorded::fixture("parity", name)
}

fn data() -> (Vec<Example>, Vec<Example>) {
    let examples = qa_examples(include_str!("data/parity_qa.json"));
    (examples[..24].to_vec(), examples[24..].to_vec())
}

fn student() -> Predict {
    Predict::parse("question -> answer").unwrap()
}

fn exact() -> impl dspy_core::Metric + Clone + 'static {
    exact_answer()
}

/// Runs `f` with the oracle of `salt` as the LM; returns its result and the LM's call count.
/// The probe gives way to other tasks inside every call, as a real LM does, so calls that run
/// concurrently really overlap and a call made ahead of DSPy's order would be counted.
async fn in_world<T>(salt: &str, f: impl std::future::Future<Output = T>) -> (T, usize) {
    let lm = Arc::new(Oracle::new(salt).lm());
    let shared: dspy_core::lm::SharedLm = ConcurrencyProbe::new(lm.clone());
    let out = settings::with_lm(shared, f).await;
    (out, lm.calls())
}

fn assert_same_program(ours: &Value, python: &Value, what: &str) {
    assert_eq!(
        ours,
        python,
        "{what}: the saved program differs from Python DSPy's\nours:   {}\npython: {}",
        serde_json::to_string(ours).unwrap_or_default(),
        serde_json::to_string(python).unwrap_or_default()
    );
}

#[tokio::test]
async fn labeled_few_shot_matches_python() {
    let (train, _) = data();
    for world in WORLDS {
        let want = fixture(&format!("labeled_few_shot-{world}"));
        let (program, calls) = in_world(world, async {
            LabeledFewShot::new(5)
                .compile(&student(), &train, None)
                .await
                .unwrap()
        })
        .await;
        assert_same_program(&program.dump_state(), &want["program"], world);
        assert_eq!(calls as u64, want["lm_calls"].as_u64().unwrap());
    }
}

#[tokio::test]
async fn bootstrap_few_shot_matches_python() {
    let (train, _) = data();
    for world in WORLDS {
        let want = fixture(&format!("bootstrap_few_shot-{world}"));
        let (program, calls) = in_world(world, async {
            BootstrapFewShot::new()
                .metric(exact())
                .max_bootstrapped_demos(4)
                .max_labeled_demos(16)
                .compile(&student(), &train, None)
                .await
                .unwrap()
        })
        .await;
        assert_same_program(&program.dump_state(), &want["program"], world);
        assert_eq!(
            calls as u64,
            want["lm_calls"].as_u64().unwrap(),
            "{world}: LM calls"
        );
    }
}

#[tokio::test]
async fn random_search_matches_python() {
    let (train, dev) = data();
    for world in WORLDS {
        let want = fixture(&format!("random_search-{world}"));
        let (compiled, calls) = in_world(world, async {
            BootstrapFewShotWithRandomSearch::new(exact())
                .max_bootstrapped_demos(3)
                .max_labeled_demos(6)
                .num_candidate_programs(8)
                .compile_with_report(&student(), &train, Some(&dev))
                .await
                .unwrap()
        })
        .await;
        let mut ours: Vec<(i64, f64)> = compiled
            .report
            .candidates
            .iter()
            .map(|c| (c.seed, c.score))
            .collect();
        ours.sort_by_key(|(seed, _)| *seed);
        let python: Vec<(i64, f64)> = want["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["seed"].as_i64().unwrap(), c["score"].as_f64().unwrap()))
            .collect();
        assert_eq!(ours, python, "{world}: candidate scores");
        for candidate in &compiled.candidates {
            let python = want["candidates"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["seed"].as_i64() == Some(candidate.report.seed))
                .expect("every candidate was recorded");
            let what = format!("{world}, candidate {}", candidate.report.seed);
            assert_same_program(&candidate.program.dump_state(), &python["program"], &what);
        }
        assert_same_program(&compiled.program.dump_state(), &want["program"], world);
        assert_eq!(
            calls as u64,
            want["lm_calls"].as_u64().unwrap(),
            "{world}: LM calls"
        );
    }
}

#[tokio::test]
async fn ensemble_matches_python() {
    let (train, dev) = data();
    for seed in [0u64, 7] {
        let want = fixture(&format!("ensemble-seed{seed}"));
        let salt = want["salt"].as_str().unwrap().to_string();
        let (answers, calls) = in_world(&salt, async {
            let mut members = Vec::new();
            for k in [2, 4, 6] {
                members.push(
                    LabeledFewShot::new(k)
                        .compile(&student(), &train, None)
                        .await
                        .unwrap(),
                );
            }
            let ensemble = Ensemble::new(majority("answer"))
                .size(2)
                .seed(seed)
                .compile(&members)
                .unwrap();
            let mut answers = Vec::new();
            for ex in &dev[..8] {
                let pred = ensemble
                    .forward(ex.inputs().unwrap().into_values())
                    .await
                    .unwrap();
                answers.push(Value::from(pred.get_str("answer").unwrap_or_default()));
            }
            answers
        })
        .await;
        assert_eq!(Value::from(answers), want["answers"], "seed {seed}");
        assert_eq!(
            calls as u64,
            want["lm_calls"].as_u64().unwrap(),
            "seed {seed}"
        );
    }
}
