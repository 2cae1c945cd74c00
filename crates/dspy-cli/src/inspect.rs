//! `dspy inspect`: what a saved program holds.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::error::CliError;
use crate::saved;

/// Longest value shown in a demo summary, in characters.
const SUMMARY_CHARS: usize = 80;

/// Prints every predictor of the file.
pub(crate) fn run(path: &Path, full_demos: bool) -> Result<(), CliError> {
    let saved = saved::read(path)?;
    print!("{}", describe(&saved, full_demos));
    Ok(())
}

/// The report `inspect` prints.
pub(crate) fn describe(saved: &saved::Saved, full_demos: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} predictor(s)", saved.predictors.len());
    for (name, state) in &saved.predictors {
        let _ = writeln!(out, "\npredictor `{name}`");
        let signature = &state["signature"];
        let instructions = signature["instructions"].as_str().unwrap_or_default();
        let _ = writeln!(out, "  instructions:");
        for line in instructions.lines() {
            let _ = writeln!(out, "    {line}");
        }
        let fields = signature["fields"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let _ = writeln!(out, "  fields ({}):", fields.len());
        for field in fields {
            let prefix = field["prefix"].as_str().unwrap_or("?");
            let desc = field["description"].as_str().unwrap_or_default();
            let _ = writeln!(out, "    {prefix} {desc}");
        }
        let demos = state["demos"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let _ = writeln!(out, "  demos ({}):", demos.len());
        for (i, demo) in demos.iter().enumerate() {
            if full_demos {
                let text = serde_json::to_string_pretty(demo).unwrap_or_default();
                let _ = writeln!(out, "    [{}]", i + 1);
                for line in text.lines() {
                    let _ = writeln!(out, "      {line}");
                }
            } else {
                let _ = writeln!(out, "    [{}] {}", i + 1, summary(demo));
            }
        }
        if !state["lm"].is_null() {
            let _ = writeln!(out, "  lm: {}", state["lm"]);
        }
    }
    if let Some(versions) = saved
        .metadata
        .as_ref()
        .and_then(|m| m["dependency_versions"].as_object())
    {
        let list: Vec<String> = versions
            .iter()
            .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or("?")))
            .collect();
        let _ = writeln!(out, "\nsaved with: {}", list.join(", "));
    }
    out
}

/// `key=value` pairs of a demo, each value cut to [`SUMMARY_CHARS`].
fn summary(demo: &Value) -> String {
    let Some(map) = demo.as_object() else {
        return demo.to_string();
    };
    map.iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let text = text.replace('\n', " ");
            let cut: String = text.chars().take(SUMMARY_CHARS).collect();
            let more = if cut.len() < text.len() { "..." } else { "" };
            format!("{k}={cut:?}{more}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}
