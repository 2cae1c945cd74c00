//! [`ValidationError`]: why a value does not fit a type, worded like pydantic's
//! `ValidationError` (which DSPy copies into its parse error messages).

use std::fmt;

use serde_json::Value;

use crate::render::py_repr::py_repr;

/// A value that failed [`validate`](super::validate): one line per problem, like pydantic.
///
/// ```
/// use dspy_adapters::value::validate;
/// use dspy_adapters::FieldType;
/// use serde_json::json;
///
/// let err = validate(&json!(["1", "x"]), &FieldType::List(Box::new(FieldType::Int))).unwrap_err();
/// assert_eq!(err.errors().len(), 1);
/// assert!(err.to_string().starts_with("1 validation error for list[int]\n1\n  Input should be a valid integer"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    title: String,
    errors: Vec<LineError>,
}

/// One problem found while validating: where, what kind, and the offending input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LineError {
    /// Path from the validated value to the offending part (field names, list indices).
    pub loc: Vec<LocItem>,
    /// pydantic's error type, e.g. `int_parsing`, `missing`, `literal_error`.
    pub kind: &'static str,
    /// Human-readable message, e.g. `Input should be a valid integer`.
    pub message: String,
    /// Python `repr` of the offending input, shortened like pydantic's.
    pub input_repr: String,
    /// Python type name of the offending input (`str`, `int`, `dict`, ...).
    pub input_type: &'static str,
}

/// One step of a [`LineError::loc`] path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocItem {
    /// A field name, dict key, or union member title.
    Key(String),
    /// A list or tuple index.
    Index(usize),
}

impl ValidationError {
    pub(super) fn new(title: String, mut errors: Vec<LineError>) -> ValidationError {
        // Locations are collected innermost first while unwinding.
        for e in &mut errors {
            e.loc.reverse();
        }
        ValidationError { title, errors }
    }

    /// The validated type as pydantic titles it, e.g. `list[int]` or `nullable[int]`.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The individual problems, in the order pydantic reports them.
    pub fn errors(&self) -> &[LineError] {
        &self.errors
    }
}

impl LineError {
    /// A problem with `input` at the current location (the caller adds the path).
    pub(super) fn new(kind: &'static str, message: impl Into<String>, input: &Value) -> LineError {
        LineError {
            loc: Vec::new(),
            kind,
            message: message.into(),
            input_repr: short_repr(input),
            input_type: py_type_name(input),
        }
    }
}

/// Python's type name for a JSON value.
pub(super) fn py_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// `repr(v)`, cut like pydantic does to the first 25 and last 24 characters when longer
/// than 50.
fn short_repr(v: &Value) -> String {
    let repr = py_repr(v);
    let count = repr.chars().count();
    if count <= 50 {
        return repr;
    }
    let head: String = repr.chars().take(25).collect();
    let tail: String = repr.chars().skip(count - 24).collect();
    format!("{head}...{tail}")
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "{n} validation error{} for {}",
            if n == 1 { "" } else { "s" },
            self.title
        )?;
        for e in &self.errors {
            f.write_str("\n")?;
            for (i, item) in e.loc.iter().enumerate() {
                if i > 0 {
                    f.write_str(".")?;
                }
                match item {
                    LocItem::Key(k) => f.write_str(k)?,
                    LocItem::Index(i) => write!(f, "{i}")?,
                }
            }
            if !e.loc.is_empty() {
                f.write_str("\n")?;
            }
            write!(
                f,
                "  {} [type={}, input_value={}, input_type={}]\n    For further information visit https://errors.pydantic.dev/2.14/v/{}",
                e.message, e.kind, e.input_repr, e.input_type, e.kind
            )?;
        }
        Ok(())
    }
}
