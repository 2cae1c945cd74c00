//! Same world, same prompts as Python DSPy 3.4.1 for the instruction optimizers.
//!
//! `scripts/record_instruction_fixtures.py` ran COPRO and MIPROv2 in Python against a prompt
//! model (`dspy_testkit::PromptWorld`) and a task model (`dspy_testkit::Oracle` with an
//! instruction bonus) whose answers are pure functions of the prompt bytes; the Rust twins
//! answer the same. COPRO has no randomness, so the whole run must match: every proposer
//! prompt, the candidates and their scores, the saved program. MIPROv2 must match up to its
//! TPE search (Optuna's numpy generator is not reproduced): the demo sets, every proposer
//! prompt with its rollout id, the instruction candidates, and the minibatches its
//! `random.Random(seed)` draws.

use std::sync::Arc;

use dspy_core::example::Example;
use dspy_core::lm::{LmRequest, SharedLm};
use dspy_core::predict::Predict;
use dspy_core::{settings, Module};
use dspy_optimize::mipro::{Auto, MiproV2};
use dspy_optimize::{Copro, Optimizer};
use dspy_testkit::{Oracle, PromptWorld, ScriptedLm};
mod support;
use support::recorded::{exact_answer, qa_examples};

use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    support::recorded::fixture("instructions", name)
}

fn rows() -> Vec<Example> {
    qa_examples(include_str!("data/instruction_qa.json"))
}

fn exact() -> impl dspy_core::Metric + Clone + 'static {
    exact_answer()
}

/// The task and prompt LMs of a recorded world.
fn world(want: &Value) -> (Arc<ScriptedLm>, Arc<ScriptedLm>) {
    let magic = &want["magic"];
    let task = Oracle::new(want["task_salt"].as_str().unwrap()).with_magic(
        magic["phrase"].as_str().unwrap(),
        magic["per_mille"].as_u64().unwrap(),
    );
    let prompts = PromptWorld::new(want["prompt_salt"].as_str().unwrap());
    (Arc::new(task.lm()), Arc::new(prompts.lm()))
}

/// A request as the recorder wrote it: messages, `n` as sent, temperature, rollout id.
fn call_json(request: &LmRequest) -> Value {
    let messages: Vec<Value> = request
        .messages
        .iter()
        .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
        .collect();
    json!({
        "messages": messages,
        "n_requested": request.params.n,
        "temperature": request.params.temperature,
        "rollout_id": request.params.rollout_id,
    })
}

fn recorded_calls(want: &Value) -> Vec<Value> {
    want["prompt_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            json!({
                "messages": c["messages"],
                "n_requested": c["n_requested"],
                "temperature": c["temperature"],
                "rollout_id": c["rollout_id"],
            })
        })
        .collect()
}

fn assert_same_calls(ours: &[Value], python: &[Value], what: &str) {
    assert_eq!(ours.len(), python.len(), "{what}: prompt-model calls");
    for (i, (a, b)) in ours.iter().zip(python).enumerate() {
        assert_eq!(
            a,
            b,
            "{what}: prompt call {i} differs\nours:   {}\npython: {}",
            serde_json::to_string_pretty(a).unwrap(),
            serde_json::to_string_pretty(b).unwrap()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copro_matches_python() {
    for name in ["copro-world-a", "copro-world-b"] {
        let want = fixture(name);
        let (task, prompts) = world(&want);
        let config = &want["config"];
        let copro = Copro::new(exact())
            .breadth(config["breadth"].as_u64().unwrap() as usize)
            .depth(config["depth"].as_u64().unwrap() as usize)
            .init_temperature(config["init_temperature"].as_f64().unwrap())
            .prompt_lm(prompts.clone() as SharedLm);
        let student = Predict::parse("question -> answer").unwrap();
        let train = rows()[..20].to_vec();
        let compiled = settings::with_lm(
            task.clone() as SharedLm,
            copro.compile_with_report(&student, &train, None),
        )
        .await
        .unwrap();

        let ours: Vec<Value> = prompts.requests().iter().map(call_json).collect();
        assert_same_calls(&ours, &recorded_calls(&want), name);
        assert_eq!(
            task.calls() as u64,
            want["task_calls"].as_u64().unwrap(),
            "{name}: task calls"
        );
        assert_eq!(
            compiled.program.dump_state(),
            want["program"],
            "{name}: saved program"
        );
        let candidates: Vec<Value> = compiled
            .report
            .instruction_candidates
            .iter()
            .map(|c| {
                json!({"instruction": c.instruction, "prefix": c.prefix, "score": c.score, "depth": c.depth})
            })
            .collect();
        assert_eq!(
            Value::from(candidates),
            want["candidates"],
            "{name}: candidates"
        );
        assert_eq!(
            compiled.report.evaluations as u64,
            want["total_calls"].as_u64().unwrap(),
            "{name}: evaluations"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mipro_proposals_match_python() {
    for name in [
        "mipro-light-world-a",
        "mipro-light-world-b",
        "mipro-zeroshot-world-a",
        "mipro-zeroshot-world-b",
    ] {
        let want = fixture(name);
        let (task, prompts) = world(&want);
        let config = &want["config"];
        let mipro = MiproV2::new(exact())
            .auto(Some(Auto::Light))
            .seed(config["seed"].as_u64().unwrap())
            .max_bootstrapped_demos(config["max_bootstrapped_demos"].as_u64().unwrap() as usize)
            .max_labeled_demos(config["max_labeled_demos"].as_u64().unwrap() as usize)
            .prompt_lm(prompts.clone() as SharedLm)
            .task_lm(task.clone() as SharedLm);
        let student = Predict::parse("question -> answer").unwrap();
        let rows = rows();
        let compiled = mipro
            .compile_with_report(&student, &rows[..40], Some(&rows[40..100]))
            .await
            .unwrap();

        // Every proposer prompt, with its rollout id; the proposals may finish in any order.
        let mut ours: Vec<Value> = prompts.requests().iter().map(call_json).collect();
        let mut python = recorded_calls(&want);
        let key = |v: &Value| v.to_string();
        ours.sort_by_key(key);
        python.sort_by_key(key);
        assert_same_calls(&ours, &python, name);

        let proposed: Vec<Value> = compiled
            .report
            .instruction_candidates
            .iter()
            .map(|c| Value::from(c.instruction.clone()))
            .collect();
        assert_eq!(
            Value::from(proposed),
            want["instruction_candidates"]["0"],
            "{name}: instructions"
        );

        // The minibatches come from the same generator after the same draws.
        let minibatches: Vec<Value> = compiled
            .report
            .trials
            .iter()
            .filter(|t| !t.full_eval)
            .map(|t| json!(t.minibatch))
            .collect();
        assert_eq!(
            Value::from(minibatches),
            want["minibatches"],
            "{name}: minibatches"
        );

        // The search itself differs from Optuna's, but it must find what Python found here:
        // an instruction with the phrase the task model rewards, when Python found one.
        let python_best = want["program"]["signature"]["instructions"]
            .as_str()
            .unwrap();
        if python_best.contains(PromptWorld::MAGIC) {
            let ours = compiled.program.named_predictors()[0]
                .1
                .signature()
                .instructions()
                .to_string();
            assert!(
                ours.contains(PromptWorld::MAGIC),
                "{name}: ours chose {ours:?}"
            );
        }
    }
}
