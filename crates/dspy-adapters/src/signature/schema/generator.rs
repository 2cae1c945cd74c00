//! The schema of each field type: scalars, containers, unions, literals, enums, models and
//! `dspy.History`.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::defs::short_def_name;
use super::normalize::{dedup_literals, flatten_union, flattened_any_of, py_eq};
use super::titles::{title_from_name, title_should_be_set};
use super::{obj, placeholder, placeholder_index, type_schema, Def, Generator};
use crate::signature::types::{EnumDef, FieldType, LiteralValue, ModelDef, ModelField};

impl Generator {
    /// The schema of `ty` where it is used (models and enums as references).
    pub(super) fn schema(&mut self, ty: &FieldType) -> Value {
        match ty {
            FieldType::Str => type_schema("string"),
            FieldType::Int => type_schema("integer"),
            FieldType::Float => type_schema("number"),
            FieldType::Bool => type_schema("boolean"),
            FieldType::None => type_schema("null"),
            FieldType::Any => Value::Object(Map::new()),
            FieldType::List(inner) => {
                let items = self.schema(inner);
                obj([("type", Value::from("array")), ("items", items)])
            }
            FieldType::Dict(k, v) => self.dict_schema(k, v),
            FieldType::Tuple(items) => {
                let prefix: Vec<Value> = items.iter().map(|t| self.schema(t)).collect();
                let n = prefix.len();
                let mut out = Map::new();
                out.insert("type".into(), Value::from("array"));
                if !prefix.is_empty() {
                    out.insert("prefixItems".into(), Value::Array(prefix));
                }
                out.insert("minItems".into(), Value::from(n));
                out.insert("maxItems".into(), Value::from(n));
                Value::Object(out)
            }
            FieldType::Union(members) => self.union_schema(members),
            FieldType::Literal(values) => literal_schema(&dedup_literals(values)),
            FieldType::Enum(def) if def.members.is_empty() => enum_body(def),
            FieldType::Enum(_) | FieldType::Model(_) | FieldType::History => self.reference(ty),
            FieldType::Tool => self.reference(&FieldType::Model(tool_model())),
            FieldType::ToolCalls => self.reference(&FieldType::Model(tool_calls_model())),
        }
    }

    /// `{"$ref": ...}` to the definition of `ty`, creating it on first use.
    fn reference(&mut self, ty: &FieldType) -> Value {
        let index = match self.defs.iter().position(|d| same_definition(&d.ty, ty)) {
            Some(i) => i,
            None => {
                let index = self.defs.len();
                let short = match ty {
                    FieldType::Model(def) => short_def_name(&def.name),
                    FieldType::Enum(def) => short_def_name(&def.name),
                    _ => "History".to_string(),
                };
                // Registered before its body is built, so names number in order of first use.
                self.defs.push(Def {
                    ty: ty.clone(),
                    short,
                    body: Value::Null,
                });
                let body = match ty {
                    FieldType::Model(def) => self.model_body(def),
                    FieldType::Enum(def) => enum_body(def),
                    _ => self.history_body(),
                };
                self.defs[index].body = body;
                index
            }
        };
        obj([("$ref", Value::from(placeholder(index)))])
    }

    /// A model's own schema: `type`, `properties`, `required`, `title`, `description`.
    pub(super) fn model_body(&mut self, def: &ModelDef) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in &def.fields {
            let schema = self.field_schema(field);
            properties.insert(field.name.clone(), schema);
            if field.required {
                required.push(Value::from(field.name.as_str()));
            }
        }
        let mut out = Map::new();
        out.insert("type".into(), Value::from("object"));
        out.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            out.insert("required".into(), Value::Array(required));
        }
        out.insert("title".into(), Value::from(def.name.as_str()));
        if let Some(doc) = &def.doc {
            out.insert("description".into(), Value::from(doc.as_str()));
        }
        Value::Object(out)
    }

    /// `dspy.History`: a frozen model with `extra="forbid"` and one field,
    /// `messages: list[dict[str, Any]]`.
    pub(super) fn history_body(&mut self) -> Value {
        let def = ModelDef {
            name: "History".into(),
            doc: Some(HISTORY_DOC.into()),
            fields: vec![ModelField {
                name: "messages".into(),
                ty: FieldType::List(Box::new(FieldType::Dict(
                    Box::new(FieldType::Str),
                    Box::new(FieldType::Any),
                ))),
                required: true,
                default: None,
                description: None,
            }],
        };
        let mut body = self.model_body(&def);
        if let Value::Object(map) = &mut body {
            map.insert("additionalProperties".into(), Value::Bool(false));
        }
        body
    }

    /// One entry of a model's `properties`: the type's schema, then `default` (for a field
    /// that is not required), `description` and `title`.
    fn field_schema(&mut self, field: &ModelField) -> Value {
        let mut schema = match self.schema(&field.ty) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if !field.required {
            if let Some(default) = &field.default {
                schema.insert("default".into(), default.clone());
            }
        }
        if let Some(description) = &field.description {
            schema.insert("description".into(), Value::from(description.as_str()));
        }
        if !schema.contains_key("title") && title_should_be_set(&field.ty) {
            schema.insert("title".into(), Value::from(title_from_name(&field.name)));
        }
        // Keys next to a `$ref` that repeat the referenced schema are dropped.
        let target = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(placeholder_index)
            .and_then(|i| self.defs.get(i))
            .and_then(|d| d.body.as_object());
        if let Some(target) = target {
            schema.retain(|k, v| k == "$ref" || !target.get(k).is_some_and(|t| py_eq(t, v)));
        }
        Value::Object(schema)
    }

    fn dict_schema(&mut self, key: &FieldType, value: &FieldType) -> Value {
        let mut keys = match self.schema(key) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let keys_are_ref = keys.contains_key("$ref");
        if !keys_are_ref {
            keys.remove("title");
        }
        let mut values = match self.schema(value) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        values.remove("title");
        let mut out = Map::new();
        out.insert("type".into(), Value::from("object"));
        let additional = if values.is_empty() {
            Value::Bool(true)
        } else {
            Value::Object(values)
        };
        out.insert("additionalProperties".into(), additional);
        let constrained_str =
            keys.get("type").and_then(Value::as_str) == Some("string") && keys.len() > 1;
        if constrained_str || keys_are_ref {
            keys.remove("type");
            out.insert("propertyNames".into(), Value::Object(keys));
        }
        Value::Object(out)
    }

    /// A union after Python's flattening and de-duplication: the members other than `None`
    /// (one member as itself, several as `anyOf`), then `null` when `None` was a member.
    fn union_schema(&mut self, members: &[FieldType]) -> Value {
        let flat = flatten_union(members);
        let nullable = flat.iter().any(|m| matches!(m, FieldType::None));
        let choices: Vec<&FieldType> = flat
            .into_iter()
            .filter(|m| !matches!(m, FieldType::None))
            .collect();
        let inner = match choices.as_slice() {
            [] if nullable => return type_schema("null"),
            [one] => self.schema(one),
            many => {
                let generated: Vec<Value> = many.iter().map(|t| self.schema(t)).collect();
                flattened_any_of(generated)
            }
        };
        if !nullable {
            return inner;
        }
        let null = type_schema("null");
        if inner == null {
            return null;
        }
        flattened_any_of(vec![inner, null])
    }
}

/// `dspy.ToolCalls` as its JSON Schema describes it: `tool_calls: list[ToolCall]`, each call a
/// `name` and `args` (DSPy leaves the call id and the results out of the schema).
pub(crate) fn tool_calls_model() -> Arc<ModelDef> {
    static MODEL: std::sync::LazyLock<Arc<ModelDef>> = std::sync::LazyLock::new(|| {
        let call = ModelDef {
            name: "ToolCall".into(),
            doc: None,
            fields: vec![
                required_field("name", FieldType::Str),
                required_field(
                    "args",
                    FieldType::Dict(Box::new(FieldType::Str), Box::new(FieldType::Any)),
                ),
            ],
        };
        let calls = FieldType::List(Box::new(FieldType::Model(Arc::new(call))));
        Arc::new(ModelDef {
            name: "ToolCalls".into(),
            doc: None,
            fields: vec![required_field("tool_calls", calls)],
        })
    });
    Arc::clone(&MODEL)
}

/// A tool's JSON form as a model: `name`, `desc`, `args` (the schema of each argument).
pub(crate) fn tool_model() -> Arc<ModelDef> {
    static MODEL: std::sync::LazyLock<Arc<ModelDef>> = std::sync::LazyLock::new(|| {
        let args = FieldType::Dict(Box::new(FieldType::Str), Box::new(FieldType::Any));
        Arc::new(ModelDef {
            name: "Tool".into(),
            doc: None,
            fields: vec![
                required_field("name", FieldType::Str),
                required_field("desc", FieldType::optional(FieldType::Str)),
                required_field("args", args),
            ],
        })
    });
    Arc::clone(&MODEL)
}

fn required_field(name: &str, ty: FieldType) -> ModelField {
    ModelField {
        name: name.into(),
        ty,
        required: true,
        default: None,
        description: None,
    }
}

/// Whether two `Model`/`Enum`/`History` types share a definition: the same allocation, or
/// equal contents (Rust types have no other identity here).
fn same_definition(a: &FieldType, b: &FieldType) -> bool {
    match (a, b) {
        (FieldType::Model(x), FieldType::Model(y)) => Arc::ptr_eq(x, y) || x == y,
        (FieldType::Enum(x), FieldType::Enum(y)) => Arc::ptr_eq(x, y) || x == y,
        (FieldType::History, FieldType::History) => true,
        _ => false,
    }
}

/// A non-empty enum's own schema: `title`, `description`, `enum`, and `type` when every
/// value has the same JSON type.
pub(super) fn enum_body(def: &EnumDef) -> Value {
    let mut out = Map::new();
    out.insert("title".into(), Value::from(def.name.as_str()));
    if let Some(doc) = def.doc.as_deref().filter(|d| *d != "An enumeration.") {
        out.insert("description".into(), Value::from(doc));
    }
    let values: Vec<Value> = def.members.iter().map(|m| m.value.clone()).collect();
    let ty = single_json_type(&values).filter(|t| *t != "null");
    out.insert("enum".into(), Value::Array(values));
    if let Some(ty) = ty {
        out.insert("type".into(), Value::from(ty));
    }
    Value::Object(out)
}

/// `const` for one member, `enum` for several; `type` when all members share a JSON type.
fn literal_schema(values: &[&LiteralValue]) -> Value {
    let json: Vec<Value> = values.iter().map(|v| v.to_json()).collect();
    let ty = single_json_type(&json);
    let mut out = Map::new();
    match <[Value; 1]>::try_from(json) {
        Ok([one]) => out.insert("const".into(), one),
        Err(many) => out.insert("enum".into(), Value::Array(many)),
    };
    if let Some(ty) = ty {
        out.insert("type".into(), Value::from(ty));
    }
    Value::Object(out)
}

/// The Python type of a JSON value as pydantic names it in schemas (`dict` has none).
fn json_type_name(v: &Value) -> Option<&'static str> {
    match v {
        Value::String(_) => Some("string"),
        Value::Bool(_) => Some("boolean"),
        Value::Number(n) if n.is_f64() => Some("number"),
        Value::Number(_) => Some("integer"),
        Value::Array(_) => Some("array"),
        Value::Null => Some("null"),
        Value::Object(_) => None,
    }
}

/// The JSON type shared by all values, if there is exactly one.
fn single_json_type(values: &[Value]) -> Option<&'static str> {
    let first = json_type_name(values.first()?)?;
    values
        .iter()
        .all(|v| json_type_name(v) == Some(first))
        .then_some(first)
}

/// The docstring of `dspy.History` (DSPy 3.4.1) after `inspect.cleandoc`.
const HISTORY_DOC: &str = r#"Class representing the conversation history.

The conversation history is a list of messages, each message entity should have keys from the associated signature.
For example, if you have the following signature:

```
class MySignature(dspy.Signature):
    question: str = dspy.InputField()
    history: dspy.History = dspy.InputField()
    answer: str = dspy.OutputField()
```

Then the history should be a list of dictionaries with keys "question" and "answer".

Examples:
    ```
    import dspy

    dspy.configure(lm=dspy.LM("openai/gpt-4o-mini"))

    class MySignature(dspy.Signature):
        question: str = dspy.InputField()
        history: dspy.History = dspy.InputField()
        answer: str = dspy.OutputField()

    history = dspy.History(
        messages=[
            {"question": "What is the capital of France?", "answer": "Paris"},
            {"question": "What is the capital of Germany?", "answer": "Berlin"},
        ]
    )

    predict = dspy.Predict(MySignature)
    outputs = predict(question="What is the capital of France?", history=history)
    ```

Example of capturing the conversation history:
    ```
    import dspy

    dspy.configure(lm=dspy.LM("openai/gpt-4o-mini"))

    class MySignature(dspy.Signature):
        question: str = dspy.InputField()
        history: dspy.History = dspy.InputField()
        answer: str = dspy.OutputField()

    predict = dspy.Predict(MySignature)
    outputs = predict(question="What is the capital of France?")
    history = dspy.History(messages=[{"question": "What is the capital of France?", **outputs}])
    outputs_with_history = predict(question="Are you sure?", history=history)
    ```"#;
