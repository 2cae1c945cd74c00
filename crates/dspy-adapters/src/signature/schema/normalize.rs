//! Python's `typing` normalisation of unions and literals, and Python's `==` between JSON
//! values (for merging `anyOf` members).

use serde_json::Value;

use super::obj;
use crate::signature::types::{FieldType, LiteralValue};

/// `Literal` members without repeats (same value and same type), first one kept.
pub(super) fn dedup_literals(values: &[LiteralValue]) -> Vec<&LiteralValue> {
    let mut out: Vec<&LiteralValue> = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Union members with nested unions flattened and repeats (by Python type equality) dropped.
pub(super) fn flatten_union(members: &[FieldType]) -> Vec<&FieldType> {
    fn walk<'a>(members: &'a [FieldType], out: &mut Vec<&'a FieldType>) {
        for m in members {
            match m {
                FieldType::Union(inner) => walk(inner, out),
                other => {
                    if !out.iter().any(|seen| py_type_eq(seen, other)) {
                        out.push(other);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(members, &mut out);
    out
}

/// `Union[X]` is `X` once flattened and de-duplicated.
fn collapse(ty: &FieldType) -> &FieldType {
    if let FieldType::Union(members) = ty {
        if let [one] = flatten_union(members).as_slice() {
            return one;
        }
    }
    ty
}

/// Python's `==` between type annotations: unions and literals compare as sets.
fn py_type_eq(a: &FieldType, b: &FieldType) -> bool {
    let (a, b) = (collapse(a), collapse(b));
    match (a, b) {
        (FieldType::Union(x), FieldType::Union(y)) => {
            let (x, y) = (flatten_union(x), flatten_union(y));
            x.iter().all(|m| y.iter().any(|n| py_type_eq(m, n)))
                && y.iter().all(|n| x.iter().any(|m| py_type_eq(m, n)))
        }
        (FieldType::Literal(x), FieldType::Literal(y)) => {
            x.iter().all(|v| y.contains(v)) && y.iter().all(|v| x.contains(v))
        }
        (FieldType::List(x), FieldType::List(y)) => py_type_eq(x, y),
        (FieldType::Dict(k1, v1), FieldType::Dict(k2, v2)) => {
            py_type_eq(k1, k2) && py_type_eq(v1, v2)
        }
        (FieldType::Tuple(x), FieldType::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(m, n)| py_type_eq(m, n))
        }
        (a, b) => a == b,
    }
}

/// `anyOf` of the schemas, with members that are themselves only an `anyOf` spliced in and
/// members equal under Python's `==` merged (first position, last value); one member alone
/// is returned as is.
pub(super) fn flattened_any_of(schemas: Vec<Value>) -> Value {
    let mut members: Vec<Value> = Vec::new();
    for schema in schemas {
        let spliced = match schema {
            Value::Object(mut map) if map.len() == 1 && map.contains_key("anyOf") => {
                match map.remove("anyOf") {
                    Some(Value::Array(items)) => items,
                    Some(other) => vec![obj([("anyOf", other)])],
                    None => Vec::new(),
                }
            }
            other => vec![other],
        };
        for member in spliced {
            match members.iter().position(|m| py_eq(m, &member)) {
                Some(i) => members[i] = member,
                None => members.push(member),
            }
        }
    }
    if members.len() == 1 {
        if let Some(one) = members.pop() {
            return one;
        }
    }
    obj([("anyOf", Value::Array(members))])
}

/// Python's `==` between JSON values: numbers compare by value, `true == 1`, objects ignore
/// key order.
pub(super) fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(m, n)| py_eq(m, n))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        (Value::Bool(_) | Value::Number(_), Value::Bool(_) | Value::Number(_)) => {
            match (as_py_number(a), as_py_number(b)) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            }
        }
        _ => false,
    }
}

/// A number in a form where Python's exact `int`/`float` comparison is `==`.
#[derive(PartialEq)]
enum PyNumber {
    Int(i128),
    Float(f64),
}

fn as_py_number(v: &Value) -> Option<PyNumber> {
    match v {
        Value::Bool(b) => Some(PyNumber::Int(i128::from(*b))),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(PyNumber::Int(i128::from(i)))
            } else if let Some(u) = n.as_u64() {
                Some(PyNumber::Int(i128::from(u)))
            } else {
                let f = n.as_f64()?;
                // An integral float equals the int of the same value.
                if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e38 {
                    Some(PyNumber::Int(f as i128))
                } else {
                    Some(PyNumber::Float(f))
                }
            }
        }
        _ => None,
    }
}
