//! Tool-call arguments: JSON as the provider sent it, lightly repaired when it is almost JSON.

use serde_json::{Map, Value};

/// Parses a tool call's `arguments` text.
///
/// Valid JSON is used as is; empty text is `{}`. Otherwise code fences, trailing commas and
/// unclosed strings, objects and arrays are repaired; text that still isn't JSON is kept whole
/// as a JSON string, so nothing the model said is lost.
pub(crate) fn parse_tool_args(raw: &str) -> Value {
    let text = raw.trim();
    if text.is_empty() {
        return Value::Object(Map::new());
    }
    if let Ok(value) = serde_json::from_str(text) {
        return value;
    }
    serde_json::from_str(&repair(strip_fence(text)))
        .unwrap_or_else(|_| Value::String(raw.to_owned()))
}

fn strip_fence(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.trim_end().strip_suffix("```").unwrap_or(rest).trim()
}

/// Drops trailing commas and closes what was left open.
fn repair(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut open: Vec<char> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => open.push('}'),
            '[' => open.push(']'),
            '}' | ']' => {
                drop_trailing_comma(&mut out);
                if open.last() == Some(&c) {
                    open.pop();
                }
            }
            _ => {}
        }
        out.push(c);
    }
    if in_string {
        if escaped {
            out.pop();
        }
        out.push('"');
    }
    drop_trailing_comma(&mut out);
    while let Some(close) = open.pop() {
        out.push(close);
    }
    out
}

fn drop_trailing_comma(out: &mut String) {
    let trimmed = out.trim_end().len();
    if out[..trimmed].ends_with(',') {
        out.truncate(trimmed - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn valid_and_empty() {
        assert_eq!(parse_tool_args(r#"{"q": "rust"}"#), json!({"q": "rust"}));
        assert_eq!(parse_tool_args("  "), json!({}));
    }

    #[test]
    fn light_repairs() {
        assert_eq!(parse_tool_args(r#"{"q": "rust", }"#), json!({"q": "rust"}));
        assert_eq!(parse_tool_args(r#"{"q": "ru"#), json!({"q": "ru"}));
        assert_eq!(parse_tool_args(r#"{"a": [1, 2"#), json!({"a": [1, 2]}));
        assert_eq!(parse_tool_args("```json\n{\"a\": 1}\n```"), json!({"a": 1}));
        assert_eq!(parse_tool_args(r#"{"a": "x\"#), json!({"a": "x"}));
    }

    #[test]
    fn hopeless_text_stays_a_string() {
        assert_eq!(parse_tool_args("search for rust"), json!("search for rust"));
    }
}
