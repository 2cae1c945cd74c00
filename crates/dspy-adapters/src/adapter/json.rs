//! `JsonAdapter`: inputs as `[[ ## name ## ]]` sections, outputs as one JSON object.

use serde_json::Value;

use super::chat::{placeholder_sections, write_section};
use super::layout::{self, Entry, Style};
use super::{Adapter, AdapterKind, Values};
use crate::render::py_json;
use crate::signature::{FieldRole, FieldSpec};
use crate::{Message, ParseError, SignatureSpec};

/// DSPy's `JSONAdapter`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonAdapter;

impl Adapter for JsonAdapter {
    fn kind(&self) -> AdapterKind {
        AdapterKind::Json
    }

    fn format(&self, spec: &SignatureSpec, demos: &[Values], inputs: &Values) -> Vec<Message> {
        layout::format(self, spec, demos, inputs)
    }

    fn parse(&self, spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
        super::parse::parse_json(spec, completion)
    }
}

impl Style for JsonAdapter {
    fn system_message<'s>(&self, spec: &'s SignatureSpec) -> &'s str {
        spec.cache
            .json_system
            .get_or_init(|| layout::system_message(spec, &structure(spec)))
    }

    fn reminder<'s>(&self, spec: &'s SignatureSpec) -> &'s str {
        spec.cache.json_reminder.get_or_init(|| reminder(spec))
    }

    fn write_input(&self, out: &mut String, field: &FieldSpec, value: &Value) {
        write_section(out, &field.name, &field.ty, Entry::Value(value));
    }

    fn assistant_message(
        &self,
        spec: &SignatureSpec,
        values: &Values,
        missing: Entry<'_>,
    ) -> String {
        let mut out = String::with_capacity(64 * spec.outputs().len() + 4);
        write_object(&mut out, spec.outputs(), |field| {
            Entry::of(values, &field.name, missing)
        });
        out
    }
}

/// Appends `json.dumps({name: entry, ...}, indent=2, ensure_ascii=False)` for `fields`.
fn write_object<'a>(
    out: &mut String,
    fields: &[FieldSpec],
    mut entry: impl FnMut(&FieldSpec) -> Entry<'a>,
) {
    if fields.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("\n  ");
        py_json::write_string(out, &field.name);
        out.push_str(": ");
        match entry(field) {
            Entry::Value(v) => {
                py_json::write_value(out, &layout::presented(&field.ty, v), Some(2), 1)
            }
            Entry::Text(text) => py_json::write_string(out, text),
        }
    }
    out.push_str("\n}");
}

/// The structure block: input sections, then the outputs as a JSON object of placeholders.
fn structure(spec: &SignatureSpec) -> String {
    let inputs = placeholder_sections(spec.inputs(), FieldRole::Input);
    let placeholders: Vec<String> = spec
        .outputs()
        .iter()
        .map(|f| layout::placeholder(f, FieldRole::Output))
        .collect();
    let mut outputs = String::new();
    let mut next = placeholders.iter();
    write_object(&mut outputs, spec.outputs(), |_| {
        Entry::Text(next.next().map_or("", String::as_str))
    });
    layout::join_blocks([
        layout::STRUCTURE_INTRO,
        "Inputs will have the following structure:",
        &inputs,
        "Outputs will be a JSON object with the following fields.",
        &outputs,
    ])
}

/// `Respond with a JSON object in the following order of fields: ...`.
fn reminder(spec: &SignatureSpec) -> String {
    let mut out = String::from("Respond with a JSON object in the following order of fields: ");
    for (i, field) in spec.outputs().iter().enumerate() {
        if i > 0 {
            out.push_str(", then ");
        }
        out.push('`');
        out.push_str(&field.name);
        out.push('`');
        layout::reminder_type_info(&mut out, field);
    }
    out.push('.');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assistant_is_indented_json_with_missing_notes() {
        let spec = SignatureSpec::parse("q -> a, b: list[int]").unwrap();
        let demo = json!({"q": "x", "a": "y \n"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let messages = JsonAdapter.format(&spec, &[demo], &Values::new());
        assert_eq!(
            messages[2].content,
            "{\n  \"a\": \"y \\n\",\n  \"b\": \"Not supplied for this particular example. \"\n}"
        );
    }
}
