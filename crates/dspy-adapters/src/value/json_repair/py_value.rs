//! Python-like values: truthiness, type comparisons, and Python's `int`/`float` parsing.

use serde_json::{Number, Value};

pub(super) fn empty_string() -> Value {
    Value::String(String::new())
}

/// Python truthiness.
pub(super) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u != 0
            } else if let Some(i) = n.as_i64() {
                i != 0
            } else {
                n.as_f64().is_some_and(|f| f != 0.0)
            }
        }
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// An empty `str`, `list` or `dict`.
pub(super) fn strictly_empty(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Python type identity for the values json_repair produces.
fn same_type(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.is_f64() == y.is_f64(),
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// Same types and the same keys all the way down (values of scalars are not compared).
pub(super) fn same_shape(a: &Value, b: &Value) -> bool {
    if !same_type(a, b) {
        return false;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_shape(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_shape(v, w))
        }
        _ => true,
    }
}

/// A float, with non-finite values (which JSON cannot hold) spelled as Python's `json` would.
pub(super) fn float_value(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None if f.is_nan() => Value::String("NaN".into()),
        None if f > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

/// An integer from an optional `-` and ASCII digits (the caller checks the syntax).
pub(super) fn int_value(negative: bool, digits: &str) -> Value {
    if let Ok(u) = digits.parse::<u64>() {
        if !negative || u == 0 {
            return Value::from(u);
        }
        if let Ok(i) = i64::try_from(-i128::from(u)) {
            return Value::from(i);
        }
    }
    let sign = if negative { "-" } else { "" };
    let trimmed = digits.trim_start_matches('0');
    match format!("{sign}{trimmed}").parse::<f64>() {
        Ok(f) if f.is_finite() => float_value(f),
        _ => Value::String(format!("{sign}{trimmed}")),
    }
}

/// Python's `int(s)` for the characters a number can be made of; `None` when it would raise.
pub(super) fn py_int(s: &str) -> Option<Value> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(int_value(negative, digits))
}

/// Python's `float(s)` for the characters a number can be made of; `None` when it would raise.
pub(super) fn py_float(s: &str) -> Option<Value> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (body, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) || !all_digits(frac_part) || int_part.len() + frac_part.len() == 0 {
        return None;
    }
    if let Some(exp) = exponent {
        let exp = exp.strip_prefix(['-', '+']).unwrap_or(exp);
        if exp.is_empty() || !all_digits(exp) {
            return None;
        }
    }
    s.parse::<f64>().ok().map(float_value)
}
