//! Translating a schema: by its `type`, objects and models, and small helpers on schemas.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::choices::{enum_or_literal, literal, union};
use super::{Context, Converter, MAX_DEPTH};
use crate::signature::types::{FieldType, ModelDef, ModelField};

impl<'a> Converter<'a> {
    pub(super) fn push_def(&mut self, reference: &str) {
        self.stack.push(reference.to_string());
    }

    pub(super) fn convert(&mut self, schema: &Value, cx: &Context, depth: usize) -> FieldType {
        if depth > MAX_DEPTH {
            return FieldType::Any;
        }
        let Some(obj) = schema.as_object() else {
            // `true` (anything) or `false` (nothing): no useful type either way.
            return FieldType::Any;
        };
        match obj
            .get(crate::tools::DSPY_TYPE_KEYWORD)
            .and_then(Value::as_str)
        {
            Some("Tool") => return FieldType::Tool,
            Some("ToolCalls") => return FieldType::ToolCalls,
            _ => {}
        }
        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            return self.reference(obj, reference, cx, depth);
        }
        if let Some(all_of) = obj.get("allOf").and_then(Value::as_array) {
            let merged = self.merge_all_of(obj, all_of);
            return self.convert(&merged, cx, depth + 1);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(members) = obj.get(key).and_then(Value::as_array) {
                return self.choice(obj, members, cx, depth);
            }
        }
        if let Some(values) = obj.get("enum").and_then(Value::as_array) {
            return enum_or_literal(obj, values, cx);
        }
        if let Some(value) = obj.get("const") {
            return literal(std::slice::from_ref(value));
        }
        match obj.get("type") {
            Some(Value::String(ty)) => self.typed(obj, ty, cx, depth),
            Some(Value::Array(types)) => {
                let members = types
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|ty| self.typed(obj, ty, cx, depth))
                    .collect();
                union(members)
            }
            _ => FieldType::Any,
        }
    }

    /// A schema with one `type`.
    fn typed(
        &mut self,
        obj: &Map<String, Value>,
        ty: &str,
        cx: &Context,
        depth: usize,
    ) -> FieldType {
        match ty {
            "string" => FieldType::Str,
            "integer" => FieldType::Int,
            "number" => FieldType::Float,
            "boolean" => FieldType::Bool,
            "null" => FieldType::None,
            "array" => {
                if let Some(items) = obj.get("prefixItems").and_then(Value::as_array) {
                    let items = items
                        .iter()
                        .map(|item| {
                            self.convert(item, &Context::anonymous(cx.name.clone()), depth + 1)
                        })
                        .collect();
                    return FieldType::Tuple(items);
                }
                let item = match obj.get("items") {
                    Some(items) => {
                        self.convert(items, &Context::anonymous(cx.name.clone()), depth + 1)
                    }
                    None => FieldType::Any,
                };
                FieldType::List(Box::new(item))
            }
            "object" => self.object(obj, cx, depth),
            _ => FieldType::Any,
        }
    }

    /// A model (an object with `properties`) or a dict.
    fn object(&mut self, obj: &Map<String, Value>, cx: &Context, depth: usize) -> FieldType {
        if let Some(properties) = obj.get("properties").and_then(Value::as_object) {
            let model_name = cx.name.clone();
            return self.model(
                obj,
                properties,
                &model_name,
                |field| format!("{model_name}{}", pascal_case(field)),
                depth,
            );
        }
        let sub = Context::anonymous(cx.name.clone());
        if let Some(patterns) = obj.get("patternProperties").and_then(Value::as_object) {
            if let Some((pattern, values)) = patterns.iter().next() {
                let key = if pattern == r"^-?\d+$" || pattern == r"^\d+$" {
                    FieldType::Int
                } else {
                    FieldType::Str
                };
                let value = self.convert(values, &sub, depth + 1);
                return FieldType::Dict(Box::new(key), Box::new(value));
            }
        }
        let value = match obj.get("additionalProperties") {
            Some(values @ Value::Object(_)) => self.convert(values, &sub, depth + 1),
            _ => FieldType::Any,
        };
        FieldType::Dict(Box::new(FieldType::Str), Box::new(value))
    }

    /// A model named `name` with the given properties; `field_hint` names anonymous objects
    /// found in a field.
    pub(super) fn model(
        &mut self,
        obj: &Map<String, Value>,
        properties: &Map<String, Value>,
        name: &str,
        field_hint: impl Fn(&str) -> String,
        depth: usize,
    ) -> FieldType {
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::with_capacity(properties.len());
        for (field_name, schema) in properties {
            let ty = self.convert(
                schema,
                &Context::anonymous(field_hint(field_name)),
                depth + 1,
            );
            let is_required = required.contains(&field_name.as_str());
            let mut default = schema.get("default").cloned();
            if !is_required && default.is_none() && ty.admits_none() {
                // serde reads a missing `Option` as `None`: Python's `x: Optional[T] = None`.
                default = Some(Value::Null);
            }
            fields.push(ModelField {
                name: field_name.clone(),
                ty,
                required: is_required && default.is_none(),
                default,
                description: description(schema),
            });
        }
        FieldType::Model(Arc::new(ModelDef {
            name: name.to_string(),
            doc: description(&Value::Object(obj.clone())),
            fields,
        }))
    }
}

/// A schema's `description`, if any.
pub(super) fn description(schema: &Value) -> Option<String> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(String::from)
}

/// Whether a schema constrains the shape of values (rather than only describing them).
pub(super) fn has_structure(obj: &Map<String, Value>) -> bool {
    obj.keys().any(|k| {
        !matches!(
            k.as_str(),
            "description"
                | "title"
                | "default"
                | "examples"
                | "deprecated"
                | "readOnly"
                | "writeOnly"
                | "$schema"
                | "$defs"
        )
    })
}

/// `team_name` → `TeamName`.
fn pascal_case(name: &str) -> String {
    name.split(['_', '-', ' '])
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}
