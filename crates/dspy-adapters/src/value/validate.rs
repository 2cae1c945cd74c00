//! A port of pydantic v2's lax-mode validation (`TypeAdapter(T).validate_python(v)`) for the
//! field types a signature can declare, producing the value's JSON form.
//!
//! Coercions follow pydantic 2.14: `"42"`, `42.0` and `True` are ints; ints are floats
//! (`3` → `3.0`); `"yes"`, `"off"`, `1` and `0.0` are bools; numbers are *not* strings.
//! Unions are validated in pydantic's "smart" mode: an exact type match wins at once,
//! otherwise the most exact success (ties go to the earlier member; among models, the one that
//! set more fields).

use serde_json::{Map, Number, Value};

use super::py_text::py_strip;
use super::validation_error::{LineError, LocItem, ValidationError};
use crate::render::py_repr::{float_repr, py_repr};
use crate::signature::{EnumDef, FieldType, LiteralValue, ModelDef};

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
    }
}

fn check_int(value: &Value, state: &mut State) -> Checked {
    match value {
        Value::Number(n) if !n.is_f64() => Ok(value.clone()),
        Value::Number(n) => {
            state.floor(Exactness::Lax);
            let x = n.as_f64().unwrap_or(f64::NAN);
            if !x.is_finite() {
                fail("finite_number", "Input should be a finite number", value)
            } else if x.fract() != 0.0 {
                fail(
                    "int_from_float",
                    "Input should be a valid integer, got a number with a fractional part",
                    value,
                )
            } else {
                float_to_int(x).map(Value::Number).ok_or(()).or_else(|()| {
                    fail(
                        "int_parsing_size",
                        "Unable to parse input string as an integer, exceeded maximum size",
                        value,
                    )
                })
            }
        }
        Value::Bool(b) => {
            state.floor(Exactness::Lax);
            Ok(Value::from(i64::from(*b)))
        }
        Value::String(s) => {
            state.floor(Exactness::Lax);
            match parse_int_str(s) {
                Some(IntParse::Ok(n)) => Ok(Value::Number(n)),
                Some(IntParse::TooBig) => fail(
                    "int_parsing_size",
                    "Unable to parse input string as an integer, exceeded maximum size",
                    value,
                ),
                None => fail(
                    "int_parsing",
                    "Input should be a valid integer, unable to parse string as an integer",
                    value,
                ),
            }
        }
        _ => fail("int_type", "Input should be a valid integer", value),
    }
}

/// A whole float as an int, when it fits in 64 bits.
fn float_to_int(x: f64) -> Option<Number> {
    if x >= -(2f64.powi(63)) && x < 2f64.powi(63) {
        Some(Number::from(x as i64))
    } else if x >= 0.0 && x < 2f64.powi(64) {
        Some(Number::from(x as u64))
    } else {
        None
    }
}

enum IntParse {
    Ok(Number),
    TooBig,
}

/// pydantic's str → int: surrounding whitespace ignored, an optional sign, ASCII digits with
/// single `_` between them, and optionally `.` followed by zeros only (`"3.000"`).
fn parse_int_str(s: &str) -> Option<IntParse> {
    let s = py_strip(s);
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = match body.split_once('.') {
        Some((int, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => int,
        Some(_) => return None,
        None => body,
    };
    let cleaned = digits_without_underscores(digits)?;
    let text = if negative {
        format!("-{cleaned}")
    } else {
        cleaned
    };
    if let Ok(i) = text.parse::<i64>() {
        Some(IntParse::Ok(Number::from(i)))
    } else if let Ok(u) = text.parse::<u64>() {
        Some(IntParse::Ok(Number::from(u)))
    } else {
        Some(IntParse::TooBig)
    }
}

/// ASCII digits with single underscores between digits, underscores removed; `None` for
/// anything else (including no digits).
fn digits_without_underscores(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_digit() || !b[b.len() - 1].is_ascii_digit() {
        return None;
    }
    let mut out = String::with_capacity(b.len());
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' => out.push(c as char),
            b'_' if b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit() => {}
            _ => return None,
        }
    }
    Some(out)
}

fn check_float(value: &Value, state: &mut State) -> Checked {
    match value {
        Value::Number(n) if n.is_f64() => Ok(value.clone()),
        Value::Number(n) => {
            state.floor(Exactness::Strict);
            finite_float(n.as_f64().unwrap_or(f64::NAN), value)
        }
        Value::Bool(b) => {
            state.floor(Exactness::Lax);
            finite_float(if *b { 1.0 } else { 0.0 }, value)
        }
        Value::String(s) => {
            state.floor(Exactness::Lax);
            match parse_float_str(s) {
                Some(x) => finite_float(x, value),
                None => fail(
                    "float_parsing",
                    "Input should be a valid number, unable to parse string as a number",
                    value,
                ),
            }
        }
        _ => fail("float_type", "Input should be a valid number", value),
    }
}

/// A float as JSON. Python accepts `inf` and `nan`, which JSON cannot hold: they are refused.
fn finite_float(x: f64, input: &Value) -> Checked {
    match Number::from_f64(x) {
        Some(n) => Ok(Value::Number(n)),
        None => fail("finite_number", "Input should be a finite number", input),
    }
}

/// pydantic's str → float (Python's `float()` grammar with ASCII digits): surrounding
/// whitespace ignored, `_` allowed between digits, `inf`/`nan` spelled any case.
fn parse_float_str(s: &str) -> Option<f64> {
    let s = py_strip(s);
    let b = s.as_bytes();
    if b.iter().enumerate().any(|(i, &c)| {
        c == b'_'
            && !(i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit))
    }) {
        return None;
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'+' | b'-'))
    {
        return None;
    }
    s.replace('_', "").parse::<f64>().ok()
}

fn check_bool(value: &Value, state: &mut State) -> Checked {
    const TRUE: [&str; 6] = ["1", "on", "t", "true", "y", "yes"];
    const FALSE: [&str; 6] = ["0", "off", "f", "false", "n", "no"];
    let parsing = || {
        fail(
            "bool_parsing",
            "Input should be a valid boolean, unable to interpret input",
            value,
        )
    };
    match value {
        Value::Bool(_) => Ok(value.clone()),
        Value::Number(n) => {
            state.floor(Exactness::Lax);
            let x = n.as_f64().unwrap_or(f64::NAN);
            if n.is_f64() && x.fract() != 0.0 {
                fail("bool_type", "Input should be a valid boolean", value)
            } else if x == 0.0 {
                Ok(Value::Bool(false))
            } else if x == 1.0 {
                Ok(Value::Bool(true))
            } else {
                parsing()
            }
        }
        Value::String(s) => {
            state.floor(Exactness::Lax);
            if TRUE.iter().any(|w| s.eq_ignore_ascii_case(w)) {
                Ok(Value::Bool(true))
            } else if FALSE.iter().any(|w| s.eq_ignore_ascii_case(w)) {
                Ok(Value::Bool(false))
            } else {
                parsing()
            }
        }
        _ => fail("bool_type", "Input should be a valid boolean", value),
    }
}

fn check_tuple(value: &Value, types: &[FieldType], state: &mut State) -> Checked {
    let Value::Array(items) = value else {
        return fail("tuple_type", "Input should be a valid tuple", value);
    };
    // A list is not a tuple in strict mode.
    state.floor(Exactness::Lax);
    if items.len() > types.len() {
        return fail(
            "too_long",
            format!(
                "Tuple should have at most {} items after validation, not {}",
                types.len(),
                items.len()
            ),
            value,
        );
    }
    let mut out = Vec::with_capacity(types.len());
    let mut errors = Vec::new();
    for (i, ty) in types.iter().enumerate() {
        match items.get(i) {
            Some(v) => match check(v, ty, state) {
                Ok(v) => out.push(v),
                Err(e) => errors.extend(at(LocItem::Index(i), e)),
            },
            None => errors.push({
                let mut e = LineError::new("missing", "Field required", value);
                e.loc.push(LocItem::Index(i));
                e
            }),
        }
    }
    if errors.is_empty() {
        Ok(Value::Array(out))
    } else {
        Err(errors)
    }
}

fn check_dict(
    value: &Value,
    key_ty: &FieldType,
    value_ty: &FieldType,
    state: &mut State,
) -> Checked {
    let Value::Object(map) = value else {
        return fail("dict_type", "Input should be a valid dictionary", value);
    };
    let mut out = Map::new();
    let mut errors = Vec::new();
    for (k, v) in map {
        let key = match check(&Value::String(k.clone()), key_ty, state) {
            Ok(key) => json_key(&key),
            Err(e) => {
                errors.extend(at(
                    LocItem::Key(k.clone()),
                    at(LocItem::Key("[key]".to_string()), e),
                ));
                None
            }
        };
        match check(v, value_ty, state) {
            Ok(v) => {
                if let Some(key) = key {
                    out.insert(key, v);
                }
            }
            Err(e) => errors.extend(at(LocItem::Key(k.clone()), e)),
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(errors)
    }
}

/// A validated dict key as a JSON object key, as pydantic's JSON dump writes it (`1`,
/// `1.5`, `true`, `null`; strings unchanged). Containers cannot be keys.
fn json_key(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".to_string()),
        Value::Number(n) if n.is_f64() => n.as_f64().map(float_repr),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// The members of a union with nested unions flattened and duplicates dropped, as Python's
/// `typing.Union` does.
pub(crate) fn union_members(ty: &FieldType) -> Vec<&FieldType> {
    fn collect<'a>(ty: &'a FieldType, out: &mut Vec<&'a FieldType>) {
        match ty {
            FieldType::Union(members) => members.iter().for_each(|m| collect(m, out)),
            other => {
                if !out.contains(&other) {
                    out.push(other);
                }
            }
        }
    }
    let mut out = Vec::new();
    collect(ty, &mut out);
    out
}

/// A union: `None` is checked first when it is a member (pydantic's `nullable`), then the other
/// members in smart mode.
fn check_union(value: &Value, ty: &FieldType, state: &mut State) -> Checked {
    let members = union_members(ty);
    let nullable = members.contains(&&FieldType::None);
    if nullable && value.is_null() {
        return Ok(Value::Null);
    }
    let choices: Vec<&FieldType> = members
        .into_iter()
        .filter(|m| **m != FieldType::None)
        .collect();
    match choices.as_slice() {
        [] => fail("none_required", "Input should be None", value),
        [only] => check(value, only, state),
        _ => smart_union(value, &choices, state),
    }
}

fn smart_union(value: &Value, choices: &[&FieldType], state: &mut State) -> Checked {
    let mut best: Option<(Value, Exactness, Option<usize>)> = None;
    let mut errors = Vec::new();
    for choice in choices {
        let mut sub = State {
            exactness: Exactness::Exact,
            fields_set: None,
            depth: state.depth,
        };
        match check(value, choice, &mut sub) {
            Ok(v) => {
                if sub.exactness == Exactness::Exact && sub.fields_set.is_none() {
                    return Ok(v);
                }
                let better =
                    best.as_ref()
                        .is_none_or(|(_, ex, fields)| match (*fields, sub.fields_set) {
                            (Some(cur), Some(new)) if cur != new => cur < new,
                            _ => *ex < sub.exactness,
                        });
                if better {
                    best = Some((v, sub.exactness, sub.fields_set));
                }
            }
            Err(e) => {
                if best.is_none() {
                    errors.extend(at(LocItem::Key(title(choice)), e));
                }
            }
        }
    }
    match best {
        Some((v, exactness, fields_set)) => {
            state.floor(exactness);
            state.fields_set = fields_set;
            Ok(v)
        }
        None => Err(errors),
    }
}

/// A number (or bool) as Python compares it: `True == 1 == 1.0`.
#[derive(Clone, Copy, PartialEq)]
enum Num {
    Int(i128),
    Float(f64),
}

fn as_num(v: &Value) -> Option<Num> {
    match v {
        Value::Bool(b) => Some(Num::Int(i128::from(*b))),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(Num::Int(i128::from(i)))
            } else if let Some(u) = n.as_u64() {
                Some(Num::Int(i128::from(u)))
            } else {
                n.as_f64().map(Num::Float)
            }
        }
        _ => None,
    }
}

fn num_eq(a: Num, b: Num) -> bool {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x == y,
        (Num::Float(x), Num::Float(y)) => x == y,
        (Num::Int(i), Num::Float(f)) | (Num::Float(f), Num::Int(i)) => {
            f.fract() == 0.0 && f.abs() < 2f64.powi(120) && f as i128 == i
        }
    }
}

/// Python's `a == b` for JSON values (numbers and bools compare by value, `1 == 1.0 == True`).
pub(crate) fn py_eq(a: &Value, b: &Value) -> bool {
    match (as_num(a), as_num(b)) {
        (Some(x), Some(y)) => num_eq(x, y),
        (None, None) => match (a, b) {
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| py_eq(x, y))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
            }
            _ => a == b,
        },
        _ => false,
    }
}

/// True when `a` and `b` are the same Python type (`True` is not an int here).
fn same_type(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.is_f64() == y.is_f64(),
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

fn check_literal(value: &Value, members: &[LiteralValue], state: &mut State) -> Checked {
    let expected: Vec<Value> = members.iter().map(LiteralValue::to_json).collect();
    if let Some(m) = expected
        .iter()
        .find(|m| same_type(m, value) && py_eq(m, value))
    {
        return Ok(m.clone());
    }
    // Lax: numbers and bools equal by value (`1.0` or `True` for `Literal[1]`).
    if let Some(m) = expected
        .iter()
        .find(|m| as_num(m).is_some() && py_eq(m, value))
    {
        state.floor(Exactness::Lax);
        return Ok(m.clone());
    }
    fail(
        "literal_error",
        format!("Input should be {}", one_of(&expected)),
        value,
    )
}

/// `'a'`, `'a' or 'b'`, `1, 2 or 3`: pydantic's list of expected values.
fn one_of(values: &[Value]) -> String {
    let reprs: Vec<String> = values.iter().map(py_repr).collect();
    match reprs.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// pydantic's enum validator: the input must equal a member's value (an `IntEnum` also takes
/// the value's digits as a string). The result is the member's value.
fn check_enum(value: &Value, def: &EnumDef, state: &mut State) -> Checked {
    state.floor(Exactness::Lax);
    let found = def
        .members
        .iter()
        .find(|m| py_eq(&m.value, value))
        .or_else(|| {
            let text = value.as_str().filter(|_| def.int_enum)?;
            let Some(IntParse::Ok(n)) = parse_int_str(text) else {
                return None;
            };
            let n = Value::Number(n);
            def.members.iter().find(|m| py_eq(&m.value, &n))
        });
    match found {
        Some(m) => Ok(m.value.clone()),
        None => {
            let values: Vec<Value> = def.members.iter().map(|m| m.value.clone()).collect();
            fail(
                "enum",
                format!("Input should be {}", one_of(&values)),
                value,
            )
        }
    }
}

fn check_model(value: &Value, def: &ModelDef, state: &mut State) -> Checked {
    let Value::Object(input) = value else {
        return fail(
            "model_type",
            format!(
                "Input should be a valid dictionary or instance of {}",
                def.name
            ),
            value,
        );
    };
    if state.depth >= MAX_DEPTH {
        return fail(
            "recursion_loop",
            "Recursion error - cyclic reference detected",
            value,
        );
    }
    state.floor(Exactness::Strict);
    state.depth += 1;
    let mut out = Map::new();
    let mut errors = Vec::new();
    let mut fields_set = 0;
    for field in &def.fields {
        match input.get(&field.name) {
            Some(v) => {
                fields_set += 1;
                match check(v, &field.ty, state) {
                    Ok(v) => {
                        out.insert(field.name.clone(), v);
                    }
                    Err(e) => errors.extend(at(LocItem::Key(field.name.clone()), e)),
                }
            }
            None if field.required => {
                let mut e = LineError::new("missing", "Field required", value);
                e.loc.push(LocItem::Key(field.name.clone()));
                errors.push(e);
            }
            None => {
                out.insert(
                    field.name.clone(),
                    field.default.clone().unwrap_or(Value::Null),
                );
            }
        }
    }
    state.depth -= 1;
    state.fields_set = Some(fields_set);
    if errors.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(errors)
    }
}

/// `dspy.History`: an object whose `messages` is a list of dicts.
fn check_history(value: &Value, state: &mut State) -> Checked {
    let Value::Object(input) = value else {
        return fail(
            "model_type",
            "Input should be a valid dictionary or instance of History",
            value,
        );
    };
    state.floor(Exactness::Strict);
    let Some(messages) = input.get("messages") else {
        let mut e = LineError::new("missing", "Field required", value);
        e.loc.push(LocItem::Key("messages".to_string()));
        return Err(vec![e]);
    };
    let list_of_dicts = FieldType::List(Box::new(FieldType::Dict(
        Box::new(FieldType::Str),
        Box::new(FieldType::Any),
    )));
    let messages = check(messages, &list_of_dicts, state)
        .map_err(|e| at(LocItem::Key("messages".to_string()), e))?;
    let mut out = Map::new();
    out.insert("messages".to_string(), messages);
    Ok(Value::Object(out))
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{json, Value};

    use super::validate;
    use crate::signature::{EnumDef, EnumMember, FieldType, LiteralValue, ModelDef, ModelField};

    fn list(t: FieldType) -> FieldType {
        FieldType::List(Box::new(t))
    }

    fn union(members: Vec<FieldType>) -> FieldType {
        FieldType::Union(members)
    }

    fn model(name: &str, fields: Vec<(&str, FieldType, Option<Value>)>) -> FieldType {
        FieldType::Model(Arc::new(ModelDef {
            doc: None,
            name: name.into(),
            fields: fields
                .into_iter()
                .map(|(n, ty, default)| ModelField {
                    name: n.into(),
                    ty,
                    required: default.is_none(),
                    default,
                    description: None,
                })
                .collect(),
        }))
    }

    /// Asserts `validate(input, ty)` gives `want` (`None`: an error).
    fn check(ty: &FieldType, cases: &[(Value, Option<Value>)]) {
        for (input, want) in cases {
            let got = validate(input, ty).ok();
            assert_eq!(&got, want, "validate({input}, {ty})");
        }
    }

    #[test]
    fn str_takes_only_strings() {
        check(
            &FieldType::Str,
            &[
                (json!("a"), Some(json!("a"))),
                (json!(42), None),
                (json!(1.5), None),
                (json!(null), None),
            ],
        );
    }

    #[test]
    fn int_coercions() {
        check(
            &FieldType::Int,
            &[
                (json!(3), Some(json!(3))),
                (json!(3.0), Some(json!(3))),
                (json!("42"), Some(json!(42))),
                (json!(" 42\n"), Some(json!(42))),
                (json!("3.000"), Some(json!(3))),
                (json!("-1_000"), Some(json!(-1000))),
                (json!("+3"), Some(json!(3))),
                (json!(true), Some(json!(1))),
                (json!(3.5), None),
                (json!("3.5"), None),
                (json!("3."), None),
                (json!("0x10"), None),
                (json!("1e3"), None),
                (json!("1__0"), None),
                (json!("42 apples"), None),
                (json!(null), None),
                (json!([1]), None),
            ],
        );
    }

    #[test]
    fn float_coercions() {
        check(
            &FieldType::Float,
            &[
                (json!(3), Some(json!(3.0))),
                (json!(0.5), Some(json!(0.5))),
                (json!("2.75"), Some(json!(2.75))),
                (json!(" 1e5 "), Some(json!(100000.0))),
                (json!("1_000.5"), Some(json!(1000.5))),
                (json!(".5"), Some(json!(0.5))),
                (json!(false), Some(json!(0.0))),
                (json!("inf"), None),
                (json!("nan"), None),
                (json!("3,5"), None),
                (json!(null), None),
            ],
        );
        assert!(validate(&json!(3), &FieldType::Float)
            .unwrap()
            .as_number()
            .unwrap()
            .is_f64());
    }

    #[test]
    fn bool_coercions() {
        let mut cases = Vec::new();
        for word in ["true", "True", "YES", "y", "on", "t", "1"] {
            cases.push((json!(word), Some(json!(true))));
        }
        for word in ["false", "No", "n", "OFF", "f", "0"] {
            cases.push((json!(word), Some(json!(false))));
        }
        cases.extend([
            (json!(1), Some(json!(true))),
            (json!(0.0), Some(json!(false))),
            (json!(" true"), None),
            (json!("maybe"), None),
            (json!(2), None),
            (json!(1.5), None),
            (json!(null), None),
        ]);
        check(&FieldType::Bool, &cases);
    }

    #[test]
    fn containers_validate_items() {
        check(
            &list(FieldType::Int),
            &[
                (json!([1, "2", 3.0]), Some(json!([1, 2, 3]))),
                (json!("1,2"), None),
                (json!({"a": 1}), None),
                (json!([1, "x"]), None),
            ],
        );
        let pair = FieldType::Tuple(vec![FieldType::Int, FieldType::Str]);
        check(
            &pair,
            &[
                (json!([1, "a"]), Some(json!([1, "a"]))),
                (json!([1]), None),
                (json!([1, "a", 2]), None),
                (json!("x"), None),
            ],
        );
        let int_keys = FieldType::Dict(Box::new(FieldType::Int), Box::new(FieldType::Str));
        check(
            &int_keys,
            &[
                (json!({"1": "a"}), Some(json!({"1": "a"}))),
                (json!({"x": "a"}), None),
                (json!([["1", "a"]]), None),
            ],
        );
        let str_int = FieldType::Dict(Box::new(FieldType::Str), Box::new(FieldType::Int));
        check(
            &str_int,
            &[
                (json!({"a": "1"}), Some(json!({"a": 1}))),
                (json!({"a": "x"}), None),
            ],
        );
    }

    #[test]
    fn unions_prefer_exact_then_earliest() {
        let int_str = union(vec![FieldType::Int, FieldType::Str]);
        check(
            &int_str,
            &[
                (json!("5"), Some(json!("5"))),
                (json!(5), Some(json!(5))),
                (json!(null), None),
            ],
        );
        check(
            &union(vec![FieldType::Int, FieldType::Float]),
            &[
                (json!("3.0"), Some(json!(3))),
                (json!(3.0), Some(json!(3.0))),
            ],
        );
        check(
            &union(vec![FieldType::Float, FieldType::Int]),
            &[(json!(3), Some(json!(3))), (json!("3"), Some(json!(3.0)))],
        );
        check(
            &union(vec![FieldType::Bool, FieldType::Int]),
            &[(json!("1"), Some(json!(true))), (json!(1), Some(json!(1)))],
        );
        check(
            &union(vec![FieldType::Str, FieldType::Bool]),
            &[(json!("true"), Some(json!("true")))],
        );
        let optional = FieldType::optional(FieldType::Int);
        check(
            &optional,
            &[
                (json!(null), Some(json!(null))),
                (json!("7"), Some(json!(7))),
                (json!("None"), None),
            ],
        );
        // Between models, the one that set more fields wins.
        let p = model("P", vec![("a", FieldType::Int, None)]);
        let q = model(
            "Q",
            vec![("a", FieldType::Int, None), ("c", FieldType::Float, None)],
        );
        check(
            &union(vec![p.clone(), q.clone()]),
            &[(json!({"a": 1, "c": 2}), Some(json!({"a": 1, "c": 2.0})))],
        );
        check(
            &union(vec![q, p]),
            &[(json!({"a": 1}), Some(json!({"a": 1})))],
        );
    }

    #[test]
    fn literals_and_enums() {
        let ints = FieldType::Literal(vec![LiteralValue::Int(1), LiteralValue::Int(2)]);
        check(
            &ints,
            &[
                (json!(1), Some(json!(1))),
                (json!(1.0), Some(json!(1))),
                (json!(true), Some(json!(1))),
                (json!("1"), None),
                (json!(3), None),
            ],
        );
        let words = FieldType::Literal(vec![
            LiteralValue::Str("a".into()),
            LiteralValue::Str("b".into()),
        ]);
        check(
            &words,
            &[
                (json!("a"), Some(json!("a"))),
                (json!("A"), None),
                (json!(" a"), None),
            ],
        );
        let pri = FieldType::Enum(Arc::new(EnumDef {
            doc: None,
            name: "Pri".into(),
            int_enum: true,
            members: vec![
                EnumMember {
                    name: "LOW".into(),
                    value: json!(1),
                },
                EnumMember {
                    name: "HIGH".into(),
                    value: json!(3),
                },
            ],
        }));
        check(
            &pri,
            &[
                (json!(3), Some(json!(3))),
                (json!("3"), Some(json!(3))),
                (json!(3.0), Some(json!(3))),
                (json!("HIGH"), None),
                (json!(2), None),
            ],
        );
    }

    #[test]
    fn models_fill_defaults_and_ignore_extra_keys() {
        let address = model("Address", vec![("city", FieldType::Str, None)]);
        let person = model(
            "Person",
            vec![
                ("name", FieldType::Str, None),
                ("age", FieldType::Int, None),
                ("address", address, None),
                ("tags", list(FieldType::Str), Some(json!([]))),
            ],
        );
        check(
            &person,
            &[
                (
                    json!({"age": "36", "name": "Ada", "extra": 1, "address": {"city": "London"}}),
                    Some(
                        json!({"name": "Ada", "age": 36, "address": {"city": "London"}, "tags": []}),
                    ),
                ),
                (json!({"name": "Bo"}), None),
                (
                    json!({"name": "Bo", "age": "old", "address": {"city": "x"}}),
                    None,
                ),
                (json!("Ada"), None),
            ],
        );
        let got = validate(
            &json!({"age": 1, "address": {"city": "c"}, "name": "n"}),
            &person,
        )
        .unwrap();
        let keys: Vec<&str> = got
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["name", "age", "address", "tags"]);
    }

    #[test]
    fn errors_read_like_pydantic() {
        let err = validate(&json!(["a", 2, "b"]), &list(FieldType::Int)).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("2 validation errors for list[int]\n0\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='a', input_type=str]"), "{text}");
        assert!(
            text.contains("\n2\n  Input should be a valid integer"),
            "{text}"
        );
        let err = validate(
            &json!("x".repeat(100)),
            &FieldType::optional(FieldType::Int),
        )
        .unwrap_err();
        assert_eq!(err.title(), "nullable[int]");
        assert_eq!(
            err.errors()[0].input_repr,
            format!("'{}...{}'", "x".repeat(24), "x".repeat(23))
        );
        let person = model("P", vec![("a", FieldType::Int, None)]);
        let err = validate(&json!({}), &person).unwrap_err();
        assert!(err.to_string().starts_with("1 validation error for P\na\n  Field required [type=missing, input_value={}, input_type=dict]"));
    }
}
