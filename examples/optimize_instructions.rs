//! COPRO and MIPROv2 on a typed two-predictor program, offline.
//!
//! The LMs are the test kit's deterministic worlds: the task model (`Oracle`) answers a question
//! right far more often when the predictor's instructions hold a phrase
//! ([`PromptWorld::MAGIC`]) that the scripted prompt model (`PromptWorld`) writes in some of its
//! proposals. Point `task_lm` and `prompt_lm` at real models
//! (`dspy::core::lm::from_model("openai/gpt-4o-mini")`) for the real thing.
//!
//! Run: `cargo run -p dspy-examples --example optimize_instructions -- [SAVED.json [MESSAGES.json]]`.
//! It prints the dev score before and after each optimizer, saves the MIPROv2 program as DSPy
//! JSON, and (with a second path) writes the Chat messages each predictor of the saved program
//! sends for a sample question, which `scripts/check_python_interop.py` compares with Python's.

use std::sync::Arc;

use dspy::core::evaluate::metric_fn;
use dspy::core::lm::SharedLm;
use dspy::optimize::mipro::{Auto, MiproV2};
use dspy::optimize::{Copro, Optimizer};
use dspy::prelude::*;
use dspy::Evaluate;
use dspy_testkit::{Oracle, PromptWorld};

/// Write a first answer to the question.
#[derive(Signature)]
struct Draft {
    #[input]
    question: String,
    #[output]
    answer: String,
}

/// Check the draft answer and give the final one.
#[derive(Signature)]
struct Check {
    #[input]
    question: String,
    #[input(desc = "a first answer, possibly wrong")]
    draft: String,
    #[output]
    answer: String,
}

/// Drafts an answer, then checks it.
#[module]
#[derive(Debug, Clone)]
struct DraftAndCheck {
    draft: Predict<Draft>,
    check: Predict<Check>,
}

impl DraftAndCheck {
    async fn forward(&self, input: DraftInput) -> Result<CheckOutput, Error> {
        let question = input.question.clone();
        let draft = self.draft.forward(input).await?;
        self.check
            .forward(CheckInput {
                question,
                draft: draft.answer,
            })
            .await
    }
}

/// 120 questions about item codes; the answer is the oracle's.
fn dataset() -> Vec<Example> {
    const WORDS: [&str; 8] = [
        "amber", "basil", "cedar", "dune", "ember", "fjord", "grove", "harbor",
    ];
    (0..120)
        .map(|i| {
            let question = format!(
                "What is the code of the {} item number {i}?",
                WORDS[i % WORDS.len()]
            );
            Example::new()
                .with("answer", Oracle::true_answer(&question))
                .with("question", question)
                .with_inputs(["question"])
        })
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let saved = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("dspy-optimize-instructions.json"));
    let messages_path = args.next();

    let task: SharedLm = Arc::new(
        Oracle::new("example-task")
            .with_magic(PromptWorld::MAGIC, 900)
            .lm(),
    );
    let prompts: SharedLm = Arc::new(PromptWorld::new("p2").lm());
    dspy::core::settings::configure(task);

    let data = dataset();
    let (train, val, dev) = (&data[..40], &data[40..80], &data[80..]);
    let exact = metric_fn(|ex: &Example, pred: &Prediction| ex.get("answer") == pred.get("answer"));
    let student = DraftAndCheck {
        draft: Predict::new(),
        check: Predict::new(),
    };
    let score = |program: DraftAndCheck| async move {
        Evaluate::new(dev.to_vec())
            .run(&program, &exact)
            .await
            .map(|r| r.score)
    };
    println!(
        "unoptimized: dev score {:.1}%",
        score(student.clone()).await?
    );

    let mipro = MiproV2::new(exact)
        .auto(Some(Auto::Light))
        .prompt_lm(prompts.clone());
    let compiled = mipro
        .compile_with_report(&student, train, Some(val))
        .await?;
    print!("{}", compiled.report);
    let optimized = compiled.program;
    println!(
        "MIPROv2 light: dev score {:.1}%",
        score(optimized.clone()).await?
    );

    let copro = Copro::new(exact)
        .breadth(4)
        .depth(2)
        .prompt_lm(prompts.clone());
    let by_copro = copro.compile(&student, train, None).await?;
    println!("COPRO: dev score {:.1}%", score(by_copro).await?);

    for (name, p) in optimized.named_predictors() {
        println!(
            "{name}: {:?} with {} demos",
            p.signature().instructions(),
            p.demos().len()
        );
    }
    optimized.save(&saved)?;
    println!("saved the MIPROv2 program to {}", saved.display());

    if let Some(path) = messages_path {
        let sample = Example::new()
            .with("question", "What is the code of the amber item number 7?")
            .with("draft", "unknown");
        let mut out = serde_json::Map::new();
        for (name, p) in optimized.named_predictors() {
            let inputs = sample.values().clone();
            let demos: Vec<Values> = p.demos().iter().map(|d| d.values().clone()).collect();
            let messages: Vec<_> = ChatAdapter
                .format(p.signature(), &demos, &inputs)
                .into_iter()
                .map(|m| serde_json::json!({"role": m.role.as_str(), "content": m.content}))
                .collect();
            out.insert(name, messages.into());
        }
        std::fs::write(&path, serde_json::to_string_pretty(&out)?)?;
    }
    Ok(())
}
