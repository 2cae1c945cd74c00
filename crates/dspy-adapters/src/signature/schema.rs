//! The JSON Schema pydantic 2.14 generates for a field type
//! (`pydantic.TypeAdapter(annotation).json_schema()`), which DSPy puts into prompts.
//!
//! The output reproduces pydantic's keys, values and key order:
//!
//! * Python's `typing` normalisation comes first: nested unions are flattened, duplicate
//!   union members and `Literal` members are dropped (first one kept), `Union[X]` is `X`.
//! * `None` in a union is moved last (`anyOf: [..., {"type": "null"}]`), as pydantic builds a
//!   nullable schema around the other members; `anyOf` members equal under Python's `==`
//!   are merged.
//! * Models and enums go to `$defs` and are referenced with `{"$ref": "#/$defs/Name"}`; a
//!   top-level model or enum is written inline. Model fields get a title from their name
//!   (`str.title()`, `_` → space) unless their type is a model or enum.
//! * Every object's keys are sorted by code point, except directly under `properties` and
//!   `default` (pydantic's `GenerateJsonSchema.sort`).
//!
//! When two different models or enums share a name and their schemas differ, pydantic names
//! their definitions after their Python module path, which Rust types do not have; they are
//! named `Name__1`, `Name__2`, ... here, in order of first use.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::types::{EnumDef, FieldType, LiteralValue, ModelDef, ModelField};

/// The JSON Schema pydantic generates for this type (`TypeAdapter(T).json_schema()`), in
/// pydantic's key order.
///
/// ```
/// use dspy_adapters::signature::{pydantic_schema, FieldType};
///
/// let schema = pydantic_schema(&FieldType::optional(FieldType::List(Box::new(FieldType::Int))));
/// assert_eq!(
///     serde_json::to_string(&schema).unwrap(),
///     r#"{"anyOf":[{"items":{"type":"integer"},"type":"array"},{"type":"null"}]}"#
/// );
/// ```
pub fn pydantic_schema(ty: &FieldType) -> Value {
    let mut gen = Generator::default();
    let top = match ty {
        FieldType::Model(def) => gen.model_body(def),
        FieldType::History => gen.history_body(),
        FieldType::Enum(def) => enum_body(def),
        other => gen.schema(other),
    };
    gen.finish(top)
}

/// A model or enum that gets a `$defs` entry.
struct Def {
    /// The type (`Model`, `Enum` or `History`).
    ty: FieldType,
    /// The short definition name pydantic prefers (the class name, normalised).
    short: String,
    /// The schema, with references still as placeholders.
    body: Value,
}

#[derive(Default)]
struct Generator {
    defs: Vec<Def>,
}

/// Prefix of the placeholder strings that stand for `#/$defs/<name>` until names are known.
const PLACEHOLDER: &str = "\u{0}dspy-def:";

fn placeholder(index: usize) -> String {
    format!("{PLACEHOLDER}{index}")
}

fn placeholder_index(s: &str) -> Option<usize> {
    s.strip_prefix(PLACEHOLDER)?.parse().ok()
}

fn obj(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn type_schema(name: &str) -> Value {
    obj([("type", Value::from(name))])
}

impl Generator {
    /// The schema of `ty` where it is used (models and enums as references).
    fn schema(&mut self, ty: &FieldType) -> Value {
        match ty {
            FieldType::Str => type_schema("string"),
            FieldType::Int => type_schema("integer"),
            FieldType::Float => type_schema("number"),
            FieldType::Bool => type_schema("boolean"),
            FieldType::None => type_schema("null"),
            FieldType::Any => Value::Object(Map::new()),
            FieldType::List(inner) => {
                let items = self.schema(inner);
                obj([("type", Value::from("array")), ("items", items)])
            }
            FieldType::Dict(k, v) => self.dict_schema(k, v),
            FieldType::Tuple(items) => {
                let prefix: Vec<Value> = items.iter().map(|t| self.schema(t)).collect();
                let n = prefix.len();
                let mut out = Map::new();
                out.insert("type".into(), Value::from("array"));
                if !prefix.is_empty() {
                    out.insert("prefixItems".into(), Value::Array(prefix));
                }
                out.insert("minItems".into(), Value::from(n));
                out.insert("maxItems".into(), Value::from(n));
                Value::Object(out)
            }
            FieldType::Union(members) => self.union_schema(members),
            FieldType::Literal(values) => literal_schema(&dedup_literals(values)),
            FieldType::Enum(def) if def.members.is_empty() => enum_body(def),
            FieldType::Enum(_) | FieldType::Model(_) | FieldType::History => self.reference(ty),
        }
    }

    /// `{"$ref": ...}` to the definition of `ty`, creating it on first use.
    fn reference(&mut self, ty: &FieldType) -> Value {
        let index = match self.defs.iter().position(|d| same_definition(&d.ty, ty)) {
            Some(i) => i,
            None => {
                let index = self.defs.len();
                let short = match ty {
                    FieldType::Model(def) => short_def_name(&def.name),
                    FieldType::Enum(def) => short_def_name(&def.name),
                    _ => "History".to_string(),
                };
                // Registered before its body is built, so names number in order of first use.
                self.defs.push(Def {
                    ty: ty.clone(),
                    short,
                    body: Value::Null,
                });
                let body = match ty {
                    FieldType::Model(def) => self.model_body(def),
                    FieldType::Enum(def) => enum_body(def),
                    _ => self.history_body(),
                };
                self.defs[index].body = body;
                index
            }
        };
        obj([("$ref", Value::from(placeholder(index)))])
    }

    /// A model's own schema: `type`, `properties`, `required`, `title`, `description`.
    fn model_body(&mut self, def: &ModelDef) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in &def.fields {
            let schema = self.field_schema(field);
            properties.insert(field.name.clone(), schema);
            if field.required {
                required.push(Value::from(field.name.as_str()));
            }
        }
        let mut out = Map::new();
        out.insert("type".into(), Value::from("object"));
        out.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            out.insert("required".into(), Value::Array(required));
        }
        out.insert("title".into(), Value::from(def.name.as_str()));
        if let Some(doc) = &def.doc {
            out.insert("description".into(), Value::from(doc.as_str()));
        }
        Value::Object(out)
    }

    /// `dspy.History`: a frozen model with `extra="forbid"` and one field,
    /// `messages: list[dict[str, Any]]`.
    fn history_body(&mut self) -> Value {
        let def = ModelDef {
            name: "History".into(),
            doc: Some(HISTORY_DOC.into()),
            fields: vec![ModelField {
                name: "messages".into(),
                ty: FieldType::List(Box::new(FieldType::Dict(
                    Box::new(FieldType::Str),
                    Box::new(FieldType::Any),
                ))),
                required: true,
                default: None,
                description: None,
            }],
        };
        let mut body = self.model_body(&def);
        if let Value::Object(map) = &mut body {
            map.insert("additionalProperties".into(), Value::Bool(false));
        }
        body
    }

    /// One entry of a model's `properties`: the type's schema, then `default` (for a field
    /// that is not required), `description` and `title`.
    fn field_schema(&mut self, field: &ModelField) -> Value {
        let mut schema = match self.schema(&field.ty) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if !field.required {
            if let Some(default) = &field.default {
                schema.insert("default".into(), default.clone());
            }
        }
        if let Some(description) = &field.description {
            schema.insert("description".into(), Value::from(description.as_str()));
        }
        if !schema.contains_key("title") && title_should_be_set(&field.ty) {
            schema.insert("title".into(), Value::from(title_from_name(&field.name)));
        }
        // Keys next to a `$ref` that repeat the referenced schema are dropped.
        let target = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(placeholder_index)
            .and_then(|i| self.defs.get(i))
            .and_then(|d| d.body.as_object());
        if let Some(target) = target {
            schema.retain(|k, v| k == "$ref" || !target.get(k).is_some_and(|t| py_eq(t, v)));
        }
        Value::Object(schema)
    }

    fn dict_schema(&mut self, key: &FieldType, value: &FieldType) -> Value {
        let mut keys = match self.schema(key) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let keys_are_ref = keys.contains_key("$ref");
        if !keys_are_ref {
            keys.remove("title");
        }
        let mut values = match self.schema(value) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        values.remove("title");
        let mut out = Map::new();
        out.insert("type".into(), Value::from("object"));
        let additional = if values.is_empty() {
            Value::Bool(true)
        } else {
            Value::Object(values)
        };
        out.insert("additionalProperties".into(), additional);
        let constrained_str =
            keys.get("type").and_then(Value::as_str) == Some("string") && keys.len() > 1;
        if constrained_str || keys_are_ref {
            keys.remove("type");
            out.insert("propertyNames".into(), Value::Object(keys));
        }
        Value::Object(out)
    }

    /// A union after Python's flattening and de-duplication: the members other than `None`
    /// (one member as itself, several as `anyOf`), then `null` when `None` was a member.
    fn union_schema(&mut self, members: &[FieldType]) -> Value {
        let flat = flatten_union(members);
        let nullable = flat.iter().any(|m| matches!(m, FieldType::None));
        let choices: Vec<&FieldType> = flat
            .into_iter()
            .filter(|m| !matches!(m, FieldType::None))
            .collect();
        let inner = match choices.as_slice() {
            [] if nullable => return type_schema("null"),
            [one] => self.schema(one),
            many => {
                let generated: Vec<Value> = many.iter().map(|t| self.schema(t)).collect();
                flattened_any_of(generated)
            }
        };
        if !nullable {
            return inner;
        }
        let null = type_schema("null");
        if inner == null {
            return null;
        }
        flattened_any_of(vec![inner, null])
    }

    /// Adds `$defs` (the definitions still referenced, with their final names) and sorts keys.
    fn finish(self, top: Value) -> Value {
        let Generator { defs } = self;
        // Definitions reachable from the top-level schema.
        let mut reachable = vec![false; defs.len()];
        let mut stack = Vec::new();
        collect_refs(&top, &mut stack);
        while let Some(i) = stack.pop() {
            if let Some(seen) = reachable.get_mut(i) {
                if !*seen {
                    *seen = true;
                    collect_refs(&defs[i].body, &mut stack);
                }
            }
        }
        let live: Vec<usize> = (0..defs.len()).filter(|&i| reachable[i]).collect();
        let names = assign_names(&defs, &live);

        let mut top = replace_refs(top, &names);
        if !live.is_empty() {
            let mut table = Map::new();
            for &i in &live {
                let name = names[i].clone().unwrap_or_default();
                table.insert(name, replace_refs(defs[i].body.clone(), &names));
            }
            if let Value::Object(map) = &mut top {
                map.insert("$defs".into(), Value::Object(table));
            }
        }
        sort_keys(top, None)
    }
}

/// Whether two `Model`/`Enum`/`History` types share a definition: the same allocation, or
/// equal contents (Rust types have no other identity here).
fn same_definition(a: &FieldType, b: &FieldType) -> bool {
    match (a, b) {
        (FieldType::Model(x), FieldType::Model(y)) => Arc::ptr_eq(x, y) || x == y,
        (FieldType::Enum(x), FieldType::Enum(y)) => Arc::ptr_eq(x, y) || x == y,
        (FieldType::History, FieldType::History) => true,
        _ => false,
    }
}

/// A non-empty enum's own schema: `title`, `description`, `enum`, and `type` when every
/// value has the same JSON type.
fn enum_body(def: &EnumDef) -> Value {
    let mut out = Map::new();
    out.insert("title".into(), Value::from(def.name.as_str()));
    if let Some(doc) = def.doc.as_deref().filter(|d| *d != "An enumeration.") {
        out.insert("description".into(), Value::from(doc));
    }
    let values: Vec<Value> = def.members.iter().map(|m| m.value.clone()).collect();
    let ty = single_json_type(&values).filter(|t| *t != "null");
    out.insert("enum".into(), Value::Array(values));
    if let Some(ty) = ty {
        out.insert("type".into(), Value::from(ty));
    }
    Value::Object(out)
}

/// `const` for one member, `enum` for several; `type` when all members share a JSON type.
fn literal_schema(values: &[&LiteralValue]) -> Value {
    let json: Vec<Value> = values.iter().map(|v| v.to_json()).collect();
    let ty = single_json_type(&json);
    let mut out = Map::new();
    match <[Value; 1]>::try_from(json) {
        Ok([one]) => out.insert("const".into(), one),
        Err(many) => out.insert("enum".into(), Value::Array(many)),
    };
    if let Some(ty) = ty {
        out.insert("type".into(), Value::from(ty));
    }
    Value::Object(out)
}

/// The Python type of a JSON value as pydantic names it in schemas (`dict` has none).
fn json_type_name(v: &Value) -> Option<&'static str> {
    match v {
        Value::String(_) => Some("string"),
        Value::Bool(_) => Some("boolean"),
        Value::Number(n) if n.is_f64() => Some("number"),
        Value::Number(_) => Some("integer"),
        Value::Array(_) => Some("array"),
        Value::Null => Some("null"),
        Value::Object(_) => None,
    }
}

/// The JSON type shared by all values, if there is exactly one.
fn single_json_type(values: &[Value]) -> Option<&'static str> {
    let first = json_type_name(values.first()?)?;
    values
        .iter()
        .all(|v| json_type_name(v) == Some(first))
        .then_some(first)
}

/// `Literal` members without repeats (same value and same type), first one kept.
fn dedup_literals(values: &[LiteralValue]) -> Vec<&LiteralValue> {
    let mut out: Vec<&LiteralValue> = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Union members with nested unions flattened and repeats (by Python type equality) dropped.
fn flatten_union(members: &[FieldType]) -> Vec<&FieldType> {
    fn walk<'a>(members: &'a [FieldType], out: &mut Vec<&'a FieldType>) {
        for m in members {
            match m {
                FieldType::Union(inner) => walk(inner, out),
                other => {
                    if !out.iter().any(|seen| py_type_eq(seen, other)) {
                        out.push(other);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(members, &mut out);
    out
}

/// `Union[X]` is `X` once flattened and de-duplicated.
fn collapse(ty: &FieldType) -> &FieldType {
    if let FieldType::Union(members) = ty {
        if let [one] = flatten_union(members).as_slice() {
            return one;
        }
    }
    ty
}

/// Python's `==` between type annotations: unions and literals compare as sets.
fn py_type_eq(a: &FieldType, b: &FieldType) -> bool {
    let (a, b) = (collapse(a), collapse(b));
    match (a, b) {
        (FieldType::Union(x), FieldType::Union(y)) => {
            let (x, y) = (flatten_union(x), flatten_union(y));
            x.iter().all(|m| y.iter().any(|n| py_type_eq(m, n)))
                && y.iter().all(|n| x.iter().any(|m| py_type_eq(m, n)))
        }
        (FieldType::Literal(x), FieldType::Literal(y)) => {
            x.iter().all(|v| y.contains(v)) && y.iter().all(|v| x.contains(v))
        }
        (FieldType::List(x), FieldType::List(y)) => py_type_eq(x, y),
        (FieldType::Dict(k1, v1), FieldType::Dict(k2, v2)) => {
            py_type_eq(k1, k2) && py_type_eq(v1, v2)
        }
        (FieldType::Tuple(x), FieldType::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(m, n)| py_type_eq(m, n))
        }
        (a, b) => a == b,
    }
}

/// Whether a model field of this type gets a title (models and enums bring their own).
fn title_should_be_set(ty: &FieldType) -> bool {
    match ty {
        FieldType::Model(_) | FieldType::History => false,
        FieldType::Enum(def) => def.members.is_empty(),
        FieldType::Union(members) => {
            let flat = flatten_union(members);
            let choices: Vec<&FieldType> = flat
                .into_iter()
                .filter(|m| !matches!(m, FieldType::None))
                .collect();
            match choices.as_slice() {
                [one] => title_should_be_set(one),
                _ => true,
            }
        }
        _ => true,
    }
}

/// `anyOf` of the schemas, with members that are themselves only an `anyOf` spliced in and
/// members equal under Python's `==` merged (first position, last value); one member alone
/// is returned as is.
fn flattened_any_of(schemas: Vec<Value>) -> Value {
    let mut members: Vec<Value> = Vec::new();
    for schema in schemas {
        let spliced = match schema {
            Value::Object(mut map) if map.len() == 1 && map.contains_key("anyOf") => {
                match map.remove("anyOf") {
                    Some(Value::Array(items)) => items,
                    Some(other) => vec![obj([("anyOf", other)])],
                    None => Vec::new(),
                }
            }
            other => vec![other],
        };
        for member in spliced {
            match members.iter().position(|m| py_eq(m, &member)) {
                Some(i) => members[i] = member,
                None => members.push(member),
            }
        }
    }
    if members.len() == 1 {
        if let Some(one) = members.pop() {
            return one;
        }
    }
    obj([("anyOf", Value::Array(members))])
}

/// Python's `==` between JSON values: numbers compare by value, `true == 1`, objects ignore
/// key order.
fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(m, n)| py_eq(m, n))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        (Value::Bool(_) | Value::Number(_), Value::Bool(_) | Value::Number(_)) => {
            match (as_py_number(a), as_py_number(b)) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            }
        }
        _ => false,
    }
}

/// A number in a form where Python's exact `int`/`float` comparison is `==`.
#[derive(PartialEq)]
enum PyNumber {
    Int(i128),
    Float(f64),
}

fn as_py_number(v: &Value) -> Option<PyNumber> {
    match v {
        Value::Bool(b) => Some(PyNumber::Int(i128::from(*b))),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(PyNumber::Int(i128::from(i)))
            } else if let Some(u) = n.as_u64() {
                Some(PyNumber::Int(i128::from(u)))
            } else {
                let f = n.as_f64()?;
                // An integral float equals the int of the same value.
                if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e38 {
                    Some(PyNumber::Int(f as i128))
                } else {
                    Some(PyNumber::Float(f))
                }
            }
        }
        _ => None,
    }
}

/// Indices of the definitions referenced anywhere in `v`.
fn collect_refs(v: &Value, out: &mut Vec<usize>) {
    match v {
        Value::String(s) => out.extend(placeholder_index(s)),
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}

/// Replaces reference placeholders with `#/$defs/<name>`.
fn replace_refs(v: Value, names: &[Option<String>]) -> Value {
    match v {
        Value::String(s) => match placeholder_index(&s).and_then(|i| names.get(i)?.as_ref()) {
            Some(name) => Value::String(format!("#/$defs/{name}")),
            None => Value::String(s),
        },
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|i| replace_refs(i, names)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, i)| (k, replace_refs(i, names)))
                .collect(),
        ),
        other => other,
    }
}

/// Final definition names for the live definitions. A definition keeps its short name unless
/// another live definition has the same short name and a different schema (compared with the
/// names chosen so far, until nothing changes, as pydantic does).
fn assign_names(defs: &[Def], live: &[usize]) -> Vec<Option<String>> {
    let mut names: Vec<Option<String>> = vec![None; defs.len()];
    // Groups of live definitions sharing a short name, in order of first use.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &i in live {
        match groups
            .iter_mut()
            .find(|g| defs[g[0]].short == defs[i].short)
        {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut pending = Vec::new();
    for group in &groups {
        if let [only] = group.as_slice() {
            names[*only] = Some(defs[*only].short.clone());
        } else {
            for (k, &i) in group.iter().enumerate() {
                names[i] = Some(format!("{}__{}", defs[i].short, k + 1));
            }
            pending.push(group);
        }
    }
    loop {
        let mut changed = false;
        pending.retain(|group| {
            let bodies: Vec<Value> = group
                .iter()
                .map(|&i| replace_refs(defs[i].body.clone(), &names))
                .collect();
            if bodies.iter().all(|b| py_eq(b, &bodies[0])) {
                for &i in group.iter() {
                    names[i] = Some(defs[i].short.clone());
                }
                changed = true;
                false
            } else {
                true
            }
        });
        if !changed {
            return names;
        }
    }
}

/// pydantic's sort: keys in code point order, recursively, except the keys of an object
/// that is the value of a `properties` or `default` key (arrays pass their key down).
fn sort_keys(v: Value, parent: Option<&str>) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            if !matches!(parent, Some("properties" | "default")) {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
            }
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| {
                        let v = sort_keys(v, Some(&k));
                        (k, v)
                    })
                    .collect(),
            )
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|i| sort_keys(i, parent)).collect())
        }
        other => other,
    }
}

/// The `$defs` key pydantic prefers for a class: the name after its last `.`, with characters
/// other than ASCII letters, digits, `-` and `_` replaced by `_`.
fn short_def_name(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A field's default title: Python's `name.title().replace('_', ' ').strip()`, e.g.
/// `team_name` → `Team Name`, `field1name` → `Field1Name`, `x_` → `X`.
pub(crate) fn title_from_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    let mut previous_is_cased = false;
    for (i, &c) in chars.iter().enumerate() {
        if previous_is_cased {
            if c == '\u{3A3}' {
                // Capital sigma at the end of a word lowers to the final form.
                let next_is_cased = chars.get(i + 1).is_some_and(|&n| is_cased(n));
                out.push(if next_is_cased { 'σ' } else { 'ς' });
            } else {
                out.extend(c.to_lowercase());
            }
        } else {
            push_titlecase(c, &mut out);
        }
        previous_is_cased = is_cased(c);
    }
    let spaced = out.replace('_', " ");
    spaced.trim_matches(is_py_space).to_string()
}

/// Python's `str.isspace` for one character.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// Unicode's `Cased` property (lowercase, uppercase or titlecase letters and the like).
fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase() || is_titlecase_letter(c)
}

/// The titlecase letters (general category `Lt`).
fn is_titlecase_letter(c: char) -> bool {
    matches!(c,
        '\u{1C5}' | '\u{1C8}' | '\u{1CB}' | '\u{1F2}'
        | '\u{1F88}'..='\u{1F8F}' | '\u{1F98}'..='\u{1F9F}' | '\u{1FA8}'..='\u{1FAF}'
        | '\u{1FBC}' | '\u{1FCC}' | '\u{1FFC}')
}

/// Appends the titlecase form of `c` (its uppercase form, except where Unicode's titlecase
/// mapping differs).
fn push_titlecase(c: char, out: &mut String) {
    let special: Option<&str> = match c {
        'ß' => Some("Ss"),
        '\u{1C4}'..='\u{1C6}' => Some("\u{1C5}"),
        '\u{1C7}'..='\u{1C9}' => Some("\u{1C8}"),
        '\u{1CA}'..='\u{1CC}' => Some("\u{1CB}"),
        '\u{1F1}'..='\u{1F3}' => Some("\u{1F2}"),
        '\u{587}' => Some("\u{535}\u{582}"),
        '\u{FB00}' => Some("Ff"),
        '\u{FB01}' => Some("Fi"),
        '\u{FB02}' => Some("Fl"),
        '\u{FB03}' => Some("Ffi"),
        '\u{FB04}' => Some("Ffl"),
        '\u{FB05}' | '\u{FB06}' => Some("St"),
        '\u{FB13}' => Some("\u{544}\u{576}"),
        '\u{FB14}' => Some("\u{544}\u{565}"),
        '\u{FB15}' => Some("\u{544}\u{56B}"),
        '\u{FB16}' => Some("\u{54E}\u{576}"),
        '\u{FB17}' => Some("\u{544}\u{56D}"),
        '\u{1FB2}' => Some("\u{1FBA}\u{345}"),
        '\u{1FB3}' | '\u{1FBC}' => Some("\u{1FBC}"),
        '\u{1FB4}' => Some("\u{386}\u{345}"),
        '\u{1FB7}' => Some("\u{391}\u{342}\u{345}"),
        '\u{1FC2}' => Some("\u{1FCA}\u{345}"),
        '\u{1FC3}' | '\u{1FCC}' => Some("\u{1FCC}"),
        '\u{1FC4}' => Some("\u{389}\u{345}"),
        '\u{1FC7}' => Some("\u{397}\u{342}\u{345}"),
        '\u{1FF2}' => Some("\u{1FFA}\u{345}"),
        '\u{1FF3}' | '\u{1FFC}' => Some("\u{1FFC}"),
        '\u{1FF4}' => Some("\u{38F}\u{345}"),
        '\u{1FF7}' => Some("\u{3A9}\u{342}\u{345}"),
        _ => None,
    };
    if let Some(s) = special {
        out.push_str(s);
        return;
    }
    let code = u32::from(c);
    // Georgian Mkhedruli letters are their own titlecase; Greek letters with a subscript
    // iota title-case to the letter with the iota adscript.
    let mapped = match code {
        0x10D0..=0x10FA | 0x10FD..=0x10FF => Some(c),
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => char::from_u32(code + 8),
        0x1F88..=0x1F8F | 0x1F98..=0x1F9F | 0x1FA8..=0x1FAF => Some(c),
        _ => None,
    };
    match mapped {
        Some(m) => out.push(m),
        None => out.extend(c.to_uppercase()),
    }
}

/// The docstring of `dspy.History` (DSPy 3.4.1) after `inspect.cleandoc`.
const HISTORY_DOC: &str = r#"Class representing the conversation history.

The conversation history is a list of messages, each message entity should have keys from the associated signature.
For example, if you have the following signature:

```
class MySignature(dspy.Signature):
    question: str = dspy.InputField()
    history: dspy.History = dspy.InputField()
    answer: str = dspy.OutputField()
```

Then the history should be a list of dictionaries with keys "question" and "answer".

Examples:
    ```
    import dspy

    dspy.configure(lm=dspy.LM("openai/gpt-4o-mini"))

    class MySignature(dspy.Signature):
        question: str = dspy.InputField()
        history: dspy.History = dspy.InputField()
        answer: str = dspy.OutputField()

    history = dspy.History(
        messages=[
            {"question": "What is the capital of France?", "answer": "Paris"},
            {"question": "What is the capital of Germany?", "answer": "Berlin"},
        ]
    )

    predict = dspy.Predict(MySignature)
    outputs = predict(question="What is the capital of France?", history=history)
    ```

Example of capturing the conversation history:
    ```
    import dspy

    dspy.configure(lm=dspy.LM("openai/gpt-4o-mini"))

    class MySignature(dspy.Signature):
        question: str = dspy.InputField()
        history: dspy.History = dspy.InputField()
        answer: str = dspy.OutputField()

    predict = dspy.Predict(MySignature)
    outputs = predict(question="What is the capital of France?")
    history = dspy.History(messages=[{"question": "What is the capital of France?", **outputs}])
    outputs_with_history = predict(question="Are you sure?", history=history)
    ```"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_follow_python_str_title() {
        for (name, title) in [
            ("team_name", "Team Name"),
            ("field1name", "Field1Name"),
            ("x_", "X"),
            ("a1b_2c", "A1B 2C"),
            ("ab_cd_EF", "Ab Cd Ef"),
            ("x__y_", "X  Y"),
            ("déjà_vu2x", "Déjà Vu2X"),
            ("straße_ǆx", "Straße ǅx"),
            ("ßa", "Ssa"),
            ("_private", "Private"),
            ("ΟΔΟΣ_x", "Οδος X"),
            ("ΣΣ", "Σς"),
            ("aΣb", "Aσb"),
        ] {
            assert_eq!(title_from_name(name), title, "{name}");
        }
    }

    #[test]
    fn python_equality() {
        assert!(py_eq(
            &serde_json::json!([1, true]),
            &serde_json::json!([1.0, 1])
        ));
        assert!(!py_eq(
            &serde_json::json!({"a": 1}),
            &serde_json::json!({"a": 1, "b": 2})
        ));
        assert!(py_eq(
            &serde_json::json!({"a": 1, "b": 2}),
            &serde_json::json!({"b": 2, "a": 1.0})
        ));
    }
}
