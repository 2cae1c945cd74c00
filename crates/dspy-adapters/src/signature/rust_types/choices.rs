//! `oneOf`/`anyOf`: unit enums, literals, and unions with one member per enum variant.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::convert::description;
use super::references::merge_objects;
use super::{Context, Converter};
use crate::signature::types::{EnumDef, EnumMember, FieldType, LiteralValue};

impl<'a> Converter<'a> {
    /// `oneOf` / `anyOf`: a unit enum, or a union of the members.
    pub(super) fn choice(
        &mut self,
        obj: &Map<String, Value>,
        members: &[Value],
        cx: &Context,
        depth: usize,
    ) -> FieldType {
        // An enum of unit variants with docs: every member a string `const` or `enum`.
        let strings: Option<Vec<Value>> = members
            .iter()
            .map(string_values)
            .collect::<Option<Vec<_>>>()
            .map(|v| v.into_iter().flatten().collect());
        if let (true, Some(values)) = (cx.def, strings.as_ref()) {
            return enum_or_literal(obj, values, cx);
        }
        let enum_name = cx.name.clone();
        let mut out = Vec::with_capacity(members.len());
        for (index, member) in members.iter().enumerate() {
            let ty = match variant(member) {
                Some(Variant::Tagged { name }) => {
                    let content = format!("{enum_name}{name}");
                    self.variant_model(member, &name, &content, depth)
                }
                Some(Variant::External { name }) => {
                    let model = format!("{enum_name}{name}");
                    self.variant_model(member, &model, &name, depth)
                }
                None => {
                    let hint = format!("{enum_name}{}", index + 1);
                    self.convert(member, &Context::anonymous(hint), depth + 1)
                }
            };
            out.push(ty);
        }
        union(out)
    }

    /// The model of one data-carrying variant, named `name`; an anonymous object in its
    /// fields (the variant's content) is named `content`.
    fn variant_model(
        &mut self,
        member: &Value,
        name: &str,
        content: &str,
        depth: usize,
    ) -> FieldType {
        let Some(obj) = member.as_object() else {
            return FieldType::Any;
        };
        let obj = match obj.get("$ref").and_then(Value::as_str) {
            // Internally tagged newtype variant: the tag beside the content's fields.
            Some(reference) => match self.resolve(reference) {
                Some((target, _)) => {
                    let mut siblings = obj.clone();
                    siblings.remove("$ref");
                    match merge_objects(&[&Value::Object(siblings), target]) {
                        Value::Object(merged) => merged,
                        _ => return FieldType::Any,
                    }
                }
                None => return FieldType::Any,
            },
            None => obj.clone(),
        };
        let Some(properties) = obj.get("properties").and_then(Value::as_object).cloned() else {
            return FieldType::Any;
        };
        self.model(&obj, &properties, name, |_| content.to_string(), depth)
    }
}

/// How a `oneOf` member names its variant.
enum Variant {
    /// Internally or adjacently tagged: a required property whose schema is a string `const`.
    Tagged { name: String },
    /// Externally tagged: an object with exactly one required property and no others.
    External { name: String },
}

fn variant(member: &Value) -> Option<Variant> {
    let obj = member.as_object()?;
    let properties = obj.get("properties")?.as_object()?;
    let required: Vec<&str> = obj
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (key, schema) in properties {
        if let Some(Value::String(tag)) = schema.get("const") {
            if required.contains(&key.as_str()) {
                return Some(Variant::Tagged { name: tag.clone() });
            }
        }
    }
    let closed = obj.get("additionalProperties") == Some(&Value::Bool(false));
    if closed && properties.len() == 1 && required.len() == 1 {
        let (key, _) = properties.iter().next()?;
        if key == required[0] {
            return Some(Variant::External { name: key.clone() });
        }
    }
    None
}

/// The string values a `oneOf` member of a unit enum allows, or `None` for other members.
fn string_values(member: &Value) -> Option<Vec<Value>> {
    let obj = member.as_object()?;
    if let Some(Value::String(s)) = obj.get("const") {
        return Some(vec![Value::String(s.clone())]);
    }
    let values = obj.get("enum")?.as_array()?;
    values.iter().all(Value::is_string).then(|| values.clone())
}

/// `enum: [...]`: an `Enum` when the schema is a definition of strings or integers (a Rust
/// unit enum), otherwise a `Literal`.
pub(super) fn enum_or_literal(
    obj: &Map<String, Value>,
    values: &[Value],
    cx: &Context,
) -> FieldType {
    if values.is_empty() {
        // Nothing is allowed; no Python annotation says that.
        return FieldType::Any;
    }
    let all_strings = values.iter().all(Value::is_string);
    let all_ints = values.iter().all(|v| v.is_i64() || v.is_u64());
    if cx.def && !values.is_empty() && (all_strings || all_ints) {
        let members = values
            .iter()
            .map(|v| EnumMember {
                name: match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
                value: v.clone(),
            })
            .collect();
        return FieldType::Enum(Arc::new(EnumDef {
            name: cx.name.clone(),
            doc: description(&Value::Object(obj.clone())),
            int_enum: all_ints && !all_strings,
            members,
        }));
    }
    literal(values)
}

pub(super) fn literal(values: &[Value]) -> FieldType {
    let members = values
        .iter()
        .map(|v| match v {
            Value::String(s) => LiteralValue::Str(s.clone()),
            Value::Bool(b) => LiteralValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => LiteralValue::Int(i),
                None => LiteralValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            _ => LiteralValue::None,
        })
        .collect();
    FieldType::Literal(members)
}

/// A union of the members, nested unions flattened; one member is itself.
pub(super) fn union(members: Vec<FieldType>) -> FieldType {
    let mut flat = Vec::with_capacity(members.len());
    for m in members {
        match m {
            FieldType::Union(inner) => flat.extend(inner),
            other => flat.push(other),
        }
    }
    if flat.len() == 1 {
        flat.pop().unwrap_or(FieldType::Any)
    } else if flat.is_empty() {
        FieldType::Any
    } else {
        FieldType::Union(flat)
    }
}
