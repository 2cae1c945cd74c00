//! Scalars: ints, floats and bools, with pydantic's lax coercions from strings and numbers.

use dspy_pytext::strip;
use serde_json::{Number, Value};

use super::{fail, Checked, Exactness, State};

pub(super) fn check_int(value: &Value, state: &mut State) -> Checked {
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

pub(super) enum IntParse {
    Ok(Number),
    TooBig,
}

/// pydantic's str → int: surrounding whitespace ignored, an optional sign, ASCII digits with
/// single `_` between them, and optionally `.` followed by zeros only (`"3.000"`).
pub(super) fn parse_int_str(s: &str) -> Option<IntParse> {
    let s = strip(s);
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

pub(super) fn check_float(value: &Value, state: &mut State) -> Checked {
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
    let s = strip(s);
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

pub(super) fn check_bool(value: &Value, state: &mut State) -> Checked {
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
