//! Containers beyond lists: tuples and dicts (with pydantic's JSON form of dict keys).

use serde_json::{Map, Value};

use super::{at, check, fail, Checked, Exactness, State};
use crate::render::py_repr::float_repr;
use crate::signature::FieldType;
use crate::value::validation_error::{LineError, LocItem};

pub(super) fn check_tuple(value: &Value, types: &[FieldType], state: &mut State) -> Checked {
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

pub(super) fn check_dict(
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
