//! Literals and enums, whose members are compared as Python's `==` compares values.

use serde_json::Value;

use super::scalars::{parse_int_str, IntParse};
use super::{fail, Checked, Exactness, State};
use crate::render::py_repr::py_repr;
use crate::signature::{EnumDef, LiteralValue};

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

pub(super) fn check_literal(value: &Value, members: &[LiteralValue], state: &mut State) -> Checked {
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
pub(super) fn check_enum(value: &Value, def: &EnumDef, state: &mut State) -> Checked {
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
