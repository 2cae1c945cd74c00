//! The `response_format` the JSON adapter sends (DSPy's `_get_structured_outputs_response_format`).

use std::sync::Arc;

use serde_json::Value;

use dspy_adapters::signature::{pydantic_schema, FieldType, ModelDef, ModelField};
use dspy_adapters::SignatureSpec;

use super::StructuredOutput;
use crate::lm::ResponseFormat;

/// The response format for `spec`'s outputs under `mode`.
///
/// With native function calling the `ToolCalls` outputs come from the LM's tool calls, so the
/// schema leaves them out; without it a signature with one asks for any JSON object (DSPy's
/// `_prepare_response_format`).
pub(crate) fn response_format(
    spec: &SignatureSpec,
    mode: StructuredOutput,
    native_function_calling: bool,
) -> Option<ResponseFormat> {
    match mode {
        StructuredOutput::Off => None,
        StructuredOutput::JsonObject => Some(ResponseFormat::JsonObject),
        StructuredOutput::JsonSchema => {
            let open_mapping = spec
                .outputs()
                .iter()
                .any(|f| matches!(f.ty, FieldType::Dict(..)));
            let text_tool_calls = !native_function_calling && spec.tool_calls_field().is_some();
            if open_mapping || text_tool_calls {
                return Some(ResponseFormat::JsonObject);
            }
            Some(ResponseFormat::JsonSchema {
                name: "DSPyProgramOutputs".to_string(),
                schema: outputs_schema(&without_tool_calls(spec, native_function_calling)),
                strict: true,
            })
        }
    }
}

/// `spec` without its `ToolCalls` outputs when native function calling fills them.
fn without_tool_calls(spec: &SignatureSpec, native_function_calling: bool) -> SignatureSpec {
    let mut spec = spec.clone();
    while let Some(field) = spec.tool_calls_field().filter(|_| native_function_calling) {
        spec = spec.without(&field.name.clone());
    }
    spec
}

/// pydantic's schema of a model holding the output fields, with every object closed
/// (`additionalProperties: false`) and every property required, as OpenAI's strict mode needs.
pub(crate) fn outputs_schema(spec: &SignatureSpec) -> Value {
    let model = ModelDef {
        name: "DSPyProgramOutputs".to_string(),
        doc: None,
        fields: spec
            .outputs()
            .iter()
            .map(|f| ModelField {
                name: f.name.clone(),
                ty: f.ty.clone(),
                required: f.default.is_none(),
                default: f.default.clone(),
                description: None,
            })
            .collect(),
    };
    let mut schema = pydantic_schema(&FieldType::Model(Arc::new(model)));
    enforce_required(&mut schema);
    schema
}

fn enforce_required(part: &mut Value) {
    let Some(obj) = part.as_object_mut() else {
        return;
    };
    if obj.get("type").and_then(Value::as_str) == Some("object") {
        match obj.get_mut("properties").and_then(Value::as_object_mut) {
            Some(props) => {
                let names: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                for sub in props.values_mut() {
                    enforce_required(sub);
                }
                obj.insert("required".into(), Value::Array(names));
            }
            None => {
                obj.insert("properties".into(), Value::Object(Default::default()));
                obj.insert("required".into(), Value::Array(Vec::new()));
            }
        }
        obj.insert("additionalProperties".into(), Value::Bool(false));
    }
    if obj.get("type").and_then(Value::as_str) == Some("array") {
        if let Some(items) = obj.get_mut("items").filter(|i| i.is_object()) {
            enforce_required(items);
        }
    }
    for key in ["$defs", "definitions"] {
        if let Some(defs) = obj.get_mut(key).and_then(Value::as_object_mut) {
            for def in defs.values_mut() {
                enforce_required(def);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schema_is_closed_and_fully_required() {
        let spec = SignatureSpec::parse("q -> answer, score: int").unwrap();
        let schema = outputs_schema(&spec);
        assert_eq!(schema["required"], json!(["answer", "score"]));
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(schema["properties"]["score"]["type"], json!("integer"));
    }

    #[test]
    fn open_dicts_fall_back_to_json_object() {
        let spec = SignatureSpec::parse("q -> d: dict[str, int]").unwrap();
        assert_eq!(
            response_format(&spec, StructuredOutput::JsonSchema, true),
            Some(ResponseFormat::JsonObject)
        );
    }
}
