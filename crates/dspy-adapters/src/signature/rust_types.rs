//! Field types of Rust types: the [`FieldType`] a Python DSPy user would annotate for the
//! Rust type, read from its [`schemars::JsonSchema`].
//!
//! [`field_type_of`] asks schemars for the type's JSON Schema (the shape serde reads and
//! writes) and translates it:
//!
//! | Rust | [`FieldType`] (Python annotation) |
//! |---|---|
//! | `String`, `&str`, `char`, `PathBuf`, ... | `str` |
//! | `i8`..`i128`, `u8`..`u128`, `usize`, ... | `int` |
//! | `f32`, `f64` | `float` |
//! | `bool` | `bool` |
//! | `()`, unit structs | `NoneType` |
//! | `Vec<T>`, `[T]`, `[T; N]`, `HashSet<T>`, `BTreeSet<T>`, ... | `list[T]` |
//! | `HashMap<String, V>`, `BTreeMap<String, V>`, `serde_json::Map` | `dict[str, V]` |
//! | maps with integer keys | `dict[int, V]` |
//! | `(A, B, ..)`, tuple structs | `tuple[A, B, ..]` |
//! | `Option<T>` | `Optional[T]` (`Union[T, NoneType]`) |
//! | `serde_json::Value` | `Any` |
//! | a struct with named fields | a pydantic model named after the struct |
//! | an enum of unit variants | an `Enum` whose members' names and values are the serialized names |
//! | an enum with data-carrying variants | a `Union` of one member per variant (below) |
//!
//! A struct becomes a model with its fields in declaration order, under their serialized
//! names (`#[serde(rename)]`, `rename_all`, `flatten` and `skip` apply). A field is required
//! unless serde can do without it: an `Option` field is `Optional[T] = None` (serde reads a
//! missing `Option` as `None`), a `#[serde(default)]` field gets its default value. Doc
//! comments become field descriptions, and the struct's doc comment becomes the model's
//! docstring (`description` in the JSON Schema), as pydantic does for `Field(description=..)`
//! and class docstrings. Newtype structs are their inner type (serde's representation).
//!
//! # Enums with data
//!
//! A Python user writes a sum type as a union of pydantic models, `Union[Circle, Rect]`, and
//! DSPy shows it as `Union[Circle, Rect]` with the schema `{"anyOf": [{"$ref": ...}, ...]}`.
//! The Rust enum becomes the same kind of union, with one member per variant describing the
//! JSON serde expects for it, so the prompt tells the LM what serde will parse:
//!
//! * `#[serde(untagged)]`: a newtype variant is its content (`Circle(Circle)` is the model
//!   `Circle`); a struct variant, for which schemars records no name, is a model named
//!   `{Enum}{n}` (1-based position). `#[serde(untagged)] enum Shape { Circle(Circle),
//!   Rect(Rect) }` is therefore exactly Python's `Union[Circle, Rect]`.
//! * `#[serde(tag = "kind")]`: a model named after the variant whose first field is the tag,
//!   `kind: Literal['Circle']`, followed by the variant's fields, as in a pydantic tagged union.
//! * `#[serde(tag = "t", content = "c")]`: a model named after the variant with the fields
//!   `t: Literal['Circle']` and `c: <content>`; the content of a struct variant is a model
//!   named `{Enum}{Variant}`.
//! * externally tagged (serde's default): the JSON is `{"Circle": <content>}`, a model named
//!   `{Enum}{Variant}` (`ShapeCircle`) with one field named after the variant; the content of
//!   a struct variant is a model named after the variant. So the common
//!   `enum Shape { Circle(Circle), Rect(Rect) }` is `Union[ShapeCircle, ShapeRect]` with
//!   `ShapeCircle(Circle: Circle)`, without two models sharing a name. Unit variants are
//!   `Literal['Unit']` members.
//!
//! Other anonymous objects are models named `{Model}{Field}` after the model field that holds
//! them. Two different models with one name get numbered `$defs` names (see
//! [`pydantic_schema`](super::pydantic_schema)), e.g. for an adjacently tagged
//! `Circle(Circle)` variant.
//!
//! # Limits
//!
//! [`FieldType`] describes finite types, so a recursive type is cut where it refers to
//! itself: that reference is `Any` (`struct Tree { children: Vec<Tree> }` becomes
//! `Tree(children: list[Any])`). Nesting deeper than 64 levels is `Any` too. Validation
//! keywords without a pydantic counterpart in a plain annotation (`minimum` for unsigned
//! integers, `format`, `uniqueItems`, lengths) are dropped. schemars lists an enum's unit
//! variants that have no doc comment (or schemars attribute) before its other variants, so
//! enum members and union members follow that order rather than declaration order; document
//! every unit variant of an enum whose order matters. Conversion never panics: a schema
//! it does not understand is `Any`.

use std::collections::HashMap;
use std::sync::Arc;

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value};

use super::types::{EnumDef, EnumMember, FieldType, LiteralValue, ModelDef, ModelField};

/// How deep schemas are followed before giving up with `Any`.
const MAX_DEPTH: usize = 64;

/// The DSPy field type of a Rust type, from its JSON Schema; see the [module docs](self) for
/// the mapping.
///
/// ```
/// use dspy_adapters::signature::{field_type_of, FieldType};
///
/// assert_eq!(field_type_of::<Vec<String>>().dspy_name(), "list[str]");
/// assert_eq!(field_type_of::<Option<i64>>().dspy_name(), "Union[int, NoneType]");
///
/// /// A person.
/// #[derive(schemars::JsonSchema)]
/// struct Person {
///     name: String,
///     /// Age in whole years
///     age: u32,
/// }
/// let FieldType::Model(person) = field_type_of::<Person>() else { unreachable!() };
/// assert_eq!(person.name, "Person");
/// assert_eq!(person.doc.as_deref(), Some("A person."));
/// assert_eq!(person.fields[1].description.as_deref(), Some("Age in whole years"));
/// ```
pub fn field_type_of<T: JsonSchema + ?Sized>() -> FieldType {
    let root = SchemaGenerator::default()
        .into_root_schema_for::<T>()
        .to_value();
    field_type_from_schema(&root, &T::schema_name())
}

/// The DSPy field type a JSON Schema (as schemars writes it, draft 2020-12, `$defs` at the
/// root) describes; `root_name` names the root schema when it is a model or an enum.
pub fn field_type_from_schema(root: &Value, root_name: &str) -> FieldType {
    let mut converter = Converter {
        root,
        root_name,
        defs: root.get("$defs").and_then(Value::as_object),
        built: HashMap::new(),
        stack: Vec::new(),
    };
    converter.push_def(ROOT_REF);
    let ty = converter.convert(root, &Context::named(root_name), 0);
    converter.stack.pop();
    ty
}

/// The reference to the root schema.
const ROOT_REF: &str = "#";

struct Converter<'a> {
    root: &'a Value,
    root_name: &'a str,
    defs: Option<&'a Map<String, Value>>,
    /// Types of definitions already converted, by reference, so each model is built once.
    built: HashMap<String, FieldType>,
    /// References being converted, innermost last (a reference already here is recursion).
    stack: Vec<String>,
}

/// Where a schema sits: its own name when it is a definition, otherwise the name an
/// anonymous object there gets.
#[derive(Clone)]
struct Context {
    /// The schema is a definition (`$defs` entry or the root) with this name.
    def: bool,
    name: String,
}

impl Context {
    fn named(name: &str) -> Context {
        Context {
            def: true,
            name: name.to_string(),
        }
    }

    fn anonymous(name: String) -> Context {
        Context { def: false, name }
    }
}

impl<'a> Converter<'a> {
    fn push_def(&mut self, reference: &str) {
        self.stack.push(reference.to_string());
    }

    fn convert(&mut self, schema: &Value, cx: &Context, depth: usize) -> FieldType {
        if depth > MAX_DEPTH {
            return FieldType::Any;
        }
        let Some(obj) = schema.as_object() else {
            // `true` (anything) or `false` (nothing): no useful type either way.
            return FieldType::Any;
        };
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
    fn model(
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

    /// `{"$ref": ...}`, possibly with sibling keys that extend the target (an internally
    /// tagged newtype variant puts its tag beside a `$ref` to the content).
    fn reference(
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
    fn resolve(&self, reference: &str) -> Option<(&'a Value, String)> {
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
    fn merge_all_of(&self, obj: &Map<String, Value>, members: &[Value]) -> Value {
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

    /// `oneOf` / `anyOf`: a unit enum, or a union of the members.
    fn choice(
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
fn enum_or_literal(obj: &Map<String, Value>, values: &[Value], cx: &Context) -> FieldType {
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

fn literal(values: &[Value]) -> FieldType {
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
fn union(members: Vec<FieldType>) -> FieldType {
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

/// A schema's `description`, if any.
fn description(schema: &Value) -> Option<String> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(String::from)
}

/// Whether a schema constrains the shape of values (rather than only describing them).
fn has_structure(obj: &Map<String, Value>) -> bool {
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

/// Objects merged: `properties` and `required` concatenated in order (first one wins for a
/// repeated property), other keys from the first object that has them.
fn merge_objects(parts: &[&Value]) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars() {
        assert_eq!(field_type_of::<String>(), FieldType::Str);
        assert_eq!(field_type_of::<str>(), FieldType::Str);
        assert_eq!(field_type_of::<u8>(), FieldType::Int);
        assert_eq!(field_type_of::<i128>(), FieldType::Int);
        assert_eq!(field_type_of::<f32>(), FieldType::Float);
        assert_eq!(field_type_of::<bool>(), FieldType::Bool);
        assert_eq!(field_type_of::<()>(), FieldType::None);
        assert_eq!(field_type_of::<serde_json::Value>(), FieldType::Any);
    }

    #[test]
    fn containers() {
        assert_eq!(field_type_of::<Vec<u8>>().dspy_name(), "list[int]");
        assert_eq!(field_type_of::<[i32; 3]>().dspy_name(), "list[int]");
        assert_eq!(
            field_type_of::<std::collections::BTreeMap<i32, String>>().dspy_name(),
            "dict[int, str]"
        );
        assert_eq!(
            field_type_of::<Option<Option<(i32, String)>>>().dspy_name(),
            "Union[tuple[int, str], NoneType]"
        );
    }

    #[test]
    fn bad_schemas_are_any() {
        for schema in [
            serde_json::json!({"$ref": "#/$defs/Missing"}),
            serde_json::json!({"$ref": "http://elsewhere"}),
            serde_json::json!({"type": 3}),
            serde_json::json!({"anyOf": []}),
            serde_json::json!(false),
            serde_json::json!({"allOf": [{"$ref": "#"}]}),
        ] {
            assert_eq!(
                field_type_from_schema(&schema, "X"),
                FieldType::Any,
                "{schema}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_capped() {
        let mut schema = serde_json::json!({"type": "string"});
        for _ in 0..500 {
            schema = serde_json::json!({"type": "array", "items": schema});
        }
        let ty = field_type_from_schema(&schema, "X");
        assert!(ty.dspy_name().contains("list[Any]"));
    }
}
