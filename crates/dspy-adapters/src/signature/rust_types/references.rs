//! `$ref` (with sibling keys that extend the target) and `allOf`, whose members are merged.

use serde_json::{Map, Value};

use super::convert::has_structure;
use super::{Context, Converter, ROOT_REF};
use crate::signature::types::FieldType;

impl<'a> Converter<'a> {
    /// `{"$ref": ...}`, possibly with sibling keys that extend the target (an internally
    /// tagged newtype variant puts its tag beside a `$ref` to the content).
    pub(super) fn reference(
        &mut self,
        obj: &Map<String, Value>,
        reference: &str,
        cx: &Context,
        depth: usize,
    ) -> FieldType {
        let Some((target, name)) = self.resolve(reference) else {
            return FieldType::Any;
        };
        if obj.contains_key("properties") {
            let mut siblings = obj.clone();
            siblings.remove("$ref");
            let merged = merge_objects(&[&Value::Object(siblings), target]);
            return self.convert(&merged, &Context::named(&cx.name), depth + 1);
        }
        if let Some(ty) = self.built.get(reference) {
            return ty.clone();
        }
        if self.stack.iter().any(|r| r == reference) {
            // Recursion: FieldType describes finite types only.
            return FieldType::Any;
        }
        self.push_def(reference);
        let ty = self.convert(target, &Context::named(&name), depth + 1);
        self.stack.pop();
        self.built.insert(reference.to_string(), ty.clone());
        ty
    }

    /// The schema a reference points to, and its definition name.
    pub(super) fn resolve(&self, reference: &str) -> Option<(&'a Value, String)> {
        if reference == ROOT_REF {
            return Some((self.root, self.root_name.to_string()));
        }
        let key = reference.strip_prefix("#/$defs/")?;
        // JSON Pointer escapes.
        let key = key.replace("~1", "/").replace("~0", "~");
        let target = self.defs?.get(&key)?;
        Some((target, key))
    }

    /// `allOf`: the members' properties merged into one object.
    pub(super) fn merge_all_of(&self, obj: &Map<String, Value>, members: &[Value]) -> Value {
        let mut siblings = obj.clone();
        siblings.remove("allOf");
        let mut parts: Vec<&Value> = Vec::with_capacity(members.len() + 1);
        let resolved: Vec<&Value> = members
            .iter()
            .map(|m| {
                m.get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| self.resolve(r))
                    .map_or(m, |(target, _)| target)
            })
            .collect();
        let siblings = Value::Object(siblings);
        parts.push(&siblings);
        parts.extend(resolved);
        match parts.as_slice() {
            [only_siblings, one]
                if only_siblings.as_object().is_some_and(|o| !has_structure(o)) =>
            {
                let mut out = (*one).clone();
                if let (Value::Object(out), Value::Object(meta)) = (&mut out, *only_siblings) {
                    for (k, v) in meta {
                        out.insert(k.clone(), v.clone());
                    }
                }
                out
            }
            _ => merge_objects(&parts),
        }
    }
}

/// Objects merged: `properties` and `required` concatenated in order (first one wins for a
/// repeated property), other keys from the first object that has them.
pub(super) fn merge_objects(parts: &[&Value]) -> Value {
    let mut out = Map::new();
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for part in parts {
        let Some(obj) = part.as_object() else {
            continue;
        };
        for (k, v) in obj {
            match k.as_str() {
                "properties" => {
                    for (name, schema) in v.as_object().into_iter().flatten() {
                        if !properties.contains_key(name) {
                            properties.insert(name.clone(), schema.clone());
                        }
                    }
                }
                "required" => {
                    for name in v.as_array().into_iter().flatten() {
                        if !required.contains(name) {
                            required.push(name.clone());
                        }
                    }
                }
                "$schema" | "$defs" | "title" => {}
                _ => {
                    if !out.contains_key(k) {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
        }
    }
    out.insert("type".into(), Value::from("object"));
    out.insert("properties".into(), Value::Object(properties));
    out.insert("required".into(), Value::Array(required));
    Value::Object(out)
}
