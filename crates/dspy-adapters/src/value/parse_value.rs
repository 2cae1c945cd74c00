//! DSPy's `parse_value(value, annotation)`: turning a field's completion text (or a JSON
//! value read by the JSON and XML adapters) into a value of the field's type.

use dspy_pytext::strip;
use serde_json::Value;

use super::json_repair;
use super::py_literal::{literal_eval, LiteralError};
use super::validate::{no_json_form, py_eq, union_members, validate};
use super::validation_error::ValidationError;
use crate::render::py_repr::py_str;
use crate::signature::{EnumDef, FieldType, LiteralValue};

/// Why a field's text could not be converted to the field's type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value does not validate against the type (pydantic's `ValidationError`).
    ///
    /// ```
    /// use dspy_adapters::value::{parse_value, ValueError};
    /// use dspy_adapters::FieldType;
    ///
    /// let err = parse_value("42 apples", &FieldType::Int).unwrap_err();
    /// assert!(matches!(err, ValueError::Invalid(_)));
    /// ```
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The text is neither a value nor a member name of the enum (DSPy's `find_enum_member`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use dspy_adapters::signature::{EnumDef, EnumMember};
    /// use dspy_adapters::value::{parse_value, ValueError};
    /// use dspy_adapters::FieldType;
    /// use serde_json::json;
    ///
    /// let color = FieldType::Enum(Arc::new(EnumDef {
    ///     doc: None,
    ///     name: "Color".into(),
    ///     int_enum: false,
    ///     members: vec![EnumMember { name: "RED".into(), value: json!("red") }],
    /// }));
    /// let err = parse_value("blue", &color).unwrap_err();
    /// assert!(matches!(err, ValueError::NotAnEnumMember { .. }));
    /// assert_eq!(err.to_string(), "blue is not a valid name or value for the enum Color");
    /// ```
    #[error("{value} is not a valid name or value for the enum {enum_name}")]
    NotAnEnumMember {
        /// Python `str()` of the value that matched no member.
        value: String,
        /// The enum's class name.
        enum_name: String,
    },
}

/// Converts a field's completion text to a value of `ty`, as DSPy's `parse_value` does:
///
/// * `str`: the text unchanged;
/// * an enum: the member whose value equals the text, else the member so named;
/// * a `Literal`: the text if it is a member, else the text stripped, unwrapped from
///   `Literal[...]`/`str[...]` and from one pair of quotes, else converted as below;
/// * a union of `str` and `None`: the text validated as it is (`"None"` stays a string);
/// * anything else: the text read as JSON (with repairs), or failing that as a Python literal
///   (`"1, 2"`, `"True"`), or failing that kept as text, then validated with pydantic's lax
///   rules ([`validate`]).
///
/// ```
/// use dspy_adapters::value::parse_value;
/// use dspy_adapters::FieldType;
/// use serde_json::json;
///
/// assert_eq!(parse_value("yes", &FieldType::Bool).unwrap(), json!(true));
/// assert_eq!(parse_value("3.0", &FieldType::Int).unwrap(), json!(3));
/// assert_eq!(parse_value("None", &FieldType::optional(FieldType::Str)).unwrap(), json!("None"));
/// assert!(parse_value("hello", &FieldType::List(Box::new(FieldType::Str))).is_err());
/// ```
pub fn parse_value(text: &str, ty: &FieldType) -> Result<Value, ValueError> {
    let ty = collapse(ty);
    match ty {
        FieldType::Str => Ok(Value::String(text.to_owned())),
        FieldType::Enum(def) => find_enum_member(def, &Value::String(text.to_owned())),
        FieldType::Literal(members) => {
            if members
                .iter()
                .any(|m| matches!(m, LiteralValue::Str(s) if s == text))
            {
                return Ok(Value::String(text.to_owned()));
            }
            let unwrapped = unwrap_literal_text(text);
            if members
                .iter()
                .any(|m| matches!(m, LiteralValue::Str(s) if s == unwrapped))
            {
                return Ok(Value::String(unwrapped.to_owned()));
            }
            from_text(unwrapped, ty)
        }
        FieldType::Union(_) if str_or_none(ty) => {
            Ok(validate(&Value::String(text.to_owned()), ty)?)
        }
        _ => from_text(text, ty),
    }
}

/// [`parse_value`] for a value that is already JSON (what the JSON and XML adapters read).
/// Strings go through [`parse_value`]; for a `str` field any other value becomes its Python
/// `str()` (`{'a': 1}`, `None`, `1.5`); other values are validated as they are.
///
/// ```
/// use dspy_adapters::value::parse_json_value;
/// use dspy_adapters::FieldType;
/// use serde_json::json;
///
/// assert_eq!(parse_json_value(&json!({"a": 1}), &FieldType::Str).unwrap(), json!("{'a': 1}"));
/// assert_eq!(parse_json_value(&json!("[1, 2]"), &FieldType::List(Box::new(FieldType::Int))).unwrap(), json!([1, 2]));
/// assert_eq!(parse_json_value(&json!(3), &FieldType::Float).unwrap(), json!(3.0));
/// ```
pub fn parse_json_value(value: &Value, ty: &FieldType) -> Result<Value, ValueError> {
    if let Value::String(text) = value {
        return parse_value(text, ty);
    }
    let ty = collapse(ty);
    match ty {
        FieldType::Str => Ok(Value::String(py_str(value))),
        FieldType::Enum(def) => find_enum_member(def, value),
        // `value in allowed` compares by Python equality and keeps the value itself: `3.0`
        // for `Literal[1, 2, 3]` stays the float `3.0`.
        FieldType::Literal(members) if members.iter().any(|m| py_eq(&m.to_json(), value)) => {
            Ok(value.clone())
        }
        _ => Ok(validate(value, ty)?),
    }
}

/// The general path: JSON (repaired), else a Python literal, else the raw text; validated.
fn from_text(text: &str, ty: &FieldType) -> Result<Value, ValueError> {
    let mut candidate = json_repair::loads(text);
    if candidate.as_str() == Some("") && !text.is_empty() {
        candidate = match literal_eval(text) {
            Ok(value) => value,
            Err(LiteralError::Invalid) => Value::String(text.to_owned()),
            Err(LiteralError::NoJsonForm) => return Err(no_json_form(text, ty).into()),
        };
    }
    Ok(validate(&candidate, ty)?)
}

/// DSPy's `find_enum_member`: the member whose value equals `value`, else the member named
/// `value`. Returns the member's value.
fn find_enum_member(def: &EnumDef, value: &Value) -> Result<Value, ValueError> {
    if let Some(m) = def.members.iter().find(|m| py_eq(&m.value, value)) {
        return Ok(m.value.clone());
    }
    if let Some(name) = value.as_str() {
        if let Some(m) = def.members.iter().find(|m| m.name == name) {
            return Ok(m.value.clone());
        }
    }
    Err(ValueError::NotAnEnumMember {
        value: py_str(value),
        enum_name: def.name.clone(),
    })
}

/// The text of a `Literal` answer without surrounding whitespace, a `Literal[...]` or
/// `str[...]` wrapper, and one pair of matching quotes.
fn unwrap_literal_text(text: &str) -> &str {
    let mut v = strip(text);
    if (v.starts_with("Literal[") || v.starts_with("str[")) && v.ends_with(']') {
        let open = v.find('[').map_or(0, |i| i + 1);
        v = &v[open..v.len() - 1];
    }
    let b = v.as_bytes();
    if b.len() > 1 && b[0] == b[b.len() - 1] && matches!(b[0], b'"' | b'\'') {
        v = &v[1..v.len() - 1];
    }
    v
}

/// True for a union that has both `str` and `None` among its members.
fn str_or_none(ty: &FieldType) -> bool {
    let members = union_members(ty);
    members.contains(&&FieldType::Str) && members.contains(&&FieldType::None)
}

/// A one-member union is its member (`Union[int]` is `int` in Python).
fn collapse(ty: &FieldType) -> &FieldType {
    if let FieldType::Union(_) = ty {
        if let [only] = union_members(ty).as_slice() {
            return only;
        }
    }
    ty
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{json, Value};

    use super::{parse_json_value, parse_value, ValueError};
    use crate::signature::{EnumDef, EnumMember, FieldType, LiteralValue};

    fn list(t: FieldType) -> FieldType {
        FieldType::List(Box::new(t))
    }

    fn dict(v: FieldType) -> FieldType {
        FieldType::Dict(Box::new(FieldType::Str), Box::new(v))
    }

    fn sentiment() -> FieldType {
        FieldType::Literal(vec![
            LiteralValue::Str("positive".into()),
            LiteralValue::Str("negative".into()),
        ])
    }

    fn color() -> FieldType {
        let member = |name: &str, value: &str| EnumMember {
            name: name.into(),
            value: json!(value),
        };
        FieldType::Enum(Arc::new(EnumDef {
            doc: None,
            name: "Color".into(),
            int_enum: false,
            members: vec![member("RED", "red"), member("GREEN", "green")],
        }))
    }

    fn priority() -> FieldType {
        let member = |name: &str, value: i64| EnumMember {
            name: name.into(),
            value: json!(value),
        };
        FieldType::Enum(Arc::new(EnumDef {
            doc: None,
            name: "Priority".into(),
            int_enum: true,
            members: vec![member("LOW", 1), member("HIGH", 3)],
        }))
    }

    /// Asserts `parse_value(text, ty)` gives `want` (`None`: an error).
    fn check(ty: &FieldType, cases: &[(&str, Option<Value>)]) {
        for (text, want) in cases {
            let got = parse_value(text, ty).ok();
            assert_eq!(&got, want, "parse_value({text:?}, {ty})");
        }
    }

    #[test]
    fn observed_coercions() {
        check(
            &FieldType::Bool,
            &[
                ("yes", Some(json!(true))),
                ("1", Some(json!(true))),
                ("'True'", Some(json!(true))),
                ("True, because it is.", None),
            ],
        );
        check(
            &FieldType::Int,
            &[
                ("3.0", Some(json!(3))),
                ("42", Some(json!(42))),
                ("3.5", None),
                ("42 apples", None),
                ("1_000", Some(json!(1000))),
            ],
        );
        check(
            &FieldType::Float,
            &[("3", Some(json!(3.0))), ("2.75", Some(json!(2.75)))],
        );
        check(
            &list(FieldType::Int),
            &[
                ("1, 2", Some(json!([1, 2]))),
                ("[1, 2, 3]", Some(json!([1, 2, 3]))),
                ("(1, 2)", Some(json!([1, 2]))),
            ],
        );
        check(
            &list(FieldType::Str),
            &[
                ("```json\n[\"a\", \"b\"]\n```", Some(json!(["a", "b"]))),
                ("hello", None),
            ],
        );
        check(
            &dict(FieldType::Int),
            &[
                ("{'a': 1}", Some(json!({"a": 1}))),
                ("{\"a\": 1, \"b\": 2}", Some(json!({"a": 1, "b": 2}))),
            ],
        );
        check(
            &dict(FieldType::Float),
            &[("{'a': 123_456.789}", Some(json!({"a": 123456.789})))],
        );
        check(
            &FieldType::optional(FieldType::Int),
            &[
                ("null", Some(json!(null))),
                ("None", Some(json!(null))),
                ("7", Some(json!(7))),
            ],
        );
    }

    #[test]
    fn strings_pass_through() {
        check(
            &FieldType::Str,
            &[
                ("  Paris \n", Some(json!("  Paris \n"))),
                ("[1, 2]", Some(json!("[1, 2]"))),
            ],
        );
        // `str | None` validates the raw text, so "None" stays a string.
        check(
            &FieldType::optional(FieldType::Str),
            &[("None", Some(json!("None"))), ("5", Some(json!("5")))],
        );
        // Other unions go through JSON: "5" is the int 5.
        check(
            &FieldType::Union(vec![FieldType::Int, FieldType::Str]),
            &[("5", Some(json!(5))), ("five", Some(json!("five")))],
        );
    }

    #[test]
    fn enums_by_value_then_name() {
        check(
            &color(),
            &[
                ("green", Some(json!("green"))),
                ("GREEN", Some(json!("green"))),
                ("Green", None),
                ("'red'", None),
            ],
        );
        // Text never equals an int value, so an IntEnum parses from text by name only.
        check(&priority(), &[("HIGH", Some(json!(3))), ("3", None)]);
        assert_eq!(parse_json_value(&json!(3), &priority()).unwrap(), json!(3));
        assert!(matches!(
            parse_value("blue", &color()),
            Err(ValueError::NotAnEnumMember { .. })
        ));
    }

    #[test]
    fn literal_unwrapping() {
        check(
            &sentiment(),
            &[
                ("positive", Some(json!("positive"))),
                ("'negative'", Some(json!("negative"))),
                ("\"negative\"", Some(json!("negative"))),
                (" Literal['positive'] ", Some(json!("positive"))),
                ("str[negative]", Some(json!("negative"))),
                ("Positive", None),
                ("maybe", None),
            ],
        );
        let ints = FieldType::Literal(vec![
            LiteralValue::Int(1),
            LiteralValue::Int(2),
            LiteralValue::Int(3),
        ]);
        check(
            &ints,
            &[("3", Some(json!(3))), ("'2'", Some(json!(2))), ("4", None)],
        );
        // A non-string value equal to a member is kept as it is (Python's `in`).
        assert_eq!(parse_json_value(&json!(3.0), &ints).unwrap(), json!(3.0));
    }

    #[test]
    fn json_values() {
        assert_eq!(
            parse_json_value(&json!({"a": [1, null]}), &FieldType::Str).unwrap(),
            json!("{'a': [1, None]}")
        );
        assert_eq!(
            parse_json_value(&json!(null), &FieldType::Str).unwrap(),
            json!("None")
        );
        assert_eq!(
            parse_json_value(&json!(1.5), &FieldType::Str).unwrap(),
            json!("1.5")
        );
        assert_eq!(
            parse_json_value(&json!("[1, 2]"), &list(FieldType::Int)).unwrap(),
            json!([1, 2])
        );
        assert_eq!(
            parse_json_value(&json!(1), &FieldType::Float).unwrap(),
            json!(1.0)
        );
        assert!(parse_json_value(&json!("a, b"), &list(FieldType::Str)).is_err());
        assert!(parse_json_value(&json!(5), &FieldType::optional(FieldType::Str)).is_err());
    }

    #[test]
    fn python_only_literals_fit_no_type() {
        check(
            &FieldType::Union(vec![FieldType::Int, FieldType::Str]),
            &[("...", None), ("1+2j", None)],
        );
        check(&FieldType::Str, &[("...", Some(json!("...")))]);
        check(
            &FieldType::Union(vec![FieldType::Int, FieldType::Str]),
            &[("b'x'", Some(json!("x")))],
        );
    }
}
