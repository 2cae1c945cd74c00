//! Reading DSPy conformance fixtures (see `tests/conformance/dspy-3.4.1/README.md`) into
//! signature specs and values.

use dspy_adapters::signature::{FieldSpec, SignatureSpec};
use dspy_adapters::Values;

use crate::fixture_types::FixtureTypes;
use serde_json::Value;

/// Builds the spec a fixture's `signature` object describes.
pub fn spec_from_fixture(sig: &Value) -> Result<SignatureSpec, String> {
    let types = FixtureTypes::from_signature(sig);
    let mut builder = SignatureSpec::builder().instructions(str_at(sig, "instructions")?);
    for (key, is_input) in [("inputs", true), ("outputs", false)] {
        for field in sig
            .get(key)
            .and_then(Value::as_array)
            .ok_or(format!("no {key}"))?
        {
            let spec = field_from_fixture(field, &types)?;
            builder = if is_input {
                builder.input(spec)
            } else {
                builder.output(spec)
            };
        }
    }
    builder.build().map_err(|e| e.to_string())
}

fn field_from_fixture(field: &Value, types: &FixtureTypes<'_>) -> Result<FieldSpec, String> {
    let ty = types.parse(str_at(field, "py_type")?)?;
    let mut spec = FieldSpec::new(str_at(field, "name")?, ty)
        .with_desc(str_at(field, "desc")?)
        .with_prefix(str_at(field, "prefix")?);
    if let Some(schema) = field.get("schema").filter(|s| !s.is_null()) {
        spec = spec.with_schema(schema.clone());
    }
    if let Some(c) = field.get("constraints").and_then(Value::as_str) {
        spec = spec.with_constraints(c);
    }
    if let Some(d) = field.get("default") {
        spec = spec.with_default(d.clone());
    }
    Ok(spec)
}

/// The object at `key` as [`Values`] (empty when absent).
pub fn values_at(case: &Value, key: &str) -> Values {
    case.get(key)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The list of objects at `key` (empty when absent).
pub fn demos_at(case: &Value, key: &str) -> Vec<Values> {
    case.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|d| d.as_object().cloned()).collect())
        .unwrap_or_default()
}

pub fn str_at<'v>(v: &'v Value, key: &str) -> Result<&'v str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing string `{key}`"))
}
