//! Prints, as JSON, the Chat adapter messages that the quick start's saved program sends for a
//! question, so Python DSPy can be checked against them (`scripts/check_python_interop.py`).
//!
//! Run: `cargo run -p dspy-examples --example quickstart_prompt -- [PATH] [QUESTION]`
//! (default path: the file `quickstart` saves in the temp folder).

use dspy::core::module::ModuleExt;
use dspy::core::predict::Predict;
use dspy::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("dspy-quickstart-compiled.json"));
    let question = args
        .next()
        .unwrap_or_else(|| "What is the capital of France?".to_string());

    // A `question -> answer` predictor; loading the file sets the instructions, the fields'
    // descriptions and prefixes, and the demos the quick start's typed `Predict<QA>` saved.
    let mut program = Predict::parse("question -> answer")?;
    program.load(&path)?;
    let mut inputs = Values::new();
    inputs.insert("question".into(), question.into());
    let demos: Vec<Values> = program.demos().iter().map(|d| d.values().clone()).collect();
    let messages: Vec<_> = ChatAdapter
        .format(program.signature(), &demos, &inputs)
        .into_iter()
        .map(|m| serde_json::json!({"role": m.role.as_str(), "content": m.content}))
        .collect();
    println!("{}", serde_json::to_string_pretty(&messages)?);
    Ok(())
}
