//! Unions: flattening their members, and pydantic's "smart" mode.

use serde_json::Value;

use super::{at, check, fail, title, Checked, Exactness, State};
use crate::signature::FieldType;
use crate::value::validation_error::LocItem;

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
pub(super) fn check_union(value: &Value, ty: &FieldType, state: &mut State) -> Checked {
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
