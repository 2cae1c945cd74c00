//! Formats one call with each adapter and parses a completion: the data path without an LM.
//!
//! Run: `cargo run -p dspy-examples --example format_prompt`

use dspy::prelude::*;
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let spec = SignatureSpec::parse("question, context: list[str] -> answer, confidence: float")?;
    let mut inputs = Values::new();
    inputs.insert("question".into(), json!("Which planet is largest?"));
    inputs.insert("context".into(), json!(["Jupiter is the largest planet."]));

    for kind in [AdapterKind::Chat, AdapterKind::Json, AdapterKind::Xml] {
        println!("===== {kind} =====");
        for message in kind.adapter().format(&spec, &[], &inputs) {
            println!("--- {} ---\n{}", message.role.as_str(), message.content);
        }
    }

    let completion =
        "[[ ## answer ## ]]\nJupiter\n\n[[ ## confidence ## ]]\n0.9\n\n[[ ## completed ## ]]";
    let outputs = ChatAdapter.parse(&spec, completion)?;
    println!(
        "===== parsed =====\n{}",
        serde_json::to_string_pretty(&outputs)?
    );
    Ok(())
}
