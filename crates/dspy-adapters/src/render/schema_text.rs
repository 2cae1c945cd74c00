//! The JSON Schema text DSPy puts into prompts: every object's keys re-ordered (`"type"` first,
//! then code-point order) and dumped the way Python's `json.dumps` does.

use serde_json::{Map, Value};

use super::py_json;

/// The schema with every object's keys sorted, `"type"` first (DSPy's prompt order).
pub fn sort_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| (a.as_str() != "type", a.as_str()).cmp(&(b.as_str() != "type", b.as_str())));
            let mut out = Map::with_capacity(map.len());
            for k in keys {
                out.insert(k.clone(), sort_schema(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_schema).collect()),
        other => other.clone(),
    }
}

/// The schema as DSPy writes it after `must adhere to the JSON schema: `.
///
/// ```
/// use dspy_adapters::render::schema_text::schema_text;
/// let schema = serde_json::json!({"items": {"type": "string"}, "type": "array"});
/// assert_eq!(schema_text(&schema), r#"{"type": "array", "items": {"type": "string"}}"#);
/// ```
pub fn schema_text(schema: &Value) -> String {
    py_json::dumps(&sort_schema(schema))
}
