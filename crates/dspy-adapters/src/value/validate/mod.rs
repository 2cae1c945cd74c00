//! A port of pydantic v2's lax-mode validation (`TypeAdapter(T).validate_python(v)`) for the
//! field types a signature can declare, producing the value's JSON form.
//!
//! Coercions follow pydantic 2.14: `"42"`, `42.0` and `True` are ints; ints are floats
//! (`3` → `3.0`); `"yes"`, `"off"`, `1` and `0.0` are bools; numbers are *not* strings.
//! Unions are validated in pydantic's "smart" mode: an exact type match wins at once,
//! otherwise the most exact success (ties go to the earlier member; among models, the one that
//! set more fields).
//!
//! The checks are split by kind of type: `scalars` (int, float, bool), `containers` (tuple,
//! dict), `unions`, `literals` (literals and enums, compared as Python's `==` does) and
//! `models` (models and `dspy.History`); lists and the simplest types are checked here.

mod containers;
mod literals;
mod models;
mod scalars;
#[cfg(test)]
mod tests;
mod unions;

use serde_json::Value;

use super::validation_error::{LineError, LocItem, ValidationError};
use crate::render::py_repr::py_repr;
use crate::signature::FieldType;
use containers::{check_dict, check_tuple};
use literals::{check_enum, check_literal};
use models::{check_history, check_model, check_tool, check_tool_calls};
use scalars::{check_bool, check_float, check_int};
use unions::check_union;

pub(crate) use literals::py_eq;
pub(crate) use unions::union_members;

/// Models nest no deeper than this (a guard against a model that contains itself).
const MAX_DEPTH: usize = 200;

/// Validates `value` against `ty` the way pydantic's lax mode does and returns the
/// validated value's JSON form (enum members as their values, models as objects with every
/// field in declaration order, defaults filled in).
///
/// ```
/// use dspy_adapters::value::validate;
/// use dspy_adapters::FieldType;
/// use serde_json::json;
///
/// assert_eq!(validate(&json!("3.0"), &FieldType::Int).unwrap(), json!(3));
/// assert_eq!(validate(&json!(3), &FieldType::Float).unwrap(), json!(3.0));
/// assert_eq!(validate(&json!("yes"), &FieldType::Bool).unwrap(), json!(true));
/// assert!(validate(&json!(42), &FieldType::Str).is_err());
/// ```
pub fn validate(value: &Value, ty: &FieldType) -> Result<Value, ValidationError> {
    let mut state = State::default();
    check(value, ty, &mut state).map_err(|errors| ValidationError::new(title(ty), errors))
}

/// The error for a Python literal that has no JSON form (`...`, `2j`, non-UTF-8 bytes): no
/// field type accepts one (except `Any`, whose Python value could not be returned anyway).
pub(super) fn no_json_form(text: &str, ty: &FieldType) -> ValidationError {
    let mut error = LineError::new(
        "no_json_form",
        "Input should be a value with a JSON form, not a Python-only literal",
        &Value::Null,
    );
    error.input_repr = text.to_owned();
    error.input_type = "literal";
    ValidationError::new(title(ty), vec![error])
}

/// How closely an input matched a type (pydantic's "exactness"); a union keeps the most
/// exact success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Exactness {
    /// Only lax mode accepts it (`"3"` for an int).
    Lax,
    /// Strict mode accepts it, but it is not the type itself (an int for a float).
    Strict,
    /// The input is exactly of the type.
    Exact,
}

#[derive(Debug)]
struct State {
    exactness: Exactness,
    /// Fields set from the input by the last model validated (pydantic's tie-breaker).
    fields_set: Option<usize>,
    depth: usize,
}

impl Default for State {
    fn default() -> Self {
        State {
            exactness: Exactness::Exact,
            fields_set: None,
            depth: 0,
        }
    }
}

impl State {
    fn floor(&mut self, exactness: Exactness) {
        self.exactness = self.exactness.min(exactness);
    }
}

type Checked = Result<Value, Vec<LineError>>;

fn fail(kind: &'static str, message: impl Into<String>, input: &Value) -> Checked {
    Err(vec![LineError::new(kind, message, input)])
}

/// Prepends `item` to the location of every error (locations are kept innermost first).
fn at(item: LocItem, mut errors: Vec<LineError>) -> Vec<LineError> {
    for e in &mut errors {
        e.loc.push(item.clone());
    }
    errors
}

fn check(value: &Value, ty: &FieldType, state: &mut State) -> Checked {
    match ty {
        FieldType::Str => match value {
            Value::String(_) => Ok(value.clone()),
            _ => fail("string_type", "Input should be a valid string", value),
        },
        FieldType::Int => check_int(value, state),
        FieldType::Float => check_float(value, state),
        FieldType::Bool => check_bool(value, state),
        FieldType::None => match value {
            Value::Null => Ok(Value::Null),
            _ => fail("none_required", "Input should be None", value),
        },
        FieldType::Any => {
            state.floor(Exactness::Strict);
            Ok(value.clone())
        }
        FieldType::List(item) => match value {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut errors = Vec::new();
                for (i, v) in items.iter().enumerate() {
                    match check(v, item, state) {
                        Ok(v) => out.push(v),
                        Err(e) => errors.extend(at(LocItem::Index(i), e)),
                    }
                }
                if errors.is_empty() {
                    Ok(Value::Array(out))
                } else {
                    Err(errors)
                }
            }
            _ => fail("list_type", "Input should be a valid list", value),
        },
        FieldType::Tuple(types) => check_tuple(value, types, state),
        FieldType::Dict(key, val) => check_dict(value, key, val, state),
        FieldType::Union(_) => check_union(value, ty, state),
        FieldType::Literal(members) => check_literal(value, members, state),
        FieldType::Enum(def) => check_enum(value, def, state),
        FieldType::Model(def) => check_model(value, def, state),
        FieldType::History => check_history(value, state),
        FieldType::Tool => check_tool(value, state),
        FieldType::ToolCalls => check_tool_calls(value, state),
    }
}

/// pydantic's title for a type in error messages: `int`, `list[int]`, `dict[str,int]`,
/// `union[int,str]`, `nullable[int]`, `literal['a','b']`, `enum[Color]`, `Person`.
pub(crate) fn title(ty: &FieldType) -> String {
    match ty {
        FieldType::Str => "str".to_string(),
        FieldType::Int => "int".to_string(),
        FieldType::Float => "float".to_string(),
        FieldType::Bool => "bool".to_string(),
        FieldType::Any => "any".to_string(),
        FieldType::None => "none".to_string(),
        FieldType::History => "History".to_string(),
        FieldType::Tool => "Tool".to_string(),
        FieldType::ToolCalls => "ToolCalls".to_string(),
        FieldType::List(item) => format!("list[{}]", title(item)),
        FieldType::Dict(k, v) => format!("dict[{},{}]", title(k), title(v)),
        FieldType::Tuple(items) => {
            format!(
                "tuple[{}]",
                items.iter().map(title).collect::<Vec<_>>().join(", ")
            )
        }
        FieldType::Union(_) => {
            let members = union_members(ty);
            let nullable = members.contains(&&FieldType::None);
            let rest: Vec<String> = members
                .iter()
                .filter(|m| ***m != FieldType::None)
                .map(|m| title(m))
                .collect();
            let inner = match rest.as_slice() {
                [] => "none".to_string(),
                [only] => only.clone(),
                _ => format!("union[{}]", rest.join(",")),
            };
            if nullable && !rest.is_empty() {
                format!("nullable[{inner}]")
            } else {
                inner
            }
        }
        FieldType::Literal(members) => {
            let reprs: Vec<String> = members.iter().map(|m| py_repr(&m.to_json())).collect();
            format!("literal[{}]", reprs.join(","))
        }
        FieldType::Enum(def) => {
            format!(
                "{}[{}]",
                if def.int_enum { "int-enum" } else { "enum" },
                def.name
            )
        }
        FieldType::Model(def) => def.name.clone(),
    }
}
