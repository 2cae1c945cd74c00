//! A DSPy program (`Predict` through the Chat adapter) on the real SmolLM2-135M model: the
//! adapter's messages go to the local model and its completions must parse. When the model file
//! is absent (fetch it with `bash scripts/fetch-model.sh`) each test fails under CI and elsewhere
//! prints `SKIPPED: <test>: ..` and returns (see `support`).

mod support;

use std::sync::Arc;

use dspy_core::example::Example;
use dspy_core::lm::SharedLm;
use dspy_core::predict::{ChainOfThought, LmConfig, Predict};
use dspy_local::{LocalLm, LocalLmOptions};
use serde_json::{json, Value};
use support::{model_or_skip, rt};

const QUESTIONS: [&str; 6] = [
    "What is the capital of France?",
    "What color is the sky on a clear day?",
    "How many legs does a dog have?",
    "Which animal says meow?",
    "What do bees make?",
    "What is frozen water called?",
];

/// The local LM with the given format constraint, or `None` when the model file is absent and
/// the test skips (see `support`).
fn lm(constrained: bool) -> Option<SharedLm> {
    let options = LocalLmOptions::default()
        .context_length(2048)
        .constrain_chat_format(constrained);
    let lm = LocalLm::from_path("local/smollm2-135m", model_or_skip()?, options).expect("loads");
    Some(Arc::new(lm))
}

/// `question -> answer` on `lm`, Chat adapter only (no JSON fallback), greedy.
fn program(lm: SharedLm, demos: Vec<Example>) -> Predict {
    Predict::parse("question -> answer")
        .expect("signature")
        .with_lm(lm)
        .with_config(LmConfig::default().max_tokens(32).temperature(0.0))
        .with_json_fallback(false)
        .with_demos(demos)
}

/// Runs `program` on every question; returns the parsed answers and the parse errors.
fn run_all(program: &Predict) -> (Vec<String>, Vec<String>) {
    let (mut answers, mut errors) = (Vec::new(), Vec::new());
    rt().block_on(async {
        for q in QUESTIONS {
            let inputs = json!({ "question": q })
                .as_object()
                .cloned()
                .expect("object");
            match program.forward(inputs).await {
                Ok(p) => match p.get("answer") {
                    Some(Value::String(a)) => answers.push(a.clone()),
                    other => errors.push(format!("{q}: answer is {other:?}")),
                },
                Err(e) => errors.push(format!("{q}: {e}")),
            }
        }
    });
    (answers, errors)
}

fn demos() -> Vec<Example> {
    [
        ("What is the capital of Italy?", "Rome"),
        ("How many wheels does a bicycle have?", "2"),
        ("What color is grass?", "Green"),
    ]
    .into_iter()
    .map(|(q, a)| {
        Example::new()
            .with("question", q)
            .with("answer", a)
            .with_inputs(["question"])
    })
    .collect()
}

#[test]
fn zero_shot_predict_parses_with_the_constrained_chat_format() {
    let Some(lm) = lm(true) else { return };
    let (answers, errors) = run_all(&program(lm, Vec::new()));
    assert!(errors.is_empty(), "parse failures: {errors:#?}");
    assert_eq!(answers.len(), QUESTIONS.len());
    assert!(answers.iter().all(|a| !a.trim().is_empty()), "{answers:?}");
    // The answers are the model's own, not a copy of the field placeholder.
    assert!(
        answers.iter().all(|a| !a.contains("{answer}")),
        "{answers:?}"
    );
    eprintln!("zero-shot answers: {answers:?}");
}

#[test]
fn predict_with_demos_parses_and_answers_most_correctly() {
    let Some(lm) = lm(true) else { return };
    let (answers, errors) = run_all(&program(lm, demos()));
    assert!(errors.is_empty(), "parse failures: {errors:#?}");
    let expected = ["paris", "blue", "4", "cat", "honey", "ice"];
    eprintln!("answers with demos: {answers:?}");
    let correct = answers
        .iter()
        .zip(expected)
        .filter(|(a, want)| a.to_lowercase().contains(want))
        .count();
    // Measured: with 3 demos the 135M model answers 2 of these 6 correctly (Paris, Blue).
    assert!(correct >= 2, "only {correct} correct: {answers:?}");
}

#[test]
fn zero_shot_chain_of_thought_gives_every_field_under_the_constraint() {
    let Some(lm) = lm(true) else { return };
    let cot = ChainOfThought::parse("question -> answer").expect("signature");
    let predict = cot.predict().clone();
    let cot = ChainOfThought::from_predict(
        predict
            .with_lm(lm)
            .with_config(LmConfig::default().max_tokens(96).temperature(0.0))
            .with_json_fallback(false),
    );
    rt().block_on(async {
        for q in &QUESTIONS[..3] {
            let inputs = json!({ "question": q })
                .as_object()
                .cloned()
                .expect("object");
            let p = cot
                .forward(inputs)
                .await
                .unwrap_or_else(|e| panic!("{q}: {e}"));
            for field in ["reasoning", "answer"] {
                let value = p.get(field).and_then(Value::as_str).unwrap_or_default();
                assert!(!value.trim().is_empty(), "{q}: empty {field}: {p:?}");
            }
        }
    });
}

#[test]
fn a_literal_output_is_one_of_its_members_under_the_constraint() {
    let Some(lm) = lm(true) else { return };
    let members = ["positive", "negative", "neutral"];
    let program = Predict::parse("review -> sentiment: Literal['positive', 'negative', 'neutral']")
        .expect("signature")
        .with_lm(lm)
        .with_config(LmConfig::default().max_tokens(32).temperature(0.0))
        .with_json_fallback(false);
    rt().block_on(async {
        for review in [
            "I loved this film, the best I have seen all year!",
            "Terrible food and rude staff.",
            "The package arrived on Tuesday.",
        ] {
            let inputs = json!({ "review": review })
                .as_object()
                .cloned()
                .expect("object");
            let p = program
                .forward(inputs)
                .await
                .unwrap_or_else(|e| panic!("{review}: {e}"));
            let sentiment = p.get("sentiment").and_then(Value::as_str);
            eprintln!("{review:?} -> {sentiment:?}");
            assert!(
                sentiment.is_some_and(|s| members.contains(&s)),
                "{review}: {p:?}"
            );
        }
    });
}
