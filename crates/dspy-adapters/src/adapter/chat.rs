//! `ChatAdapter`: fields as `[[ ## name ## ]]` sections, ended by `[[ ## completed ## ]]`.

use serde_json::Value;

use super::layout::{self, Entry, Style};
use super::{Adapter, AdapterKind, Values};
use crate::signature::{FieldRole, FieldSpec, FieldType};
use crate::{Message, ParseError, SignatureSpec};

/// DSPy's `ChatAdapter`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChatAdapter;

impl Adapter for ChatAdapter {
    fn kind(&self) -> AdapterKind {
        AdapterKind::Chat
    }

    fn format(&self, spec: &SignatureSpec, demos: &[Values], inputs: &Values) -> Vec<Message> {
        layout::format(self, spec, demos, inputs)
    }

    fn parse(&self, spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
        super::parse::parse_chat(spec, completion)
    }
}

impl Style for ChatAdapter {
    fn system_message<'s>(&self, spec: &'s SignatureSpec) -> &'s str {
        spec.cache
            .chat_system
            .get_or_init(|| layout::system_message(spec, &structure(spec)))
    }

    fn reminder<'s>(&self, spec: &'s SignatureSpec) -> &'s str {
        spec.cache.chat_reminder.get_or_init(|| reminder(spec))
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
        const COMPLETED: &str = "\n\n[[ ## completed ## ]]\n";
        let mut out = String::with_capacity(64 * spec.outputs().len() + COMPLETED.len());
        for field in spec.outputs() {
            layout::push_separator(&mut out);
            write_section(
                &mut out,
                &field.name,
                &field.ty,
                Entry::of(values, &field.name, missing),
            );
        }
        dspy_pytext::strip_in_place(&mut out);
        out.push_str(COMPLETED);
        out
    }
}

/// Appends `[[ ## name ## ]]`, a newline and the value.
pub(super) fn write_section(out: &mut String, name: &str, ty: &FieldType, entry: Entry<'_>) {
    out.push_str("[[ ## ");
    out.push_str(name);
    out.push_str(" ## ]]\n");
    layout::write_value(out, ty, entry);
}

/// The sections of `fields` with their structure placeholders, blank lines apart.
pub(super) fn placeholder_sections(fields: &[FieldSpec], role: FieldRole) -> String {
    let mut out = String::new();
    for field in fields {
        layout::push_separator(&mut out);
        write_section(
            &mut out,
            &field.name,
            &field.ty,
            Entry::Text(&layout::placeholder(field, role)),
        );
    }
    dspy_pytext::strip_in_place(&mut out);
    out
}

/// The structure block: input sections, output sections with type notes, then the
/// `[[ ## completed ## ]]` marker.
fn structure(spec: &SignatureSpec) -> String {
    let inputs = placeholder_sections(spec.inputs(), FieldRole::Input);
    let outputs = placeholder_sections(spec.outputs(), FieldRole::Output);
    layout::join_blocks([
        layout::STRUCTURE_INTRO,
        &inputs,
        &outputs,
        "[[ ## completed ## ]]\n",
    ])
}

/// `Respond with the corresponding output fields, starting with the field ...`.
fn reminder(spec: &SignatureSpec) -> String {
    let mut out =
        String::from("Respond with the corresponding output fields, starting with the field ");
    for (i, field) in spec.outputs().iter().enumerate() {
        if i > 0 {
            out.push_str(", then ");
        }
        out.push_str("`[[ ## ");
        out.push_str(&field.name);
        out.push_str(" ## ]]`");
        layout::reminder_type_info(&mut out, field);
    }
    out.push_str(", and then ending with the marker for `[[ ## completed ## ]]`.");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(v: Value) -> Values {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn only_message_ends_are_stripped() {
        let spec = SignatureSpec::parse("q -> a").unwrap();
        let demos = [
            values(json!({"q": "x  \n", "a": "y \n"})),
            values(json!({"a": "only"})),
        ];
        let messages = ChatAdapter.format(&spec, &demos, &values(json!({"q": "  z  "})));
        let contents: Vec<&str> = messages[1..].iter().map(|m| m.content.as_str()).collect();
        assert_eq!(
            contents,
            [
                "[[ ## q ## ]]\nx",
                "[[ ## a ## ]]\ny\n\n[[ ## completed ## ]]\n",
                "[[ ## q ## ]]\n  z  \n\nRespond with the corresponding output fields, starting with the field \
                 `[[ ## a ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`.",
            ]
        );
    }

    #[test]
    fn empty_signature_keeps_dspy_shape() {
        let spec = SignatureSpec::builder().instructions("").build().unwrap();
        let messages = ChatAdapter.format(&spec, &[Values::new()], &Values::new());
        assert_eq!(
            messages[0].content,
            "Your input fields are:\n\nYour output fields are:\n\nAll interactions will be structured in the \
             following way, with the appropriate values filled in.\n\n\n\n\n\n[[ ## completed ## ]]\nIn adhering to \
             this structure, your objective is: "
        );
        assert_eq!(messages[1].content, "");
        assert_eq!(messages[2].content, "\n\n[[ ## completed ## ]]\n");
        assert_eq!(
            messages[3].content,
            "Respond with the corresponding output fields, starting with the field , and then ending with the \
             marker for `[[ ## completed ## ]]`."
        );
    }
}
