//! Quick start: a typed DSPy program on the embedded local model, no API key, no server.
//!
//! `bash scripts/fetch-model.sh && cargo run --release -p dspy-examples --example quickstart`
//!
//! Runs `Predict<QA>` with three demos and `ChainOfThought<QA>` on a small handmade question set
//! with SmolLM2-135M-Instruct in process, printing each answer and the dev-set score.

use std::sync::Arc;

use dspy::core::lm::SharedLm;
use dspy::core::predict::LmConfig;
use dspy::prelude::*;
use dspy_local::{LocalLm, LocalLmOptions, DEFAULT_MODEL};

/// Answer questions with short factoid answers.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output(desc = "often between 1 and 5 words")]
    answer: String,
}

/// Handmade questions and the word a correct answer contains.
const DEV: [(&str, &str); 6] = [
    ("What is the capital of France?", "paris"),
    ("What color is the sky on a clear day?", "blue"),
    ("How many legs does a dog have?", "4"),
    ("Which animal says meow?", "cat"),
    ("What do bees make?", "honey"),
    ("What is frozen water called?", "ice"),
];

/// Worked examples shown to the model (the small model needs them to follow DSPy's format).
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = LocalLmOptions::default()
        .constrain_chat_format(true)
        .default_max_tokens(48);
    let lm: SharedLm = Arc::new(LocalLm::new(DEFAULT_MODEL, options)?);
    let config = LmConfig::default().max_tokens(48);

    let predict = Predict::<QA>::new()
        .with_lm(lm.clone())
        .with_config(config)
        .with_demos(demos());
    let mut cot = ChainOfThought::<QA>::new();
    cot.set_lm(lm.clone());

    let mut correct = 0;
    for (question, want) in DEV {
        let input = || QAInput {
            question: question.to_string(),
        };
        let answer = match predict.forward(input()).await {
            Ok(out) => out.answer,
            Err(e) => format!(
                "<no parse: {}>",
                e.to_string().lines().next().unwrap_or_default()
            ),
        };
        if answer.to_lowercase().contains(want) {
            correct += 1;
        }
        println!("Q: {question}\n   Predict: {answer}");
        match cot.forward(input()).await {
            Ok(out) => println!(
                "   ChainOfThought: {} (reasoning: {})",
                out.answer, out.reasoning
            ),
            Err(e) => println!(
                "   ChainOfThought: <no parse: {}>",
                e.to_string().lines().next().unwrap_or_default()
            ),
        }
    }
    println!(
        "dev-set score (Predict with 3 demos): {correct}/{}",
        DEV.len()
    );
    Ok(())
}
