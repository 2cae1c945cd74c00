//! DSPy's `format_field_value`: how one value is written into a prompt.

use serde_json::Value;

use super::{py_json, py_repr};
use crate::signature::FieldType;

/// Writes `value` for a field of type `ty` as DSPy does: a list given to a `str` field becomes a
/// numbered `«...»` list, objects and arrays become `json.dumps` text, scalars Python `str()`.
///
/// ```
/// use dspy_adapters::render::field_value::format_field_value;
/// use dspy_adapters::signature::FieldType;
/// use serde_json::json;
/// assert_eq!(format_field_value(&FieldType::Str, &json!(["a", "b"])), "[1] «a»\n[2] «b»");
/// assert_eq!(format_field_value(&FieldType::Bool, &json!(true)), "True");
/// assert_eq!(format_field_value(&FieldType::Any, &json!({"k": 1.0})), r#"{"k": 1.0}"#);
/// ```
pub fn format_field_value(ty: &FieldType, value: &Value) -> String {
    match value {
        Value::Array(items) if *ty == FieldType::Str => blob_list(items),
        Value::Array(_) | Value::Object(_) => py_json::dumps(value),
        other => py_repr::py_str(other),
    }
}

fn blob_list(items: &[Value]) -> String {
    match items {
        [] => "N/A".to_string(),
        [one] => format_blob(&py_repr::py_str(one)),
        many => many
            .iter()
            .enumerate()
            .map(|(i, item)| format!("[{}] {}", i + 1, format_blob(&py_repr::py_str(item))))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// `«text»`, or a fenced `«««` block when the text holds a newline or guillemets.
pub fn format_blob(s: &str) -> String {
    if !s.contains('\n') && !s.contains('«') && !s.contains('»') {
        format!("«{s}»")
    } else {
        format!("«««\n    {}\n»»»", s.replace('\n', "\n    "))
    }
}
