//! An agent: `ReAct` with two typed tools, a calculator and a lookup in a small table
//! (`examples/data/countries.json`).
//!
//! Run on the embedded local model (no key, no server; `bash scripts/fetch-model.sh` first):
//! `cargo run --release -p dspy-examples --example agent`
//!
//! Or on any OpenAI-compatible server: `DSPY_MODEL=openai/gpt-4o-mini cargo run -p
//! dspy-examples --example agent` (reads `OPENAI_API_KEY`, and `OPENAI_BASE_URL` for vLLM,
//! llama.cpp, Ollama's OpenAI endpoint, ...). A question may be given as the first argument.
//!
//! A 135M-parameter local model is a weak agent: it often picks a wrong tool or invents
//! arguments, so its answer is usually wrong. The embedded engine keeps its steps parseable (a
//! tool name is one of the tools, arguments are valid JSON), so the run ends with an answer.
//! The program is the same on a real model.

use std::sync::Arc;

use dspy::core::lm::SharedLm;
use dspy::prelude::*;
use dspy::tool;
use dspy_local::{LocalLm, LocalLmOptions, DEFAULT_MODEL};
use serde::{Deserialize, Serialize};

const COUNTRIES: &str = include_str!("data/countries.json");

/// One row of the table.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Country {
    country: String,
    capital: String,
    population_millions: f64,
}

/// Look up a country's capital and population (in millions) in a small table.
#[tool]
fn country_facts(country: String) -> Result<Country, String> {
    let table: Vec<Country> = serde_json::from_str(COUNTRIES).map_err(|e| e.to_string())?;
    table
        .into_iter()
        .find(|c| c.country.eq_ignore_ascii_case(country.trim()))
        .ok_or_else(|| format!("no entry for {country}; known: France, Germany, Italy, Spain, Portugal, Japan, Brazil, Canada"))
}

/// Compute `a op b`, where op is one of + - * /.
#[tool]
fn calculate(a: f64, op: String, b: f64) -> Result<f64, String> {
    match op.trim() {
        "+" => Ok(a + b),
        "-" => Ok(a - b),
        "*" | "x" => Ok(a * b),
        "/" if b != 0.0 => Ok(a / b),
        "/" => Err("division by zero".into()),
        other => Err(format!("unknown operator {other:?}; use one of + - * /")),
    }
}

/// Answer questions about countries; use the tools for facts and arithmetic.
#[derive(Signature)]
struct CountryQuestion {
    #[input]
    question: String,
    #[output]
    answer: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let question = std::env::args().nth(1).unwrap_or_else(|| {
        "How many people, in millions, live in France and Germany together?".to_string()
    });
    let lm: SharedLm = match std::env::var("DSPY_MODEL") {
        Ok(model) => dspy::core::lm::from_model(&model)?,
        Err(_) => {
            let options = LocalLmOptions::default().constrain_chat_format(true);
            Arc::new(LocalLm::new(DEFAULT_MODEL, options)?)
        }
    };
    println!("model: {}", lm.model());

    let mut agent = ReAct::new(
        CountryQuestion::spec(),
        vec![country_facts_tool(), calculate_tool()],
    )
    .max_iters(6);
    agent.set_lm(lm);
    // One worked example per predictor shows a small model the format of a step.
    let demo_trajectory = "[[ ## thought_0 ## ]]\nI need facts about Italy.\n\n[[ ## tool_name_0 ## ]]\ncountry_facts\n\n[[ ## tool_args_0 ## ]]\n{\"country\": \"Italy\"}\n\n[[ ## observation_0 ## ]]\n{\"country\": \"Italy\", \"capital\": \"Rome\", \"population_millions\": 58.9}";
    let demo = |extra: &[(&str, serde_json::Value)]| {
        let mut d = Example::new().with("question", "What is the capital of Italy?");
        for (k, v) in extra {
            d = d.with(*k, v.clone());
        }
        d
    };
    agent.react_mut().set_demos(vec![
        demo(&[
            ("trajectory", "".into()),
            ("next_thought", "I need facts about Italy.".into()),
            ("next_tool_name", "country_facts".into()),
            ("next_tool_args", serde_json::json!({"country": "Italy"})),
        ]),
        demo(&[
            ("trajectory", demo_trajectory.into()),
            ("next_thought", "The table says the capital is Rome.".into()),
            ("next_tool_name", "finish".into()),
            ("next_tool_args", serde_json::json!({})),
        ]),
    ]);
    agent.extract_mut().predict_mut().set_demos(vec![demo(&[
        ("trajectory", demo_trajectory.into()),
        (
            "reasoning",
            "The lookup gave Rome as the capital of Italy.".into(),
        ),
        ("answer", "Rome".into()),
    ])]);
    for (_, p) in agent.named_predictors_mut() {
        p.config_mut().max_tokens = Some(256);
    }

    let inputs = Values::from_iter([("question".to_string(), question.clone().into())]);
    println!("question: {question}");
    match agent.forward(inputs).await {
        Ok(prediction) => {
            if let Some(steps) = prediction.get("trajectory").and_then(|t| t.as_object()) {
                for (key, value) in steps {
                    println!("  {key}: {value}");
                }
            }
            println!(
                "answer: {}",
                prediction.get_str("answer").unwrap_or_default()
            );
        }
        Err(error) => println!("the agent stopped: {error}"),
    }
    Ok(())
}
