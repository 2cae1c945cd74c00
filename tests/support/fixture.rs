//! Reading DSPy conformance fixtures (see `tests/conformance/dspy-3.4.1/README.md`) into
//! signature specs and values.

use std::collections::HashMap;
use std::sync::Arc;

use dspy_adapters::signature::{
    parse_type, EnumDef, EnumMember, FieldSpec, FieldType, ModelDef, ModelField, SignatureSpec,
};
use dspy_adapters::Values;
use serde_json::Value;

/// Builds the spec a fixture's `signature` object describes.
pub fn spec_from_fixture(sig: &Value) -> Result<SignatureSpec, String> {
    let types = TypeDefs::new(sig.get("type_defs"));
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

fn field_from_fixture(field: &Value, types: &TypeDefs) -> Result<FieldSpec, String> {
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

/// A fixture's `type_defs`, turned into model and enum types on demand.
pub struct TypeDefs<'a> {
    defs: Option<&'a serde_json::Map<String, Value>>,
    built: std::cell::RefCell<HashMap<String, FieldType>>,
}

impl<'a> TypeDefs<'a> {
    pub fn new(defs: Option<&'a Value>) -> Self {
        TypeDefs {
            defs: defs.and_then(Value::as_object),
            built: Default::default(),
        }
    }

    /// Parses a `py_type`, resolving class names through `type_defs`.
    pub fn parse(&self, py_type: &str) -> Result<FieldType, String> {
        let resolve = |name: &str| self.resolve(name);
        parse_type(py_type, &resolve).map_err(|e| e.to_string())
    }

    fn resolve(&self, name: &str) -> Option<FieldType> {
        if let Some(t) = self.built.borrow().get(name) {
            return Some(t.clone());
        }
        let def = self.defs?.get(name)?;
        let ty = match def.get("kind")?.as_str()? {
            "model" => {
                let mut fields = Vec::new();
                for f in def.get("fields")?.as_array()? {
                    fields.push(ModelField {
                        name: f.get("name")?.as_str()?.to_string(),
                        ty: self.parse(f.get("py_type")?.as_str()?).ok()?,
                        required: f.get("required").and_then(Value::as_bool).unwrap_or(true),
                        default: f.get("default").cloned(),
                        description: f
                            .get("description")
                            .and_then(Value::as_str)
                            .map(String::from),
                    });
                }
                FieldType::Model(Arc::new(ModelDef {
                    name: name.to_string(),
                    fields,
                }))
            }
            kind @ ("enum" | "int_enum") => {
                let members = def
                    .get("members")?
                    .as_array()?
                    .iter()
                    .filter_map(|m| {
                        Some(EnumMember {
                            name: m.get("name")?.as_str()?.to_string(),
                            value: m.get("value")?.clone(),
                        })
                    })
                    .collect();
                FieldType::Enum(Arc::new(EnumDef {
                    name: name.to_string(),
                    int_enum: kind == "int_enum",
                    members,
                }))
            }
            _ => return None,
        };
        self.built.borrow_mut().insert(name.to_string(), ty.clone());
        Some(ty)
    }
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
