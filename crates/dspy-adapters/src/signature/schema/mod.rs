//! The JSON Schema pydantic 2.14 generates for a field type
//! (`pydantic.TypeAdapter(annotation).json_schema()`), which DSPy puts into prompts.
//!
//! The output reproduces pydantic's keys, values and key order:
//!
//! * Python's `typing` normalisation comes first: nested unions are flattened, duplicate
//!   union members and `Literal` members are dropped (first one kept), `Union[X]` is `X`.
//! * `None` in a union is moved last (`anyOf: [..., {"type": "null"}]`), as pydantic builds a
//!   nullable schema around the other members; `anyOf` members equal under Python's `==`
//!   are merged.
//! * Models and enums go to `$defs` and are referenced with `{"$ref": "#/$defs/Name"}`; a
//!   top-level model or enum is written inline. Model fields get a title from their name
//!   (`str.title()`, `_` → space) unless their type is a model or enum.
//! * Every object's keys are sorted by code point, except directly under `properties` and
//!   `default` (pydantic's `GenerateJsonSchema.sort`).
//!
//! When two different models or enums share a name and their schemas differ, pydantic names
//! their definitions after their Python module path, which Rust types do not have; they are
//! named `Name__1`, `Name__2`, ... here, in order of first use.
//!
//! The schema of each type is built in `generator`; `normalize` holds Python's `typing`
//! normalisation and `==`, `defs` the naming of `$defs` and the final key order, `titles`
//! the titles of model fields.

mod defs;
mod generator;
mod normalize;
#[cfg(test)]
mod tests;
mod titles;

use serde_json::Value;

use super::types::FieldType;
use generator::enum_body;

/// The JSON Schema pydantic generates for this type (`TypeAdapter(T).json_schema()`), in
/// pydantic's key order.
///
/// ```
/// use dspy_adapters::signature::{pydantic_schema, FieldType};
///
/// let schema = pydantic_schema(&FieldType::optional(FieldType::List(Box::new(FieldType::Int))));
/// assert_eq!(
///     serde_json::to_string(&schema).unwrap(),
///     r#"{"anyOf":[{"items":{"type":"integer"},"type":"array"},{"type":"null"}]}"#
/// );
/// ```
pub fn pydantic_schema(ty: &FieldType) -> Value {
    let mut gen = Generator::default();
    let top = match ty {
        FieldType::Model(def) => gen.model_body(def),
        FieldType::History => gen.history_body(),
        FieldType::Tool => gen.model_body(&generator::tool_model()),
        FieldType::ToolCalls => gen.model_body(&generator::tool_calls_model()),
        FieldType::Enum(def) => enum_body(def),
        other => gen.schema(other),
    };
    gen.finish(top)
}

/// A model or enum that gets a `$defs` entry.
struct Def {
    /// The type (`Model`, `Enum` or `History`).
    ty: FieldType,
    /// The short definition name pydantic prefers (the class name, normalised).
    short: String,
    /// The schema, with references still as placeholders.
    body: Value,
}

#[derive(Default)]
struct Generator {
    defs: Vec<Def>,
}

/// Prefix of the placeholder strings that stand for `#/$defs/<name>` until names are known.
const PLACEHOLDER: &str = "\u{0}dspy-def:";

fn placeholder(index: usize) -> String {
    format!("{PLACEHOLDER}{index}")
}

fn placeholder_index(s: &str) -> Option<usize> {
    s.strip_prefix(PLACEHOLDER)?.parse().ok()
}

fn obj(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn type_schema(name: &str) -> Value {
    obj([("type", Value::from(name))])
}
