//! `dspy.Tool` and `dspy.ToolCalls` as field values: how a tool input reads in a prompt, and
//! how the tool calls an LM asks for are read, stored and shown.
//!
//! Field values are JSON ([`Values`](crate::Values)), so the two types have a JSON form:
//!
//! * a tool ([`FieldType::Tool`](crate::FieldType::Tool)) is `{"name", "desc", "args"}`: its
//!   name, its description (or `null`) and the JSON Schema of each argument by name, as DSPy's
//!   `Tool` holds them. A prompt shows it as DSPy's `str(tool)` ([`describe_tool`]);
//! * tool calls ([`FieldType::ToolCalls`](crate::FieldType::ToolCalls)) are
//!   `{"tool_calls": [{"id", "name", "args"}]}`, `id` being the provider's call id or `null`.
//!   A prompt shows them without ids, as DSPy's `ToolCalls.format()` does.
//!
//! [`ToolCalls`] is the typed form, for typed signatures.
//!
//! ```
//! use dspy_adapters::tools::{normalize_tool_calls, ToolCalls};
//! use serde_json::json;
//!
//! // The shapes DSPy accepts: a list of calls, one call, OpenAI's `function` form.
//! let value = normalize_tool_calls(&json!({"name": "add", "arguments": "{\"a\": 1}"})).unwrap();
//! assert_eq!(value, json!({"tool_calls": [{"id": null, "name": "add", "args": {"a": 1}}]}));
//! let calls: ToolCalls = serde_json::from_value(value).unwrap();
//! assert_eq!(calls.tool_calls[0].name, "add");
//! ```

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::render::py_repr::py_repr;
use crate::value::json_repair;

/// The JSON Schema keyword that marks a Rust type as one of DSPy's special types, so typed
/// signatures map it to [`FieldType::Tool`](crate::FieldType::Tool) or
/// [`FieldType::ToolCalls`](crate::FieldType::ToolCalls).
pub const DSPY_TYPE_KEYWORD: &str = "x-dspy-type";

/// DSPy's `ToolCalls.description()`, shown under a `ToolCalls` field in prompts.
pub const TOOL_CALLS_DESCRIPTION: &str = "Tool calls must be a JSON object with `tool_calls`, \
a list of calls. Each call must include `name` and `args`. Example: \
{\"tool_calls\": [{\"name\": \"search\", \"args\": {\"query\": \"cats\"}}]}";

/// The reminder DSPy's Chat and JSON adapters give after a `ToolCalls` output field.
pub const TOOL_CALLS_REMINDER: &str =
    " (must be a JSON object like {\"tool_calls\": [{\"name\": \"...\", \"args\": {...}}]})";

/// The calls an LM asks for (DSPy's `dspy.ToolCalls`), the typed value of a `ToolCalls` field.
///
/// It reads every shape DSPy accepts ([`normalize_tool_calls`]), and `null` as no calls: a
/// `ToolCalls` output is `None` in DSPy when the LM answered without calling a tool, so a typed
/// `tool_calls: ToolCalls` field is then empty.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ToolCalls {
    /// The calls, in the order the LM made them.
    pub tool_calls: Vec<ToolCall>,
}

impl ToolCalls {
    /// True when the LM called no tool.
    pub fn is_empty(&self) -> bool {
        self.tool_calls.is_empty()
    }
}

impl<'de> Deserialize<'de> for ToolCalls {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ToolCalls, D::Error> {
        #[derive(Deserialize)]
        struct Plain {
            tool_calls: Vec<ToolCall>,
        }
        let value = Value::deserialize(deserializer)?;
        if value.is_null() {
            return Ok(ToolCalls::default());
        }
        let value = normalize_tool_calls(&value).map_err(serde::de::Error::custom)?;
        let plain: Plain = serde_json::from_value(value).map_err(serde::de::Error::custom)?;
        Ok(ToolCalls {
            tool_calls: plain.tool_calls,
        })
    }
}

/// One call of a [`ToolCalls`]: which tool, with which arguments.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's call id (native function calling), `None` for calls read from text.
    #[serde(default)]
    pub id: Option<String>,
    /// The tool's name.
    pub name: String,
    /// The arguments, by name.
    #[serde(default)]
    pub args: Map<String, Value>,
}

impl JsonSchema for ToolCalls {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ToolCalls".into()
    }

    /// An object marked as DSPy's `ToolCalls` (see [`DSPY_TYPE_KEYWORD`]).
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "object", "x-dspy-type": "ToolCalls"})
    }
}

/// The JSON form of a tool: `{"name", "desc", "args"}`.
pub fn tool_value(name: &str, desc: Option<&str>, args: &Map<String, Value>) -> Value {
    let mut out = Map::with_capacity(3);
    out.insert("name".into(), Value::from(name));
    out.insert("desc".into(), desc.map_or(Value::Null, Value::from));
    out.insert("args".into(), Value::Object(args.clone()));
    Value::Object(out)
}

/// DSPy's `str(tool)`: `name, whose description is <desc>...</desc>. It takes arguments
/// {...}.`, newlines in the description written as two spaces, the arguments as a Python dict.
///
/// ```
/// use dspy_adapters::tools::describe_tool;
/// let args = serde_json::json!({"a": {"type": "integer"}});
/// assert_eq!(
///     describe_tool("add", Some("Adds."), args.as_object().unwrap()),
///     "add, whose description is <desc>Adds.</desc>. It takes arguments {'a': {'type': 'integer'}}."
/// );
/// ```
pub fn describe_tool(name: &str, desc: Option<&str>, args: &Map<String, Value>) -> String {
    let desc = match desc.filter(|d| !d.is_empty()) {
        Some(d) => format!(", whose description is <desc>{d}</desc>.").replace('\n', "  "),
        None => ".".to_string(),
    };
    let args = py_repr(&Value::Object(args.clone()));
    format!("{name}{desc} It takes arguments {args}.")
}

/// A tool's JSON form as a prompt shows it ([`describe_tool`]); values that are not a tool
/// object are left as they are.
pub(crate) fn present_tool(value: &Value) -> Value {
    match value.as_object() {
        Some(tool) if tool.get("name").is_some_and(Value::is_string) => {
            let name = tool.get("name").and_then(Value::as_str).unwrap_or_default();
            let desc = tool.get("desc").and_then(Value::as_str);
            let empty = Map::new();
            let args = tool
                .get("args")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            Value::String(describe_tool(name, desc, args))
        }
        _ => value.clone(),
    }
}

/// Tool calls as a prompt shows them (DSPy's `ToolCalls.format()`): `{"tool_calls": [{"name",
/// "args"}]}`, without call ids.
pub(crate) fn present_tool_calls(value: &Value) -> Value {
    let Some(calls) = value.get("tool_calls").and_then(Value::as_array) else {
        return value.clone();
    };
    let calls = calls
        .iter()
        .map(|call| {
            let mut out = Map::with_capacity(2);
            out.insert(
                "name".into(),
                call.get("name").cloned().unwrap_or(Value::Null),
            );
            out.insert("args".into(), call.get("args").cloned().unwrap_or_default());
            Value::Object(out)
        })
        .collect();
    let mut out = Map::with_capacity(1);
    out.insert("tool_calls".into(), Value::Array(calls));
    Value::Object(out)
}

/// Reads tool calls in any shape DSPy's `ToolCalls` accepts (a list of calls, `{"tool_calls":
/// [...]}`, one call; each call `{"name", "args"}`, `{"name", "arguments"}` or OpenAI's
/// `{"id", "function": {"name", "arguments"}}`, arguments as an object or as JSON text) into
/// `{"tool_calls": [{"id", "name", "args"}]}`. The error is DSPy's message.
pub fn normalize_tool_calls(value: &Value) -> Result<Value, String> {
    let invalid = || {
        format!(
            "Received invalid value for `dspy.ToolCalls`: {}",
            py_repr(value)
        )
    };
    let (items, results) = match value {
        Value::Array(items) if items.iter().all(is_tool_call) => (items.as_slice(), None),
        Value::Object(map) => match map.get("tool_calls") {
            Some(Value::Array(items)) => (items.as_slice(), map.get("tool_call_results")),
            Some(_) => return Err(invalid()),
            None if is_tool_call(value) => (std::slice::from_ref(value), None),
            None => return Err(invalid()),
        },
        _ => return Err(invalid()),
    };
    let calls = items
        .iter()
        .map(normalize_call)
        .collect::<Result<Vec<Value>, String>>()?;
    let mut out = Map::with_capacity(2);
    out.insert("tool_calls".into(), Value::Array(calls));
    if let Some(results) = results {
        out.insert("tool_call_results".into(), results.clone());
    }
    Ok(Value::Object(out))
}

/// DSPy's `_is_tool_call_dict`: a name with `args`/`arguments`, or a `function`.
fn is_tool_call(value: &Value) -> bool {
    value.as_object().is_some_and(|m| {
        (m.contains_key("name") && (m.contains_key("args") || m.contains_key("arguments")))
            || m.contains_key("function")
    })
}

/// One call as `{"id", "name", "args"}` (DSPy's `_normalize_tool_call_dict`, then the
/// `ToolCall` model's checks: a string name, an optional string id, object arguments).
fn normalize_call(call: &Value) -> Result<Value, String> {
    let Some(map) = call.as_object() else {
        return Err(format!(
            "Received invalid tool call value for `dspy.ToolCalls`: {}",
            py_repr(call)
        ));
    };
    let (name, arguments) = match map.get("function") {
        Some(function) => {
            let empty = Map::new();
            let function = match function {
                Value::Null => &empty,
                other => match other.as_object() {
                    Some(f) => f,
                    None if !truthy(other) => &empty,
                    None => {
                        return Err(format!(
                            "Received invalid function value for `dspy.ToolCalls`: {}",
                            py_repr(other)
                        ))
                    }
                },
            };
            let name = function
                .get("name")
                .filter(|n| truthy(n))
                .or(map.get("name"))
                .cloned();
            (name, function.get("arguments").cloned())
        }
        None => (
            map.get("name").cloned(),
            map.get("args").or(map.get("arguments")).cloned(),
        ),
    };
    let args = match arguments {
        Some(Value::String(text)) => json_repair::loads(&text),
        Some(object @ Value::Object(_)) => object,
        _ => Value::Object(Map::new()),
    };
    let Value::Object(args) = args else {
        return Err(format!(
            "the arguments of a tool call must be a JSON object, got {}",
            py_repr(&args)
        ));
    };
    let Some(Value::String(name)) = name else {
        return Err(format!(
            "a tool call needs a string `name`, got {}",
            name.map_or("nothing".to_string(), |n| py_repr(&n))
        ));
    };
    let id = map
        .get("id")
        .filter(|v| truthy(v))
        .or(map.get("call_id"))
        .cloned()
        .unwrap_or(Value::Null);
    if !(id.is_null() || id.is_string()) {
        return Err(format!(
            "a tool call id must be a string, got {}",
            py_repr(&id)
        ));
    }
    let mut out = Map::with_capacity(3);
    out.insert("id".into(), id);
    out.insert("name".into(), Value::from(name));
    out.insert("args".into(), Value::Object(args));
    Ok(Value::Object(out))
}

/// Python's truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Reads a tool's JSON form (`{"name", "desc", "args"}`), or explains what is wrong with it.
pub fn normalize_tool(value: &Value) -> Result<Value, String> {
    let map = value
        .as_object()
        .ok_or_else(|| format!("a tool must be a JSON object, got {}", py_repr(value)))?;
    let name = map
        .get("name")
        .and_then(Value::as_str)
        .ok_or("a tool needs a string `name`")?;
    let desc = match map.get("desc") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => Some(d.as_str()),
        Some(other) => {
            return Err(format!(
                "a tool's `desc` must be a string, got {}",
                py_repr(other)
            ))
        }
    };
    let empty = Map::new();
    let args = match map.get("args") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(args)) => args,
        Some(other) => {
            return Err(format!(
                "a tool's `args` must be an object, got {}",
                py_repr(other)
            ))
        }
    };
    Ok(tool_value(name, desc, args))
}

/// The `tools` entry a native function-calling request sends for a tool value (DSPy's
/// `format_as_litellm_function_call`): name, description and an object schema whose
/// `required` lists the arguments without a default. `None` for a value that is not a tool.
pub fn function_parameters(tool: &Value) -> Option<(String, Option<String>, Value)> {
    let tool = normalize_tool(tool).ok()?;
    let name = tool.get("name")?.as_str()?.to_string();
    let desc = tool.get("desc").and_then(Value::as_str).map(str::to_string);
    let args = tool.get("args")?.as_object()?;
    Some((name, desc, object_parameters(args)))
}

/// The JSON Schema object of a function's parameters: `args` as its properties, every argument
/// without a `default` required (DSPy's `Tool.format_as_litellm_function_call`).
pub fn object_parameters(args: &Map<String, Value>) -> Value {
    let required: Vec<Value> = args
        .iter()
        .filter(|(_, schema)| schema.get("default").is_none())
        .map(|(k, _)| Value::from(k.as_str()))
        .collect();
    let mut parameters = Map::with_capacity(3);
    parameters.insert("type".into(), Value::from("object"));
    parameters.insert("properties".into(), Value::Object(args.clone()));
    parameters.insert("required".into(), Value::Array(required));
    Value::Object(parameters)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_dspy_accepts() {
        let one = json!({"tool_calls": [{"id": null, "name": "add", "args": {"a": 1}}]});
        for shape in [
            json!([{"name": "add", "args": {"a": 1}}]),
            json!({"tool_calls": [{"name": "add", "args": {"a": 1}}]}),
            json!({"name": "add", "args": {"a": 1}}),
            json!({"name": "add", "arguments": "{\"a\": 1,}"}),
            json!([{"function": {"name": "add", "arguments": "{\"a\": 1}"}}]),
        ] {
            assert_eq!(normalize_tool_calls(&shape).unwrap(), one, "{shape}");
        }
        let openai = json!([{"id": "call_9", "type": "function",
                             "function": {"name": "add", "arguments": "{\"a\": 1}"}}]);
        assert_eq!(
            normalize_tool_calls(&openai).unwrap()["tool_calls"][0]["id"],
            "call_9"
        );
        assert_eq!(
            normalize_tool_calls(&json!({"tool_calls": [{"name": "f", "args": 3}]})).unwrap(),
            json!({"tool_calls": [{"id": null, "name": "f", "args": {}}]})
        );
    }

    #[test]
    fn what_real_models_get_wrong() {
        for bad in [
            json!("call add"),
            json!(["add"]),
            json!({"tool": "add"}),
            json!({"tool_calls": "add"}),
            json!({"tool_calls": [{"args": {}}]}),
            json!({"tool_calls": [{"name": 3, "args": {}}]}),
            json!({"tool_calls": ["add"]}),
            json!({"name": "add", "arguments": "[1, 2]"}),
        ] {
            assert!(normalize_tool_calls(&bad).is_err(), "{bad}");
        }
        assert_eq!(
            normalize_tool_calls(&json!("x")).unwrap_err(),
            "Received invalid value for `dspy.ToolCalls`: 'x'"
        );
    }

    #[test]
    fn prompts_show_calls_without_ids() {
        let value = json!({"tool_calls": [{"id": "c1", "name": "add", "args": {"a": 1}}]});
        assert_eq!(
            present_tool_calls(&value),
            json!({"tool_calls": [{"name": "add", "args": {"a": 1}}]})
        );
    }

    #[test]
    fn tools_read_as_dspy_writes_them() {
        let args = json!({"city": {"type": "string"}, "units": {"type": "string", "default": "C"}});
        let tool = tool_value("weather", Some("Weather.\nNow."), args.as_object().unwrap());
        assert_eq!(
            present_tool(&tool),
            json!(
                "weather, whose description is <desc>Weather.  Now.</desc>. It takes arguments \
                   {'city': {'type': 'string'}, 'units': {'type': 'string', 'default': 'C'}}."
            )
        );
        let (name, desc, parameters) = function_parameters(&tool).unwrap();
        assert_eq!(
            (name.as_str(), desc.as_deref()),
            ("weather", Some("Weather.\nNow."))
        );
        assert_eq!(parameters["required"], json!(["city"]));
        assert!(normalize_tool(&json!({"desc": "x"})).is_err());
        assert!(function_parameters(&json!("weather")).is_none());
    }
}
