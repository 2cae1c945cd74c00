//! Native function calling for one predictor call (DSPy's `use_native_function_calling`): a
//! signature's tools go to the LM as `tools`, and its tool calls fill the `ToolCalls` output.

use serde_json::{Map, Value};

use dspy_adapters::tools::{function_parameters, normalize_tool_calls};
use dspy_adapters::{Adapter, SignatureSpec, Values};

use crate::lm::{LanguageModel, ToolCall, ToolSpec};
use crate::Error;

/// What native function calling changes in a call: the signature the prompt shows (without
/// the tools input and the tool-calls output) and the tools the request carries.
pub(super) struct NativeTools {
    /// The signature to format and parse the text with.
    pub spec: SignatureSpec,
    /// The `tools` of the request.
    pub tools: Vec<ToolSpec>,
}

/// The native plan for a call, or `None` when the call stays in text: the adapter does not use
/// native function calling, the signature has no `ToolCalls` output, or the LM does not
/// support function calling (then the tools stay a prompt field, as in DSPy).
pub(super) fn plan(
    adapter: &dyn Adapter,
    lm: &dyn LanguageModel,
    spec: &SignatureSpec,
    inputs: &Values,
) -> Result<Option<NativeTools>, Error> {
    if !adapter.native_function_calling() {
        return Ok(None);
    }
    let Some(calls_field) = spec.tool_calls_field() else {
        return Ok(None);
    };
    let Some(tools_field) = spec.tools_field() else {
        return Err(Error::FunctionCalling(format!(
            "the output `{}` receives tool calls, but no input holds the tools; add an input \
             field of type `list[dspy.Tool]` (a `Vec<Tool>` in a typed signature)",
            calls_field.name
        )));
    };
    if !lm.supports_function_calling() {
        return Ok(None);
    }
    let value = inputs.get(&tools_field.name).ok_or_else(|| {
        Error::FunctionCalling(format!(
            "the tools input `{}` is missing; pass the tools the LM may call",
            tools_field.name
        ))
    })?;
    let values = match value {
        Value::Array(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    let tools = values
        .iter()
        .map(|tool| {
            let (name, description, parameters) = function_parameters(tool).ok_or_else(|| {
                Error::FunctionCalling(format!(
                    "a value of the tools input `{}` is not a tool ({{\"name\", \"desc\", \
                     \"args\"}}, as `Tool::to_value` writes it): {tool}",
                    tools_field.name
                ))
            })?;
            Ok(ToolSpec {
                name,
                description,
                parameters,
            })
        })
        .collect::<Result<Vec<ToolSpec>, Error>>()?;
    let spec = spec.without(&calls_field.name).without(&tools_field.name);
    Ok(Some(NativeTools { spec, tools }))
}

/// The LM's tool calls as the value of a `ToolCalls` field.
pub(super) fn tool_calls_value(calls: &[ToolCall]) -> Result<Value, String> {
    let calls: Vec<Value> = calls
        .iter()
        .map(|call| {
            let mut out = Map::with_capacity(3);
            out.insert("id".into(), Value::from(call.id.as_str()));
            out.insert("name".into(), Value::from(call.name.as_str()));
            out.insert("args".into(), call.args.clone());
            Value::Object(out)
        })
        .collect();
    normalize_tool_calls(&Value::Array(calls))
}
