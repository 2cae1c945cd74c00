//! `XMLAdapter.parse`: `<field>...</field>` elements.
//!
//! The completion is parsed as strict XML inside a `<dspy_root>` wrapper (as Python's
//! `ElementTree.fromstring` does; a bare `<` or `&` makes it malformed). Top-level elements
//! are grouped by tag (`<entry key="k">` by its key). Each output field's elements become a
//! value guided by the field's type (DSPy walks the pydantic JSON schema; the walk here follows
//! the same schema shapes, see [`Shape`]), which then goes through `parse_value`, falling back
//! to plain validation. For a union, the union itself and then each member is tried in turn.

use std::sync::Arc;

use dspy_pytext::strip;
use roxmltree::{Document, Node};
use serde_json::{Map, Value};

use super::{error, expat, finish};
use crate::adapter::{AdapterKind, Values};
use crate::render::py_repr::{py_repr, py_str};
use crate::signature::LiteralValue;
use crate::value::{parse_json_value, union_members, validate, ValueError};
use crate::{FieldSpec, FieldType, ParseError, ParseErrorKind, SignatureSpec};

/// Elements nest no deeper than this in a field value (Python would hit its recursion limit).
const MAX_DEPTH: usize = 256;

/// Parses an `XMLAdapter` completion into `spec`'s outputs.
pub(crate) fn parse_xml(spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
    let wrapped = format!("<dspy_root>{completion}</dspy_root>");
    let doc = match Document::parse(&wrapped) {
        Ok(doc) => doc,
        Err(e) => {
            return Err(error(
                AdapterKind::Xml,
                spec,
                completion,
                ParseErrorKind::Malformed {
                    // Python's `ElementTree` (expat) words and places the error; roxmltree's
                    // own text only for a document expat would have read.
                    reason: format!(
                        "Failed to parse XML: {}",
                        expat::error(&wrapped).unwrap_or_else(|| e.to_string())
                    ),
                },
            ));
        }
    };
    let groups = group_children(doc.root_element());
    let outputs = spec.outputs();
    let mut found: Vec<Option<Value>> = vec![None; outputs.len()];
    for (field, slot) in outputs.iter().zip(found.iter_mut()) {
        let Some((_, elements)) = groups.iter().find(|(name, _)| *name == field.name) else {
            continue;
        };
        match field_value(elements, &field.ty) {
            Ok(value) => *slot = Some(value),
            Err((value, reason)) => {
                return Err(error(
                    AdapterKind::Xml,
                    spec,
                    completion,
                    ParseErrorKind::FieldValue {
                        field: field.name.clone(),
                        value,
                        reason: reason.into(),
                        field_spec: Some(Arc::new(field.clone())),
                    },
                ))
            }
        }
    }
    finish(AdapterKind::Xml, spec, completion, found)
}

/// Converts one field's elements: tries the field's type and then, for a union, each member
/// as the shape to read the elements with. On failure returns the last value read (as Python
/// `str()`) and the last error.
fn field_value(elements: &[Node<'_, '_>], ty: &FieldType) -> Result<Value, (String, String)> {
    let mut candidates = vec![Shape::Type(ty)];
    if let FieldType::Union(_) = ty {
        candidates.extend(union_members(ty).into_iter().map(Shape::Type));
    }
    let mut last = (String::new(), String::new());
    for shape in candidates {
        let value = match to_value(elements, shape, 0) {
            Ok(value) => value,
            Err(TooDeep) => return Err((String::new(), "XML nested too deeply".to_string())),
        };
        let error = match parse_json_value(&value, ty) {
            Ok(v) => return Ok(v),
            // DSPy retries plain validation after a pydantic error, not after an enum miss.
            Err(ValueError::Invalid(_)) => match validate(&value, ty) {
                Ok(v) => return Ok(v),
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        last = (py_str(&value), error);
    }
    Err(last)
}

impl FieldSpec {
    /// pydantic's `str(FieldInfo)` for an output field, which DSPy's `XMLAdapter` prints in place of
    /// the field's name: `annotation=int required=True json_schema_extra={...}`, with
    /// `required=False default=...` for a field with a default and `metadata=[Ge(ge=0), ...]` for
    /// constraints.
    ///
    /// `json_schema_extra` lists DSPy's keys in the order the field was built with: a field declared
    /// without a description (`dspy.OutputField()`, string signatures) holds the field type, the
    /// constraints, then the `prefix` and `desc` DSPy adds; a field declared with one
    /// (`dspy.OutputField(desc=...)`, and `ChainOfThought`'s `reasoning`) holds `desc` first. A
    /// spec does not record how its field was declared, so this follows those two common ways.
    pub(crate) fn pydantic_field_info(&self) -> String {
        let repr = |text: &str| py_repr(&Value::String(text.to_owned()));
        let mut out = format!("annotation={} ", self.ty.dspy_name());
        match &self.default {
            Some(default) => out.push_str(&format!("required=False default={} ", py_repr(default))),
            None => out.push_str("required=True "),
        }
        let kind = "'__dspy_field_type': 'output'";
        let constraints = self
            .constraints
            .as_deref()
            .map(|c| format!(", 'constraints': {}", repr(c)))
            .unwrap_or_default();
        let prefix = repr(&self.prefix);
        let cot_reasoning = self.name == "reasoning" && self.prefix == "Reasoning:";
        match &self.desc {
            None if !cot_reasoning => out.push_str(&format!(
                "json_schema_extra={{{kind}{constraints}, 'prefix': {prefix}, 'desc': {}}}",
                repr(&format!("${{{}}}", self.name))
            )),
            desc => out.push_str(&format!(
                "json_schema_extra={{'desc': {}, {kind}{constraints}, 'prefix': {prefix}}}",
                repr(
                    &desc
                        .clone()
                        .unwrap_or_else(|| format!("${{{}}}", self.name))
                )
            )),
        }
        let metadata = self.constraints.as_deref().map(constraint_metadata);
        if let Some(metadata) = metadata.filter(|m| !m.is_empty()) {
            out.push_str(&format!(" metadata=[{}]", metadata.join(", ")));
        }
        out
    }
}

/// pydantic's metadata objects for DSPy's constraint text (`greater than or equal to: 0, ...`),
/// in pydantic's order.
fn constraint_metadata(text: &str) -> Vec<String> {
    // (DSPy's wording, pydantic's class, keyword), in the order pydantic collects them.
    const KINDS: [(&str, &str, &str); 8] = [
        ("greater than: ", "Gt", "gt"),
        ("greater than or equal to: ", "Ge", "ge"),
        ("less than: ", "Lt", "lt"),
        ("less than or equal to: ", "Le", "le"),
        (
            "a multiple of the given number: ",
            "MultipleOf",
            "multiple_of",
        ),
        ("minimum length: ", "MinLen", "min_length"),
        ("maximum length: ", "MaxLen", "max_length"),
        (
            "allow 'inf', '-inf', 'nan' values: ",
            "AllowInfNan",
            "allow_inf_nan",
        ),
    ];
    // The parts are joined with ", ", which the `allow_inf_nan` wording also holds; values are
    // numbers or booleans.
    KINDS
        .iter()
        .filter_map(|(wording, class, keyword)| {
            let start = text
                .match_indices(wording)
                .find(|(i, _)| *i == 0 || text[..*i].ends_with(", "))?
                .0
                + wording.len();
            let rest = &text[start..];
            let value = rest.split(", ").next().unwrap_or(rest);
            Some(format!("{class}({keyword}={value})"))
        })
        .collect()
}

/// A JSON schema as DSPy's walk sees it: a type's own schema, or a schema with no type,
/// properties or items (`{}`, `Any`, or a `$ref` that a union choice left unresolved).
#[derive(Clone, Copy)]
enum Shape<'t> {
    Type(&'t FieldType),
    Opaque,
}

/// The schema keys the walk reads.
enum Kind<'t> {
    /// `{"type": "string"}`.
    String,
    /// `{"type": "array", "items": ...}`.
    Array(Shape<'t>),
    /// `{"type": "object", ...}`.
    Object,
    /// `{"anyOf": [...]}`.
    AnyOf(Vec<&'t FieldType>),
    /// Anything else (numbers, booleans, `null`, enums of non-strings, `{}`).
    Other,
}

impl<'t> Shape<'t> {
    fn kind(self) -> Kind<'t> {
        let Shape::Type(ty) = self else {
            return Kind::Other;
        };
        match ty {
            FieldType::Str => Kind::String,
            FieldType::Literal(members) => {
                if members.iter().all(|m| matches!(m, LiteralValue::Str(_))) {
                    Kind::String
                } else {
                    Kind::Other
                }
            }
            FieldType::Enum(def) => {
                if def.members.iter().all(|m| m.value.is_string()) {
                    Kind::String
                } else {
                    Kind::Other
                }
            }
            FieldType::List(item) => Kind::Array(Shape::Type(item)),
            // pydantic describes a fixed tuple with `prefixItems`; DSPy reads only `items`.
            FieldType::Tuple(_) => Kind::Array(Shape::Opaque),
            FieldType::Dict(..)
            | FieldType::Model(_)
            | FieldType::History
            | FieldType::Tool
            | FieldType::ToolCalls => Kind::Object,
            FieldType::Union(_) => Kind::AnyOf(union_members(ty)),
            FieldType::Int
            | FieldType::Float
            | FieldType::Bool
            | FieldType::None
            | FieldType::Any => Kind::Other,
        }
    }

    /// The schema for a child element named `name` (`properties[name]`, else
    /// `additionalProperties`, else `{}`).
    fn child(self, name: &str) -> Shape<'t> {
        match self {
            Shape::Type(FieldType::Model(def)) => def
                .fields
                .iter()
                .find(|f| f.name == name)
                .map_or(Shape::Opaque, |f| Shape::Type(&f.ty)),
            Shape::Type(FieldType::Dict(_, value)) => Shape::Type(value),
            _ => Shape::Opaque,
        }
    }
}

/// A union choice as DSPy uses it without resolving it: models and enums are `$ref`s.
fn unresolved(ty: &FieldType) -> Shape<'_> {
    match ty {
        FieldType::Model(_) | FieldType::Enum(_) => Shape::Opaque,
        other => Shape::Type(other),
    }
}

struct TooDeep;

/// DSPy's `_elements_to_value`: reads same-named sibling elements as a value of `shape`.
fn to_value(elements: &[Node<'_, '_>], shape: Shape<'_>, depth: usize) -> Result<Value, TooDeep> {
    if depth > MAX_DEPTH {
        return Err(TooDeep);
    }
    let Some(&first) = elements.first() else {
        return Ok(Value::Null);
    };
    let mut shape = shape;
    let mut kind = shape.kind();
    if let Kind::AnyOf(members) = kind {
        let has_children = first.children().any(|c| c.is_element());
        if members.contains(&&FieldType::None)
            && !has_children
            && strip(&element_text(first)).is_empty()
        {
            return Ok(Value::Null);
        }
        let choices: Vec<&FieldType> = members
            .into_iter()
            .filter(|m| **m != FieldType::None)
            .collect();
        let Some(&choice) = choices.first() else {
            return Ok(Value::Null);
        };
        shape = unresolved(choice);
        if has_children {
            if let Some(&other) = choices
                .iter()
                .find(|c| !matches!(unresolved(c).kind(), Kind::String))
            {
                shape = unresolved(other);
            }
        }
        kind = shape.kind();
    }
    if let Kind::Array(items) = kind {
        let mut elements: Vec<Node<'_, '_>> = elements.to_vec();
        if let [only] = elements.as_slice() {
            if !only.children().any(|c| c.is_element()) {
                let text = element_text(*only);
                let text = strip(&text);
                if text.is_empty() {
                    return Ok(Value::Array(Vec::new()));
                }
                if text.starts_with('[') {
                    return Ok(Value::String(text.to_owned()));
                }
            }
            let group = group_children(*only);
            if let Some((_, items)) = group
                .into_iter()
                .find(|(name, items)| name == "item" && !items.is_empty())
            {
                elements = items;
            }
        }
        return elements
            .iter()
            .map(|e| to_value(std::slice::from_ref(e), items, depth + 1))
            .collect();
    }
    if matches!(kind, Kind::String) && first.children().any(|c| c.is_element()) {
        let mut out = element_text(first);
        for child in first.children().filter(Node::is_element) {
            serialize(child, &mut out, depth)?;
        }
        return Ok(Value::String(out));
    }
    let children = group_children(first);
    if children.is_empty() {
        if matches!(kind, Kind::Object) && strip(&element_text(first)).is_empty() {
            return Ok(Value::Object(Map::new()));
        }
        let mut texts: Vec<Value> = elements
            .iter()
            .map(|e| Value::String(strip(&element_text(*e)).to_owned()))
            .collect();
        return Ok(if texts.len() == 1 {
            texts.remove(0)
        } else {
            Value::Array(texts)
        });
    }
    let mut out = Map::new();
    for (name, items) in &children {
        let value = to_value(items, shape.child(name), depth + 1)?;
        out.insert(name.clone(), value);
    }
    Ok(Value::Object(out))
}

/// ElementTree's `element.text`: the character data before the first child element
/// (comments and processing instructions are dropped, so text around them joins up).
fn element_text(element: Node<'_, '_>) -> String {
    let mut out = String::new();
    for child in element.children() {
        if child.is_element() {
            break;
        }
        if let Some(text) = child.text().filter(|_| child.is_text()) {
            out.push_str(text);
        }
    }
    out
}

/// ElementTree's `element.tail`: the character data after `element` up to its next sibling
/// element.
fn element_tail(element: Node<'_, '_>) -> String {
    let mut out = String::new();
    let mut next = element.next_sibling();
    while let Some(node) = next {
        if node.is_element() {
            break;
        }
        if node.is_text() {
            out.push_str(node.text().unwrap_or(""));
        }
        next = node.next_sibling();
    }
    out
}

/// An element's name as ElementTree spells it: `tag`, or `{namespace}tag`.
fn qualified_name(node: Node<'_, '_>) -> String {
    let name = node.tag_name();
    match name.namespace() {
        Some(ns) => format!("{{{ns}}}{}", name.name()),
        None => name.name().to_owned(),
    }
}

/// DSPy's `_group_children`: child elements grouped by tag in first-seen order; an
/// `<entry key="k">` element is grouped under `k`.
fn group_children<'a, 'input>(element: Node<'a, 'input>) -> Vec<(String, Vec<Node<'a, 'input>>)> {
    let mut groups: Vec<(String, Vec<Node<'a, 'input>>)> = Vec::new();
    for child in element.children().filter(Node::is_element) {
        let tag = qualified_name(child);
        let key = match child.attribute("key") {
            Some(key) if tag == "entry" => key.to_owned(),
            _ => tag,
        };
        match groups.iter_mut().find(|(name, _)| *name == key) {
            Some((_, nodes)) => nodes.push(child),
            None => groups.push((key, vec![child])),
        }
    }
    groups
}

/// `ElementTree.tostring(element, encoding="unicode")`: the element, its content and its tail.
/// Namespaced names get ElementTree's generated prefixes (`ns0`, ...), declared on `element`.
fn serialize(element: Node<'_, '_>, out: &mut String, depth: usize) -> Result<(), TooDeep> {
    let mut prefixes: Vec<(String, String)> = Vec::new();
    for node in element.descendants().filter(Node::is_element) {
        let names = std::iter::once(node.tag_name().namespace())
            .chain(node.attributes().map(|a| a.namespace()));
        for ns in names.flatten() {
            if !prefixes.iter().any(|(uri, _)| uri == ns) {
                // ElementTree numbers generated prefixes by the namespaces declared so far
                // (the `xml` namespace is never declared).
                let declared = prefixes.iter().filter(|(_, p)| p != "xml").count();
                let prefix =
                    well_known_prefix(ns).map_or_else(|| format!("ns{declared}"), str::to_owned);
                prefixes.push((ns.to_owned(), prefix));
            }
        }
    }
    write_element(element, &prefixes, true, out, depth)?;
    push_escaped(out, &element_tail(element), false);
    Ok(())
}

fn well_known_prefix(ns: &str) -> Option<&'static str> {
    Some(match ns {
        "http://www.w3.org/XML/1998/namespace" => "xml",
        "http://www.w3.org/1999/xhtml" => "html",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#" => "rdf",
        "http://schemas.xmlsoap.org/wsdl/" => "wsdl",
        "http://www.w3.org/2001/XMLSchema" => "xs",
        "http://www.w3.org/2001/XMLSchema-instance" => "xsi",
        "http://purl.org/dc/elements/1.1/" => "dc",
        _ => return None,
    })
}

fn write_element(
    element: Node<'_, '_>,
    prefixes: &[(String, String)],
    declare: bool,
    out: &mut String,
    depth: usize,
) -> Result<(), TooDeep> {
    if depth > MAX_DEPTH {
        return Err(TooDeep);
    }
    let prefixed = |ns: Option<&str>, name: &str| match ns
        .and_then(|ns| prefixes.iter().find(|(uri, _)| uri == ns))
    {
        Some((_, prefix)) => format!("{prefix}:{name}"),
        None => name.to_owned(),
    };
    let tag = prefixed(element.tag_name().namespace(), element.tag_name().name());
    out.push('<');
    out.push_str(&tag);
    if declare {
        let mut sorted: Vec<&(String, String)> =
            prefixes.iter().filter(|(_, p)| p != "xml").collect();
        sorted.sort_by(|a, b| a.1.cmp(&b.1));
        for (uri, prefix) in sorted {
            out.push_str(&format!(" xmlns:{prefix}=\""));
            push_escaped(out, uri, true);
            out.push('"');
        }
    }
    for attr in element.attributes() {
        out.push(' ');
        out.push_str(&prefixed(attr.namespace(), attr.name()));
        out.push_str("=\"");
        push_escaped(out, attr.value(), true);
        out.push('"');
    }
    let text = element_text(element);
    let has_children = element.children().any(|c| c.is_element());
    if text.is_empty() && !has_children {
        out.push_str(" />");
        return Ok(());
    }
    out.push('>');
    push_escaped(out, &text, false);
    for child in element.children().filter(Node::is_element) {
        write_element(child, prefixes, false, out, depth + 1)?;
        push_escaped(out, &element_tail(child), false);
    }
    out.push_str("</");
    out.push_str(&tag);
    out.push('>');
    Ok(())
}

/// ElementTree's text (`&`, `<`, `>`) or attribute (also `"`, `\r`, `\n`, `\t`) escaping.
fn push_escaped(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' if attribute => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#09;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::signature::parse_type;
    use crate::FieldSpec;

    fn field(name: &str, ty: &str) -> FieldSpec {
        FieldSpec::new(name, parse_type(ty, &|_| None).unwrap())
    }

    /// `str(FieldInfo)` of the same fields declared in a DSPy 3.4.1 class signature.
    #[test]
    fn field_info_as_pydantic_prints_it() {
        let cases = [
            (field("a", "int"), "annotation=int required=True json_schema_extra={'__dspy_field_type': 'output', 'prefix': 'A:', 'desc': '${a}'}"),
            (field("b", "Optional[int]").with_desc("maybe it's"), "annotation=Union[int, NoneType] required=True json_schema_extra={'desc': \"maybe it's\", '__dspy_field_type': 'output', 'prefix': 'B:'}"),
            (field("c", "Union[int, str]"), "annotation=Union[int, str] required=True json_schema_extra={'__dspy_field_type': 'output', 'prefix': 'C:', 'desc': '${c}'}"),
            (field("d", "Literal['x', \"it's\", 1]"), "annotation=Literal['x', \"it's\", 1] required=True json_schema_extra={'__dspy_field_type': 'output', 'prefix': 'D:', 'desc': '${d}'}"),
            (field("e", "list[str]").with_constraints("greater than or equal to: 0, less than or equal to: 5"), "annotation=list[str] required=True json_schema_extra={'__dspy_field_type': 'output', 'constraints': 'greater than or equal to: 0, less than or equal to: 5', 'prefix': 'E:', 'desc': '${e}'} metadata=[Ge(ge=0), Le(le=5)]"),
            (field("f", "dict[str, int]").with_default(json!({"k": 1})), "annotation=dict[str, int] required=False default={'k': 1} json_schema_extra={'__dspy_field_type': 'output', 'prefix': 'F:', 'desc': '${f}'}"),
            (field("g", "tuple[int, str]"), "annotation=tuple[int, str] required=True json_schema_extra={'__dspy_field_type': 'output', 'prefix': 'G:', 'desc': '${g}'}"),
            (field("h", "Any"), "annotation=Any required=True json_schema_extra={'__dspy_field_type': 'output', 'prefix': 'H:', 'desc': '${h}'}"),
            (field("i", "float").with_desc("ratio").with_constraints("greater than: 0.0, allow 'inf', '-inf', 'nan' values: False"), "annotation=float required=True json_schema_extra={'desc': 'ratio', '__dspy_field_type': 'output', 'constraints': \"greater than: 0.0, allow 'inf', '-inf', 'nan' values: False\", 'prefix': 'I:'} metadata=[Gt(gt=0.0), AllowInfNan(allow_inf_nan=False)]"),
            (field("n", "Optional[list[str]]").with_default(json!(null)), "annotation=Union[list[str], NoneType] required=False default=None json_schema_extra={'__dspy_field_type': 'output', 'prefix': 'N:', 'desc': '${n}'}"),
            (field("reasoning", "str"), "annotation=str required=True json_schema_extra={'desc': '${reasoning}', '__dspy_field_type': 'output', 'prefix': 'Reasoning:'}"),
        ];
        for (spec, want) in cases {
            assert_eq!(spec.pydantic_field_info(), want, "{}", spec.name);
        }
    }
}
