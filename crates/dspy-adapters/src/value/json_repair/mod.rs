//! A port of the behaviour of Python's `json_repair.loads` (0.64.6) that DSPy relies on.
//!
//! LMs asked for JSON often answer with something close to it: a fenced code block, prose
//! around the object, single quotes, Python literals (`True`, `None`), unquoted keys, trailing
//! commas, comments, or output cut off mid-object. [`loads`] reads all of that the way
//! `json_repair.loads` does, so a Rust program gets the same values Python DSPy would.
//!
//! The implementation mirrors json_repair's observable behaviour (checked against the Python
//! library on a differential corpus, see `tests/json_repair.rs`), not its code. It works on the
//! text as a sequence of Unicode scalar values, like Python string indexing does.
//!
//! Differences from Python that cannot be avoided with `serde_json::Value`:
//! * Non-finite floats (`NaN`, `Infinity`, `1e999`) become the strings `"NaN"`, `"Infinity"`
//!   and `"-Infinity"`.
//! * Integers beyond `i64`/`u64` become `f64` (or, beyond `f64`'s range, a string of digits),
//!   where Python keeps an exact `int`.
//! * Lone UTF-16 surrogates from `\uXXXX` escapes become U+FFFD.
//! * Nesting deeper than [`MAX_DEPTH`] levels is cut off (the rest of the input is dropped)
//!   where Python raises a `RecursionError`.

// The code is split by concept: `chars` (Python's character classes), `py_value`
// (Python-like values), `strict` (Python's `json` module), `parser` (the repairing parser's
// state and cursor), `top_level` and `values` (what it reads at the top and value by
// value), `containers` (arrays and objects), `strings`, `scan` (stepping over strings and
// escapes in look-aheads), and `py_unicode` (Unicode tables).

mod chars;
mod containers;
mod parser;
mod py_unicode;
mod py_value;
mod scan;
mod strict;
mod strings;
#[cfg(test)]
mod tests;
mod top_level;
mod values;

use serde_json::Value;

use parser::Parser;

/// How deep containers may nest in input that needs repair before the rest of the input is
/// dropped. Python's json_repair fails with a `RecursionError` well before this (at 140 to
/// 330 levels, depending on the shape), so nothing it can read is cut off.
pub const MAX_DEPTH: usize = 400;

/// How deep valid JSON may nest: as deep as Python's `json` module reads it (992 levels;
/// deeper, `json_repair.loads` raises). Deeper valid JSON goes through the repairing parser.
const STRICT_MAX_DEPTH: usize = 992;

/// json_repair edits its own input in two repairs: it inserts a `{` to split objects at a
/// duplicate key (`[{a: 1, a: 2}]`) and un-escapes `{\"a\": 1}`. Each edit costs time
/// proportional to the input's length; this bounds their total (in characters). Past it those
/// repairs are skipped, so pathological inputs stay fast: on a 10 kB input that is over 1,500
/// edits, on a 1 MB input 16.
const EDIT_BUDGET: usize = 1 << 24;

/// Reads `text` as JSON, repairing what LMs commonly get wrong; never fails.
/// Returns `Value::String(String::new())` when nothing JSON-like is found (as json_repair does).
///
/// ```
/// use dspy_adapters::value::json_repair::loads;
/// use serde_json::json;
///
/// let text = "Sure! ```json\n{'answer': True, items: [1, 2,], // done\n}\n```";
/// assert_eq!(loads(text), json!({"answer": true, "items": [1, 2]}));
/// assert_eq!(loads("no json here"), json!(""));
/// ```
pub fn loads(text: &str) -> Value {
    let chars: Vec<char> = text.chars().collect();
    if let Some(value) = strict::decode_document(&chars) {
        return value;
    }
    Parser::new(chars).parse()
}

/// Repairs text that is meant to be one JSON object or array, such as an LM's tool-call
/// arguments, possibly cut off mid-stream. `None` when it is not: unless `text`, after
/// whitespace and an optional Markdown code fence (```` ```json ````), starts with `{` or `[`,
/// it is prose, where [`loads`] would pick out fragments and drop the rest.
///
/// The body is read with [`loads`], so trailing commas, unclosed strings, objects and arrays,
/// single quotes and the rest are repaired as json_repair does; a lone backslash at the very
/// end (half of an escape that was cut off) is dropped first.
///
/// ```
/// use dspy_adapters::value::json_repair::repair_container;
/// use serde_json::json;
///
/// assert_eq!(repair_container(r#"{"q": "rust", }"#), Some(json!({"q": "rust"})));
/// assert_eq!(repair_container(r#"{"a": [1, 2"#), Some(json!({"a": [1, 2]})));
/// assert_eq!(repair_container("```json\n{\"a\": \"x\\"), Some(json!({"a": "x"})));
/// assert_eq!(repair_container("search {rust}"), None);
/// ```
pub fn repair_container(text: &str) -> Option<Value> {
    let text = text.trim();
    let body = match text.strip_prefix("```") {
        Some(rest) => {
            let rest = rest.strip_prefix("json").unwrap_or(rest);
            rest.trim_end().strip_suffix("```").unwrap_or(rest).trim()
        }
        None => text,
    };
    if !body.starts_with(['{', '[']) {
        return None;
    }
    let backslashes = body.len() - body.trim_end_matches('\\').len();
    let body = match body.strip_suffix('\\') {
        Some(cut) if backslashes % 2 == 1 => cut,
        _ => body,
    };
    Some(loads(body))
}
