//! DSPy's `pretty_print_history`, byte for byte.

use std::fmt::Write;
use std::sync::Arc;

use dspy_adapters::render::py_repr::py_repr;

use super::HistoryEntry;

const BLUE: &str = "\x1b[34m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

/// Renders `entries` as DSPy's `inspect_history` prints them (each Python `print` adds a
/// newline): four newlines, the blue `[timestamp]`, each message under a red `"{Role}
/// message:"` header with its stripped content, then a red `Response:` and the first
/// completion in green, a note when there were more, and four newlines at the very end.
pub(super) fn render(entries: &[Arc<HistoryEntry>], colors: bool) -> String {
    let mut out = String::new();
    let paint = |out: &mut String, color: &str, text: &str| {
        if colors {
            out.push_str(color);
            out.push_str(text);
            out.push_str(RESET);
        } else {
            out.push_str(text);
        }
    };
    for entry in entries {
        out.push_str("\n\n\n\n");
        paint(&mut out, BLUE, &format!("[{}]", entry.timestamp_iso()));
        out.push_str("\n\n");
        for message in entry.messages() {
            paint(
                &mut out,
                RED,
                &format!("{} message:", capitalize(message.role.as_str())),
            );
            out.push_str("\n\n");
            out.push_str(message.content.trim());
            out.push_str("\n\n\n");
        }
        let choices = &entry.response.choices;
        if let Some(first) = choices.first() {
            if first.tool_calls.is_empty() {
                paint(&mut out, RED, "Response:");
                out.push_str("\n\n");
                paint(&mut out, GREEN, first.text.trim());
                out.push_str("\n\n");
            } else {
                let text = first.text.trim();
                if !text.is_empty() {
                    paint(&mut out, RED, "Response:");
                    out.push_str("\n\n");
                    paint(&mut out, GREEN, text);
                    out.push_str("\n\n");
                }
                paint(&mut out, RED, "Tool calls:");
                out.push_str("\n\n");
                for call in &first.tool_calls {
                    let line = format!("{}: {}", call.name, py_repr(&call.args));
                    paint(&mut out, GREEN, line.trim_start());
                    out.push_str("\n\n");
                }
            }
        }
        if choices.len() > 1 {
            let mut note = String::new();
            let _ = write!(note, " \t (and {} other completions)", choices.len() - 1);
            paint(&mut out, RED, &note);
            out.push('\n');
        }
    }
    out.push_str("\n\n\n\n");
    out
}

/// Python's `str.capitalize` for ASCII role names.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}
