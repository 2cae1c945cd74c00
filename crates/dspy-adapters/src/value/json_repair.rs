//! A port of the behaviour of Python's `json_repair.loads` (0.64.6) that DSPy relies on.
//!
//! TEMPORARY placeholder on branch `parse` until the real port lands from branch `repair`:
//! strict JSON (optionally inside a code fence), else `""`.

use serde_json::Value;

/// Parses `text` as JSON, repairing common LM mistakes; `Value::String("")` when nothing
/// JSON-like is found.
pub fn loads(text: &str) -> Value {
    let t = text.trim();
    let t = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .and_then(|r| r.trim_end().strip_suffix("```"))
        .unwrap_or(t);
    serde_json::from_str(t.trim()).unwrap_or_else(|_| Value::String(String::new()))
}
