//! How `XmlAdapter` writes prompts: `<name>⏎value⏎</name>` elements, structured outputs
//! (lists, dicts, models) as nested XML on one line, and skeletons of those structures derived
//! from the field's JSON Schema (or its type) for the structure block and the reminder.

use serde_json::{Map, Value};

use super::XmlAdapter;
use crate::adapter::layout::{self, Entry, Style};
use crate::adapter::Values;
use crate::render::py_repr;
use crate::signature::{FieldRole, FieldSpec, FieldType, SignatureSpec};

impl Style for XmlAdapter {
    fn system_message<'s>(&self, spec: &'s SignatureSpec) -> &'s str {
        spec.cache
            .xml_system
            .get_or_init(|| layout::system_message(spec, &structure(spec)))
    }

    fn reminder<'s>(&self, spec: &'s SignatureSpec) -> &'s str {
        spec.cache.xml_reminder.get_or_init(|| reminder(spec))
    }

    fn write_input(&self, out: &mut String, field: &FieldSpec, value: &Value) {
        write_field(out, field, FieldRole::Input, Entry::Value(value));
    }

    fn assistant_message(
        &self,
        spec: &SignatureSpec,
        values: &Values,
        missing: Entry<'_>,
    ) -> String {
        let mut out = String::with_capacity(64 * spec.outputs().len());
        for field in spec.outputs() {
            layout::push_separator(&mut out);
            write_field(
                &mut out,
                field,
                FieldRole::Output,
                Entry::of(values, &field.name, missing),
            );
        }
        dspy_pytext::strip_in_place(&mut out);
        out
    }
}

/// Appends one field: nested XML for a structured output holding an object or array,
/// otherwise `<name>`, the value (with `&` and `<` escaped for `str` outputs), `</name>`.
fn write_field(out: &mut String, field: &FieldSpec, role: FieldRole, entry: Entry<'_>) {
    let is_output = role == FieldRole::Output;
    if is_output && uses_nested_xml(&field.ty) {
        if let Some(value @ (Value::Array(_) | Value::Object(_))) = entry.as_value() {
            write_xml_value(out, value, &field.name, None);
            return;
        }
    }
    out.push('<');
    out.push_str(&field.name);
    out.push_str(">\n");
    if is_output && field.ty == FieldType::Str {
        match entry {
            Entry::Value(Value::String(text)) => push_escaped(out, text),
            Entry::Text(text) => push_escaped(out, text),
            other => {
                let mut text = String::new();
                layout::write_value(&mut text, &field.ty, other);
                push_escaped(out, &text);
            }
        }
    } else {
        layout::write_value(out, &field.ty, entry);
    }
    out.push_str("\n</");
    out.push_str(&field.name);
    out.push('>');
}

/// Whether outputs of this type are written as nested XML: lists, dicts and models, also
/// inside `Optional[...]` (DSPy's `_uses_nested_xml`; `dspy.History`, `dspy.Tool` and `dspy.ToolCalls` are DSPy
/// types, not nested).
pub(super) fn uses_nested_xml(ty: &FieldType) -> bool {
    let ty = match ty {
        FieldType::Union(members) => {
            let mut non_none = members.iter().filter(|m| **m != FieldType::None);
            match (non_none.next(), non_none.next()) {
                (Some(only), None) => only,
                _ => ty,
            }
        }
        other => other,
    };
    match ty {
        FieldType::List(item) => !matches!(
            **item,
            FieldType::History | FieldType::Tool | FieldType::ToolCalls
        ),
        FieldType::Dict(..) | FieldType::Model(_) => true,
        _ => false,
    }
}

/// The structure block: the intro, the input elements, then the output elements (skeletons
/// for nested outputs), blank lines apart. Unlike the other adapters', it is not stripped.
fn structure(spec: &SignatureSpec) -> String {
    let mut out = String::from(layout::STRUCTURE_INTRO);
    for (fields, role) in [
        (spec.inputs(), FieldRole::Input),
        (spec.outputs(), FieldRole::Output),
    ] {
        out.push_str("\n\n");
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push_str("\n\n");
            }
            if role == FieldRole::Output && uses_nested_xml(&field.ty) {
                write_skeleton(&mut out, field);
            } else {
                write_field(
                    &mut out,
                    field,
                    role,
                    Entry::Text(&layout::placeholder(field, role)),
                );
            }
        }
    }
    out
}

/// `Respond with the corresponding output fields wrapped in XML tags ...`, plus the nested
/// skeletons of structured outputs.
fn reminder(spec: &SignatureSpec) -> String {
    let mut out = String::from("Respond with the corresponding output fields wrapped in XML tags ");
    for (i, field) in spec.outputs().iter().enumerate() {
        if i > 0 {
            out.push_str(", then ");
        }
        out.push_str("`<");
        out.push_str(&field.name);
        out.push_str(">`");
    }
    out.push('.');
    let mut nested = spec
        .outputs()
        .iter()
        .filter(|f| uses_nested_xml(&f.ty))
        .peekable();
    if nested.peek().is_some() {
        out.push_str(" Use this nested XML structure: ");
        for (i, field) in nested.enumerate() {
            if i > 0 {
                out.push(' ');
            }
            write_skeleton(&mut out, field);
        }
    }
    out
}

/// Appends the empty nested structure of a field, e.g. `<info><name>...</name></info>`,
/// derived from its JSON Schema as DSPy does.
fn write_skeleton(out: &mut String, field: &FieldSpec) {
    let schema = layout::field_schema(field);
    let defs = schema.get("$defs").and_then(Value::as_object);
    schema_skeleton(out, &field.name, &schema, defs, &mut Vec::new());
}

/// DSPy's `_schema_to_xml`: follows `$ref`s (a definition already being expanded becomes
/// `...`), takes the first non-null `anyOf` branch, writes array items as `<item>` and object
/// properties as child elements; anything else is `<tag>...</tag>`.
fn schema_skeleton<'s>(
    out: &mut String,
    tag: &str,
    schema: &'s Value,
    defs: Option<&'s Map<String, Value>>,
    seen: &mut Vec<&'s str>,
) {
    if let Some(reference) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
    {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        match defs.and_then(|d| d.get(name)) {
            Some(def) if !seen.contains(&name) => {
                seen.push(name);
                schema_skeleton(out, tag, def, defs, seen);
                seen.pop();
            }
            _ => write_leaf(out, tag),
        }
        return;
    }
    if let Some(choices) = schema
        .get("anyOf")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
    {
        let choice = choices
            .iter()
            .find(|c| c.get("type").and_then(Value::as_str) != Some("null"))
            .unwrap_or(&choices[0]);
        schema_skeleton(out, tag, choice, defs, seen);
        return;
    }
    if schema.get("type").and_then(Value::as_str) == Some("array") {
        open(out, tag);
        match schema.get("items") {
            Some(items) => schema_skeleton(out, "item", items, defs, seen),
            None => write_leaf(out, "item"),
        }
        close(out, tag);
        return;
    }
    match schema
        .get("properties")
        .and_then(Value::as_object)
        .filter(|p| !p.is_empty())
    {
        Some(properties) => {
            open(out, tag);
            for (name, child) in properties {
                schema_skeleton(out, name, child, defs, seen);
            }
            close(out, tag);
        }
        None => write_leaf(out, tag),
    }
}

fn open(out: &mut String, tag: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
}

fn close(out: &mut String, tag: &str) {
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// `<tag>...</tag>`.
fn write_leaf(out: &mut String, tag: &str) {
    open(out, tag);
    out.push_str("...");
    close(out, tag);
}

/// DSPy's `_value_to_xml`: arrays become `<item>` children, objects child elements named by
/// their keys (`<entry key="...">` when a key is no identifier), `null` and empty arrays a
/// self-closing tag, scalars their Python `str()` with `&` and `<` escaped.
fn write_xml_value(out: &mut String, value: &Value, tag: &str, key: Option<&str>) {
    out.push('<');
    out.push_str(tag);
    if let Some(key) = key {
        out.push_str(" key=");
        push_quoted_attr(out, key);
    }
    match value {
        Value::Null => {
            out.push_str(" />");
            return;
        }
        Value::Array(items) if items.is_empty() => {
            out.push_str(" />");
            return;
        }
        Value::Array(items) => {
            out.push('>');
            for item in items {
                write_xml_value(out, item, "item", None);
            }
        }
        Value::Object(map) => {
            out.push('>');
            for (name, child) in map {
                if is_tag_name(name) {
                    write_xml_value(out, child, name, None);
                } else {
                    write_xml_value(out, child, "entry", Some(name));
                }
            }
        }
        Value::String(text) => {
            out.push('>');
            push_escaped(out, text);
        }
        scalar => {
            out.push('>');
            push_escaped(out, &py_repr::py_str(scalar));
        }
    }
    close(out, tag);
}

/// Whether DSPy uses a dict key as a tag name: it must be a Python identifier once `-` and `.`
/// after its first character are read as `_`.
fn is_tag_name(key: &str) -> bool {
    let mut chars = key.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first == '_' || unicode_ident::is_xid_start(first))
        && chars.all(|c| c == '-' || c == '.' || unicode_ident::is_xid_continue(c))
}

/// Appends `text` with `&` → `&amp;` and `<` → `&lt;`.
fn push_escaped(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<']) {
        out.push_str(&rest[..at]);
        out.push_str(if rest.as_bytes()[at] == b'&' {
            "&amp;"
        } else {
            "&lt;"
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// Python's `xml.sax.saxutils.quoteattr`: `&`, `<`, `>`, newline, carriage return and tab
/// escaped; double quotes around the value unless it holds `"` and no `'`.
fn push_quoted_attr(out: &mut String, value: &str) {
    let has_double = value.contains('"');
    let has_single = value.contains('\'');
    let quote = if has_double && !has_single { '\'' } else { '"' };
    out.push(quote);
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '"' if quote == '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn xml(value: Value) -> String {
        let mut out = String::new();
        write_xml_value(&mut out, &value, "out", None);
        out
    }

    #[test]
    fn values_as_nested_xml() {
        assert_eq!(xml(json!([])), "<out />");
        assert_eq!(xml(json!({})), "<out></out>");
        assert_eq!(
            xml(json!({"a": null, "b": [1.0, true], "c": "x<&>"})),
            "<out><a /><b><item>1.0</item><item>True</item></b><c>x&lt;&amp;></c></out>"
        );
        assert_eq!(
            xml(json!({"a-b.c": 1, "1x": 2, "-x": 3, "two words": 4, "é": 5, "q\"'": 6, "q\"": 7})),
            "<out><a-b.c>1</a-b.c><entry key=\"1x\">2</entry><entry key=\"-x\">3</entry>\
             <entry key=\"two words\">4</entry><é>5</é><entry key=\"q&quot;'\">6</entry><entry key='q\"'>7</entry></out>"
        );
    }

    #[test]
    fn skeletons_walk_the_schema() {
        let spec = SignatureSpec::parse(
            "q -> tags: list[str], n: Optional[dict[str, int]], m: tuple[int, str]",
        )
        .unwrap();
        let skeletons: Vec<String> = spec
            .outputs()
            .iter()
            .map(|f| {
                let mut out = String::new();
                write_skeleton(&mut out, f);
                out
            })
            .collect();
        assert_eq!(
            skeletons,
            [
                "<tags><item>...</item></tags>",
                "<n>...</n>",
                "<m><item>...</item></m>"
            ]
        );
        let schema = json!({"$defs": {"Node": {"properties": {"kids": {"items": {"$ref": "#/$defs/Node"}, "type": "array"}}}}, "$ref": "#/$defs/Node"});
        let mut out = String::new();
        schema_skeleton(
            &mut out,
            "t",
            &schema,
            schema.get("$defs").and_then(Value::as_object),
            &mut Vec::new(),
        );
        assert_eq!(out, "<t><kids><item>...</item></kids></t>");
    }

    #[test]
    fn nested_types() {
        let spec = SignatureSpec::parse(
            "q -> a: list[int], b: Optional[dict[str, int]], c: Optional[int], d: tuple[int, str]",
        )
        .unwrap();
        let nested: Vec<bool> = spec
            .outputs()
            .iter()
            .map(|f| uses_nested_xml(&f.ty))
            .collect();
        assert_eq!(nested, [true, true, false, false]);
    }

    #[test]
    fn only_output_strings_are_escaped() {
        use crate::adapter::Adapter;
        let spec = SignatureSpec::parse("q -> a").unwrap();
        let values = |v: Value| v.as_object().cloned().unwrap_or_default();
        let demos = [values(json!({"q": "x<&  \n", "a": "y<& \n"}))];
        let messages = XmlAdapter.format(&spec, &demos, &values(json!({"q": "  z  "})));
        let contents: Vec<&str> = messages[1..].iter().map(|m| m.content.as_str()).collect();
        assert_eq!(
            contents,
            [
                "<q>\nx<&  \n\n</q>",
                "<a>\ny&lt;&amp; \n\n</a>",
                "<q>\n  z  \n</q>\n\nRespond with the corresponding output fields wrapped in XML tags `<a>`.",
            ]
        );
    }
}
