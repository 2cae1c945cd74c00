//! [`Tool`]: a function an agent ([`ReAct`](crate::react::ReAct)) can call, with a name, a
//! description and the JSON schema of its arguments, as DSPy's `dspy.Tool`.
//!
//! A typed tool takes its arguments as one struct (`serde::Deserialize` + `schemars::JsonSchema`):
//! each field is an argument, its schema is pydantic's for the field's type (what DSPy shows the
//! model), a field with `#[serde(default)]` gets DSPy's `"default"`, and a doc comment its
//! `"description"`. The model's JSON arguments are checked against the argument names and
//! parsed into the struct; bad arguments and tool failures are a [`ToolError`], which ReAct
//! shows the model as the observation.
//!
//! ```
//! use dspy_core::tool::Tool;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize, schemars::JsonSchema)]
//! struct AddArgs {
//!     a: i64,
//!     #[serde(default = "one")]
//!     b: i64,
//! }
//! fn one() -> i64 { 1 }
//!
//! let add = Tool::from_fn("add", "Add two integers.", |args: AddArgs| async move {
//!     Ok::<_, std::convert::Infallible>(args.a + args.b)
//! });
//! assert_eq!(
//!     add.to_string(),
//!     "add, whose description is <desc>Add two integers.</desc>. It takes arguments \
//!      {'a': {'type': 'integer'}, 'b': {'type': 'integer', 'default': 1}}."
//! );
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let args = serde_json::json!({"a": 2, "b": 3});
//! assert_eq!(add.call(args.as_object().unwrap().clone()).await.unwrap(), 5);
//! let bad = serde_json::json!({"a": "two"});
//! assert!(add.call(bad.as_object().unwrap().clone()).await.is_err());
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use dspy_adapters::signature::{field_type_of, pydantic_schema};
use dspy_adapters::tools::{describe_tool, normalize_tool, tool_value};
#[doc(inline)]
pub use dspy_adapters::tools::{ToolCall, ToolCalls};
use dspy_adapters::FieldType;

use crate::lm::BoxFuture;

/// The arguments of one tool call: argument name to JSON value.
pub type ToolArgs = Map<String, Value>;

type ToolFn = dyn Fn(ToolArgs) -> BoxFuture<'static, Result<Value, ToolError>> + Send + Sync;

/// Why a tool call failed. ReAct shows the model `Execution error in {tool}: {this}`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// The model passed an argument the tool does not take.
    #[error("Arg {0} is not in the tool's args.")]
    UnknownArg(String),
    /// The arguments do not fit the tool's types (wrong type, missing argument, ...).
    #[error("invalid arguments: {0}")]
    InvalidArgs(String),
    /// The tool ran and failed.
    #[error("{0}")]
    Failed(String),
    /// The model named a tool the agent does not have.
    #[error("no tool named `{0}`")]
    NoSuchTool(String),
}

/// A function a model can call: DSPy's `dspy.Tool`.
///
/// Built from a typed function with [`Tool::from_fn`], or from a function over raw JSON
/// arguments with [`Tool::new`] and an explicit schema per argument ([`Tool::arg`]).
#[derive(Clone)]
pub struct Tool {
    name: String,
    desc: Option<String>,
    args: Map<String, Value>,
    func: Arc<ToolFn>,
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("name", &self.name)
            .field("desc", &self.desc)
            .field("args", &self.args)
            .finish()
    }
}

impl fmt::Display for Tool {
    /// DSPy's `str(tool)`, as ReAct lists tools in its instructions: `name, whose description
    /// is <desc>...</desc>. It takes arguments {...}.` (newlines in the description become two
    /// spaces; the arguments are Python's `repr` of their schemas).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe_tool(&self.name, self.desc.as_deref(), &self.args))
    }
}

impl Serialize for Tool {
    /// The tool's JSON form as a field value, `{"name", "desc", "args"}` (the function itself
    /// is not data).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Tool {
    /// Reads a tool's JSON form (`{"name", "desc", "args"}`, e.g. from a saved demo) as a
    /// description only: calling it fails with a message saying so, since data holds no
    /// function. Give the real tools to run calls ([`Tool::execute`]).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Tool, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let value = normalize_tool(&value).map_err(serde::de::Error::custom)?;
        let name = value["name"].as_str().unwrap_or_default().to_string();
        let message = format!(
            "the tool `{name}` was read from data and has no function; pass the program's own              tools to run it"
        );
        let mut tool = Tool::new(name, move |_| {
            let message = message.clone();
            async move { Err::<Value, _>(message) }
        });
        tool.desc = value["desc"].as_str().map(str::to_string);
        tool.args = value["args"].as_object().cloned().unwrap_or_default();
        Ok(tool)
    }
}

impl JsonSchema for Tool {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Tool".into()
    }

    /// An object marked as DSPy's `Tool`, so a typed signature's `Vec<Tool>` input is
    /// `list[dspy.Tool]`.
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "object", "x-dspy-type": "Tool"})
    }
}

impl From<&Tool> for Value {
    fn from(tool: &Tool) -> Value {
        tool.to_value()
    }
}

/// DSPy's `_resolve_json_schema_reference`: `$ref`s replaced by their `$defs` entries.
fn resolve_refs(schema: Value) -> Value {
    let Some(defs) = schema.get("$defs").and_then(Value::as_object).cloned() else {
        return schema;
    };
    fn walk(v: &Value, defs: &Map<String, Value>, depth: usize) -> Value {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    let name = r.rsplit('/').next().unwrap_or_default();
                    return match defs.get(name) {
                        // A recursive type stops expanding after a few levels.
                        Some(def) if depth < 8 => walk(def, defs, depth + 1),
                        _ => v.clone(),
                    };
                }
                Value::Object(
                    map.iter()
                        .filter(|(k, _)| *k != "$defs")
                        .map(|(k, v)| (k.clone(), walk(v, defs, depth)))
                        .collect(),
                )
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| walk(i, defs, depth)).collect())
            }
            other => other.clone(),
        }
    }
    walk(&schema, &defs, 0)
}

impl Tool {
    /// A tool over raw JSON arguments; add each argument's schema with [`Tool::arg`].
    ///
    /// ```
    /// use dspy_core::tool::{Tool, ToolError};
    /// use serde_json::json;
    ///
    /// let echo = Tool::new("echo", |args| async move {
    ///     Ok::<_, ToolError>(args.get("text").cloned().unwrap_or_default())
    /// })
    /// .desc("Repeat the text.")
    /// .arg("text", json!({"type": "string"}));
    /// assert!(echo.to_string().ends_with("It takes arguments {'text': {'type': 'string'}}."));
    /// ```
    pub fn new<F, Fut, R, E>(name: impl Into<String>, func: F) -> Tool
    where
        F: Fn(ToolArgs) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + Send + 'static,
        R: Serialize,
        E: fmt::Display,
    {
        let func = Arc::new(func);
        Tool {
            name: name.into(),
            desc: None,
            args: Map::new(),
            func: Arc::new(move |args| {
                let fut = func(args);
                Box::pin(async move {
                    let value = fut.await.map_err(|e| ToolError::Failed(e.to_string()))?;
                    serde_json::to_value(value).map_err(|e| ToolError::Failed(e.to_string()))
                })
            }),
        }
    }

    /// A tool whose arguments are the fields of `A` (see the module docs), described by `desc`.
    pub fn from_fn<A, F, Fut, R, E>(
        name: impl Into<String>,
        desc: impl Into<String>,
        func: F,
    ) -> Tool
    where
        A: DeserializeOwned + JsonSchema,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + Send + 'static,
        R: Serialize,
        E: fmt::Display,
    {
        let mut args = Map::new();
        if let FieldType::Model(model) = field_type_of::<A>() {
            for field in &model.fields {
                let mut schema = resolve_refs(pydantic_schema(&field.ty));
                if let Value::Object(map) = &mut schema {
                    if let Some(d) = &field.default {
                        map.insert("default".into(), d.clone());
                    }
                    if let Some(d) = &field.description {
                        map.insert("description".into(), Value::String(d.clone()));
                    }
                }
                args.insert(field.name.clone(), schema);
            }
        }
        let func = Arc::new(func);
        Tool {
            name: name.into(),
            desc: Some(desc.into()),
            args,
            func: Arc::new(move |raw: ToolArgs| {
                let call = serde_json::from_value::<A>(Value::Object(raw))
                    .map(|args| func(args))
                    .map_err(|e| ToolError::InvalidArgs(e.to_string()));
                Box::pin(async move {
                    let value = call?.await.map_err(|e| ToolError::Failed(e.to_string()))?;
                    serde_json::to_value(value).map_err(|e| ToolError::Failed(e.to_string()))
                })
            }),
        }
    }

    /// Sets the description.
    pub fn desc(mut self, desc: impl Into<String>) -> Tool {
        self.desc = Some(desc.into());
        self
    }

    /// Adds an argument with its JSON schema (pydantic's form, e.g. `{"type": "integer"}`).
    pub fn arg(mut self, name: impl Into<String>, schema: Value) -> Tool {
        self.args.insert(name.into(), schema);
        self
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Tool {
        self.name = name.into();
        self
    }

    /// The tool's name.
    pub fn tool_name(&self) -> &str {
        &self.name
    }

    /// The description, if any.
    pub fn description(&self) -> Option<&str> {
        self.desc.as_deref()
    }

    /// Each argument's JSON schema, in order (DSPy's `tool.args`).
    pub fn args(&self) -> &Map<String, Value> {
        &self.args
    }

    /// The tool as a field value, `{"name", "desc", "args"}`: what a `list[dspy.Tool]` input
    /// holds, for native function calling or a prompt.
    pub fn to_value(&self) -> Value {
        tool_value(&self.name, self.desc.as_deref(), &self.args)
    }

    /// Runs one call the LM asked for (a [`ToolCall`] of a `ToolCalls` output) with the tool
    /// of that name among `tools` (DSPy's `ToolCall.execute`).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use dspy_core::tool::{Tool, ToolError};
    /// use dspy_core::adapters::tools::ToolCall;
    /// use serde_json::json;
    ///
    /// let add = Tool::new("add", |args| async move {
    ///     Ok::<_, ToolError>(json!(args["a"].as_i64().unwrap_or(0) + 1))
    /// })
    /// .arg("a", json!({"type": "integer"}));
    /// let args = json!({"a": 2}).as_object().cloned().unwrap_or_default();
    /// let call = ToolCall { id: None, name: "add".into(), args };
    /// assert_eq!(Tool::execute(&[add], &call).await.unwrap(), json!(3));
    /// # });
    /// ```
    pub async fn execute(tools: &[Tool], call: &ToolCall) -> Result<Value, ToolError> {
        let tool = tools
            .iter()
            .find(|t| t.name == call.name)
            .ok_or_else(|| ToolError::NoSuchTool(call.name.clone()))?;
        tool.call(call.args.clone()).await
    }

    /// Calls the tool: rejects arguments it does not take (as DSPy does), then runs it.
    pub async fn call(&self, args: ToolArgs) -> Result<Value, ToolError> {
        if let Some(unknown) = args.keys().find(|k| !self.args.contains_key(*k)) {
            return Err(ToolError::UnknownArg(unknown.clone()));
        }
        (self.func)(args).await
    }

    /// The OpenAI function-calling form (DSPy's `format_as_litellm_function_call`).
    pub fn function_schema(&self) -> Value {
        serde_json::json!({
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.desc,
                "parameters": dspy_adapters::tools::object_parameters(&self.args),
            },
        })
    }
}
