//! Field types from DSPy conformance fixtures: a field's `py_type` text plus the fixture's
//! `signature.type_defs` (pydantic models and enums) become a [`FieldType`].
//!
//! Include it from a test with `#[path = "support/fixture_types.rs"] mod fixture_types;`.
//!
//! Besides the fixtures' keys, a model or enum definition may carry `"doc"`: the class
//! docstring after `inspect.cleandoc` (used by the handwritten schema cases).

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use dspy_adapters::signature::{parse_type, EnumDef, EnumMember, FieldType, ModelDef, ModelField};
use serde_json::{Map, Value};

/// A fixture's `type_defs`, turned into model and enum types on demand (each name built
/// once). A definition that refers to itself, directly or not, cannot be represented by
/// [`FieldType`] and is reported as an error instead of recursing forever.
#[derive(Debug)]
pub struct FixtureTypes<'a> {
    defs: Option<&'a Map<String, Value>>,
    built: RefCell<HashMap<String, FieldType>>,
    building: RefCell<Vec<String>>,
    errors: RefCell<Vec<String>>,
}

impl<'a> FixtureTypes<'a> {
    /// Reads `type_defs` (the value of `signature.type_defs`, absent when `None`).
    pub fn new(type_defs: Option<&'a Value>) -> Self {
        FixtureTypes {
            defs: type_defs.and_then(Value::as_object),
            built: RefCell::default(),
            building: RefCell::default(),
            errors: RefCell::default(),
        }
    }

    /// Reads the `type_defs` of a fixture's `signature` object.
    pub fn from_signature(signature: &'a Value) -> Self {
        FixtureTypes::new(signature.get("type_defs"))
    }

    /// Parses a `py_type` such as `list[Person]`, resolving class names through `type_defs`.
    pub fn parse(&self, py_type: &str) -> Result<FieldType, String> {
        let resolve = |name: &str| self.resolve(name);
        let parsed = parse_type(py_type, &resolve);
        // A problem inside a definition is more useful than "unknown type".
        if let Some(err) = self.errors.borrow_mut().pop() {
            return Err(err);
        }
        parsed.map_err(|e| e.to_string())
    }

    /// The type `type_defs` defines under `name`, if any.
    pub fn resolve(&self, name: &str) -> Option<FieldType> {
        if let Some(t) = self.built.borrow().get(name) {
            return Some(t.clone());
        }
        let def = self.defs?.get(name)?;
        if self.building.borrow().iter().any(|n| n == name) {
            self.errors
                .borrow_mut()
                .push(format!("type_defs: `{name}` refers to itself"));
            return None;
        }
        self.building.borrow_mut().push(name.to_string());
        let ty = self.build(name, def);
        self.building.borrow_mut().pop();
        match ty {
            Ok(ty) => {
                self.built.borrow_mut().insert(name.to_string(), ty.clone());
                Some(ty)
            }
            Err(e) => {
                self.errors.borrow_mut().push(e);
                None
            }
        }
    }

    fn build(&self, name: &str, def: &Value) -> Result<FieldType, String> {
        let kind = def.get("kind").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "model" => {
                let mut fields = Vec::new();
                for f in def
                    .get("fields")
                    .and_then(Value::as_array)
                    .ok_or(format!("type_defs: `{name}` has no fields"))?
                {
                    let field_name = f
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or(format!("type_defs: a field of `{name}` has no name"))?;
                    let py_type = f
                        .get("py_type")
                        .and_then(Value::as_str)
                        .ok_or(format!("type_defs: `{name}.{field_name}` has no py_type"))?;
                    let ty = self
                        .parse(py_type)
                        .map_err(|e| format!("type_defs: `{name}.{field_name}`: {e}"))?;
                    fields.push(ModelField {
                        name: field_name.to_string(),
                        ty,
                        required: f.get("required").and_then(Value::as_bool).unwrap_or(true),
                        default: f.get("default").cloned(),
                        description: f
                            .get("description")
                            .and_then(Value::as_str)
                            .map(String::from),
                    });
                }
                Ok(FieldType::Model(Arc::new(ModelDef {
                    name: name.to_string(),
                    doc: doc(def),
                    fields,
                })))
            }
            "enum" | "int_enum" => {
                let mut members = Vec::new();
                for m in def
                    .get("members")
                    .and_then(Value::as_array)
                    .ok_or(format!("type_defs: `{name}` has no members"))?
                {
                    let member_name = m
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or(format!("type_defs: a member of `{name}` has no name"))?;
                    members.push(EnumMember {
                        name: member_name.to_string(),
                        value: m.get("value").cloned().unwrap_or(Value::Null),
                    });
                }
                Ok(FieldType::Enum(Arc::new(EnumDef {
                    name: name.to_string(),
                    doc: doc(def),
                    int_enum: kind == "int_enum",
                    members,
                })))
            }
            other => Err(format!("type_defs: `{name}` has unknown kind {other:?}")),
        }
    }
}

fn doc(def: &Value) -> Option<String> {
    def.get("doc").and_then(Value::as_str).map(String::from)
}
