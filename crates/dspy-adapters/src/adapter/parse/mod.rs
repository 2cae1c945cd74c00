//! Reading LM completions back into output values, one module per adapter, exactly as
//! DSPy 3.4.1's `parse` methods do. The shared last step, [`finish`], fills in output defaults
//! and reports missing fields.

// `ParseError` is the `Adapter::parse` error type; these functions return it as it is.

mod chat;
mod expat;
mod json;
mod xml;

pub(crate) use chat::parse_chat;
pub(crate) use json::parse_json;
pub(crate) use xml::parse_xml;

use serde_json::Value;

use super::{AdapterKind, Values};
use crate::{FieldType, ParseError, ParseErrorKind, SignatureSpec};

/// Builds a parse error for `spec`'s outputs.
fn error(
    adapter: AdapterKind,
    spec: &SignatureSpec,
    completion: &str,
    kind: ParseErrorKind,
) -> ParseError {
    ParseError {
        adapter,
        kind,
        completion: completion.to_owned(),
        expected: spec.outputs().iter().map(|f| f.name.clone()).collect(),
    }
}

/// DSPy's `apply_output_field_defaults` plus its final key check: `found[i]` is the value
/// parsed for output `i`. A missing output takes its default, else `None` when its type
/// allows `None`, else the parse fails with [`ParseErrorKind::MissingFields`]. The result is
/// in signature order.
fn finish(
    adapter: AdapterKind,
    spec: &SignatureSpec,
    completion: &str,
    found: Vec<Option<Value>>,
) -> Result<Values, ParseError> {
    let mut values = Values::with_capacity(spec.outputs().len());
    let mut missing = Vec::new();
    for (field, value) in spec.outputs().iter().zip(found) {
        let value = match (value, &field.default) {
            (Some(v), _) => v,
            (None, Some(default)) => default.clone(),
            (None, None) if allows_none(&field.ty) => Value::Null,
            (None, None) => {
                missing.push(field.name.clone());
                continue;
            }
        };
        values.insert(field.name.clone(), value);
    }
    if missing.is_empty() {
        Ok(values)
    } else {
        let parsed = values.keys().cloned().collect();
        Err(error(
            adapter,
            spec,
            completion,
            ParseErrorKind::MissingFields { missing, parsed },
        ))
    }
}

/// DSPy's `annotation_allows_none`: `None` itself, or a union with such a member. Unlike
/// [`FieldType::admits_none`], `Any` and `Literal[..., None]` do not count, so a missing
/// output of those types is an error, as in DSPy.
fn allows_none(ty: &FieldType) -> bool {
    match ty {
        FieldType::None => true,
        FieldType::Union(members) => members.iter().any(allows_none),
        _ => false,
    }
}
