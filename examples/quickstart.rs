//! Quick start: a typed DSPy program on the embedded local model, no API key, no server.
//!
//! `bash scripts/fetch-model.sh && cargo run --release -p dspy-examples --example quickstart`
//!
//! With SmolLM2-135M-Instruct running in process, it:
//! 1. scores a zero-shot `Predict<QA>` on a handmade dev set of 148 held-out questions
//!    (`examples/data/qa.json`),
//! 2. shows `ChainOfThought<QA>` with its reasoning on two questions,
//! 3. compiles the program with `BootstrapFewShot` on the training questions and scores the
//!    compiled program on the same dev set (never used for training), then saves it as DSPy JSON.

use std::sync::Arc;
use std::time::Instant;

use dspy::core::evaluate::metric_fn;
use dspy::core::lm::SharedLm;
use dspy::core::predict::LmConfig;
use dspy::optimize::{BootstrapFewShot, Optimizer};
use dspy::prelude::*;
use dspy::Evaluate;
use dspy_local::{LocalLm, LocalLmOptions, DEFAULT_MODEL};
use serde_json::Value;

/// Answer questions with short factoid answers.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output(desc = "often between 1 and 5 words")]
    answer: String,
}

/// The handmade question set, kept beside this example.
const DATA: &str = include_str!("data/qa.json");

/// Reads one split of `data/qa.json` as examples with `question` as the input; `answer` is the
/// label and `accept` the words a correct answer may contain.
fn split(data: &Value, name: &str) -> Vec<Example> {
    data[name]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|row| {
            Example::new()
                .with("question", row["question"].clone())
                .with("answer", row["answer"].clone())
                .with("accept", row["accept"].clone())
                .with_inputs(["question"])
        })
        .collect()
}

/// A prediction is correct when one of its answer's words is one of the example's accepted
/// words (`"The capital is Paris."` for `paris`; `"rice"` is not `ice`).
fn contains_accepted(example: &Example, prediction: &Prediction) -> bool {
    let Some(answer) = prediction.get("answer").and_then(Value::as_str) else {
        return false;
    };
    let answer = answer.to_lowercase();
    let mut words = answer.split(|c: char| !(c.is_alphanumeric() || c == '-'));
    let accepted: Vec<&str> = example
        .get("accept")
        .and_then(Value::as_array)
        .map(|words| words.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    words.any(|w| accepted.contains(&w))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data: Value = serde_json::from_str(DATA)?;
    let (trainset, devset) = (split(&data, "train"), split(&data, "dev"));

    // The local model runs on its own thread; `constrain_chat_format` starts each completion
    // with the first output field's header so even zero-shot answers parse.
    let options = LocalLmOptions::default().constrain_chat_format(true);
    let lm: SharedLm = Arc::new(LocalLm::new(DEFAULT_MODEL, options)?);
    let program = Predict::<QA>::new()
        .with_lm(lm.clone())
        .with_config(LmConfig::default().max_tokens(48));

    let metric = metric_fn(contains_accepted);
    let evaluate = Evaluate::new(devset.clone())
        .num_threads(4)
        .display_progress(false);

    // 1. Zero-shot.
    let started = Instant::now();
    let before = evaluate.run(&program, &metric).await?;
    println!("== zero-shot Predict<QA> on {} dev questions", devset.len());
    print_answers(&before);
    println!(
        "dev score before compiling: {:.1}% ({:.1} s)\n",
        before.score,
        started.elapsed().as_secs_f64()
    );

    // 2. ChainOfThought adds a `reasoning` output before the answer.
    let cot = ChainOfThought::<QA>::new()
        .with_lm(lm.clone())
        .with_config(LmConfig::default().max_tokens(128));
    println!("== ChainOfThought<QA>");
    for example in devset.iter().take(2) {
        let question = example.get("question").and_then(Value::as_str);
        let question = question.unwrap_or_default().to_string();
        match cot
            .forward(QAInput {
                question: question.clone(),
            })
            .await
        {
            Ok(out) => println!(
                "Q: {question}\n   reasoning: {}\n   answer: {}",
                out.reasoning, out.answer
            ),
            Err(e) => println!("Q: {question}\n   <no parse: {}>", first_line(&e)),
        }
    }
    println!();

    // 3. Compile: the teacher (the program with labeled demos) answers the training questions,
    //    and the runs the metric accepts become the compiled program's demos.
    let started = Instant::now();
    let optimizer = BootstrapFewShot::new()
        .metric(metric_fn(contains_accepted))
        .max_bootstrapped_demos(8)
        .max_labeled_demos(8)
        .num_threads(4)
        .seed(0);
    let compiled = optimizer
        .compile_with_report(&program, &trainset, None)
        .await?;
    println!(
        "== compiled in {:.1} s\n{}",
        started.elapsed().as_secs_f64(),
        compiled.report
    );
    for demo in compiled.program.inner().demos() {
        println!(
            "   demo: {} -> {}",
            demo.get("question").unwrap_or(&Value::Null),
            demo.get("answer").unwrap_or(&Value::Null)
        );
    }

    let started = Instant::now();
    let after = evaluate.run(&compiled.program, &metric).await?;
    println!(
        "\n== compiled Predict<QA> on the same {} dev questions",
        devset.len()
    );
    print_answers(&after);
    println!(
        "dev score after compiling: {:.1}% ({:.1} s)",
        after.score,
        started.elapsed().as_secs_f64()
    );
    println!(
        "\ndev score: {:.1}% before, {:.1}% after BootstrapFewShot",
        before.score, after.score
    );

    let path = std::env::temp_dir().join("dspy-quickstart-compiled.json");
    compiled.program.save(&path)?;
    println!(
        "saved the compiled program (DSPy JSON) to {}",
        path.display()
    );
    Ok(())
}

/// Answers printed per pass; the rest are counted.
const SHOWN: usize = 12;

/// Prints the first questions with the program's answers and a mark for correct ones, then
/// how many answers parsed and how many were correct.
fn print_answers(result: &dspy::core::evaluate::EvaluationResult) {
    for row in result.results.iter().take(SHOWN) {
        let question = row.example.get("question").and_then(Value::as_str);
        let answer = match (&row.error, row.prediction.get("answer")) {
            (Some(error), _) => format!("<error: {}>", error.lines().next().unwrap_or_default()),
            (None, Some(Value::String(answer))) => answer.clone(),
            (None, Some(other)) => other.to_string(),
            (None, None) => "<no answer>".to_string(),
        };
        let mark = if row.score.value > 0.0 { "ok" } else { "--" };
        println!("  [{mark}] {} -> {answer}", question.unwrap_or_default());
    }
    let total = result.results.len();
    if total > SHOWN {
        println!("  ... and {} more", total - SHOWN);
    }
    let parsed = result.results.iter().filter(|r| r.error.is_none()).count();
    let correct = result
        .results
        .iter()
        .filter(|r| r.score.value > 0.0)
        .count();
    println!("  parsed {parsed}/{total} answers, {correct} correct");
}

fn first_line(e: &impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}
