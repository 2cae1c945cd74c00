//! Tool-call arguments: JSON as the provider sent it, lightly repaired when it is almost JSON.

use dspy_adapters::value::json_repair::repair_container;
use serde_json::{Map, Value};

/// Parses a tool call's `arguments` text.
///
/// Valid JSON is used as is; empty text is `{}`. Otherwise an object or array (maybe in a code
/// fence) is repaired by the adapters' JSON repair: trailing commas, unclosed strings, objects
/// and arrays, and the rest json_repair handles. Text that isn't one is kept whole as a JSON
/// string, so nothing the model said is lost.
pub(crate) fn parse_tool_args(raw: &str) -> Value {
    let text = raw.trim();
    if text.is_empty() {
        return Value::Object(Map::new());
    }
    serde_json::from_str(text)
        .ok()
        .or_else(|| repair_container(text))
        .unwrap_or_else(|| Value::String(raw.to_owned()))
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
        assert_eq!(
            parse_tool_args("{'q': 'rust', k: 3}"),
            json!({"q": "rust", "k": 3})
        );
    }

    #[test]
    fn hopeless_text_stays_a_string() {
        assert_eq!(parse_tool_args("search for rust"), json!("search for rust"));
        assert_eq!(
            parse_tool_args("search {rust} docs"),
            json!("search {rust} docs")
        );
    }
}
