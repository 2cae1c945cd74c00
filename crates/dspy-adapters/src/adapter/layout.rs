//! What the three adapters share: the field list, the task description, demo ordering,
//! conversation-history turns and the overall system / demos / history / request assembly.
//!
//! Each adapter supplies only its own pieces through [`Style`]: its cached system message and
//! reminder, how one input field is written, and its assistant message. Everything else here
//! follows DSPy's `Adapter.format` and `ChatAdapter` helpers, including Python's text semantics
//! (`str.strip`, `str.splitlines`, `textwrap.dedent`), byte for byte.

use std::borrow::Cow;

use dspy_pytext::{splitlines, strip_in_place};
use serde_json::Value;

use super::Values;
use crate::render::{field_value, py_json, py_repr, schema_text};
use crate::signature::{pydantic_schema, FieldRole, FieldSpec, FieldType, SignatureSpec};
use crate::{tools, Message};

/// First line of every structure block.
pub(super) const STRUCTURE_INTRO: &str =
    "All interactions will be structured in the following way, with the appropriate values filled in.";

/// The user-message prefix of a demo that lacks some fields.
const INCOMPLETE_DEMO_PREFIX: &str =
    "This is an example of the task, though some input or output fields are not supplied.";

/// What an incomplete demo shows for an output it lacks (the trailing space is DSPy's).
const MISSING_IN_INCOMPLETE_DEMO: &str = "Not supplied for this particular example. ";

/// What a complete demo would show for a missing output (never happens: it is complete).
const MISSING_IN_COMPLETE_DEMO: &str = "Not supplied for this conversation history message. ";

/// `None`, for history turns that lack an output.
static NONE: Value = Value::Null;

/// What fills a field's slot in a message: a value, or literal text (a structure placeholder
/// or a "not supplied" note), which DSPy passes around as a plain Python `str`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Entry<'a> {
    /// A field value, rendered by DSPy's `format_field_value`.
    Value(&'a Value),
    /// Text written as is.
    Text(&'a str),
}

impl<'a> Entry<'a> {
    /// The value of `name` in `values`, or `missing` when it is absent.
    pub(super) fn of(values: &'a Values, name: &str, missing: Entry<'a>) -> Entry<'a> {
        lookup(values, name).map_or(missing, Entry::Value)
    }

    /// The entry as a JSON value, when it is one.
    pub(super) fn as_value(self) -> Option<&'a Value> {
        match self {
            Entry::Value(v) => Some(v),
            Entry::Text(_) => None,
        }
    }
}

/// The per-adapter pieces of a prompt.
pub(crate) trait Style {
    /// The system message, computed once per spec.
    fn system_message<'s>(&self, spec: &'s SignatureSpec) -> &'s str;

    /// The output-format reminder ending a request, computed once per spec.
    fn reminder<'s>(&self, spec: &'s SignatureSpec) -> &'s str;

    /// Appends one input field and its value, as user messages show it.
    fn write_input(&self, out: &mut String, field: &FieldSpec, value: &Value);

    /// The assistant message of a demo or history turn; outputs absent from `values` show
    /// `missing`.
    fn assistant_message(
        &self,
        spec: &SignatureSpec,
        values: &Values,
        missing: Entry<'_>,
    ) -> String;
}

/// DSPy's `Adapter.format`: the system message, demos (incomplete ones first), conversation
/// history turns, then the request itself.
pub(super) fn format(
    style: &impl Style,
    spec: &SignatureSpec,
    demos: &[Values],
    inputs: &Values,
) -> Vec<Message> {
    let demos = order_demos(spec, demos);
    let history_field = spec.history_field();
    let turns = history_field.map_or(&[][..], |field| history_turns(inputs, &field.name));
    let mut messages = Vec::with_capacity(2 + 2 * demos.len() + 2 * turns.len());
    messages.push(Message::system(style.system_message(spec)));

    for (demo, complete) in demos {
        let (prefix, missing) = if complete {
            ("", MISSING_IN_COMPLETE_DEMO)
        } else {
            (INCOMPLETE_DEMO_PREFIX, MISSING_IN_INCOMPLETE_DEMO)
        };
        messages.push(Message::user(user_message(
            style, spec, demo, prefix, None, false,
        )));
        messages.push(Message::assistant(style.assistant_message(
            spec,
            demo,
            Entry::Text(missing),
        )));
    }

    let skip = history_field.map(|f| f.name.as_str());
    for turn in turns {
        let Value::Object(turn) = turn else { continue };
        let main_request = spec
            .inputs()
            .iter()
            .any(|f| Some(f.name.as_str()) != skip && lookup(turn, &f.name).is_some());
        let user = user_message(style, spec, turn, "", skip, main_request);
        if !user.is_empty() {
            messages.push(Message::user(user));
        }
        let assistant = style.assistant_message(spec, turn, Entry::Value(&NONE));
        if !assistant.is_empty() {
            messages.push(Message::assistant(assistant));
        }
    }

    let request = user_message(style, spec, inputs, "", skip, true);
    if !request.is_empty() {
        messages.push(Message::user(request));
    }
    messages
}

/// The messages of a `dspy.History` input (`{"messages": [...]}`); none when it has another shape.
fn history_turns<'v>(inputs: &'v Values, name: &str) -> &'v [Value] {
    lookup(inputs, name)
        .and_then(|h| h.get("messages"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The demos DSPy keeps, incomplete ones first, each with whether it is complete.
///
/// A demo is complete when every field is present and not `null`; otherwise it is kept (as
/// incomplete) only when it has at least one input key and one output key.
pub(super) fn order_demos<'d>(
    spec: &SignatureSpec,
    demos: &'d [Values],
) -> Vec<(&'d Values, bool)> {
    let mut complete = Vec::new();
    let mut ordered = Vec::new();
    for demo in demos {
        let scan = |fields: &[FieldSpec]| {
            let (mut present, mut set) = (false, true);
            for field in fields {
                match lookup(demo, &field.name) {
                    Some(value) => {
                        present = true;
                        set &= !value.is_null();
                    }
                    None => set = false,
                }
            }
            (present, set)
        };
        let (has_input, inputs_set) = scan(spec.inputs());
        let (has_output, outputs_set) = scan(spec.outputs());
        if inputs_set && outputs_set {
            complete.push((demo, true));
        } else if has_input && has_output {
            ordered.push((demo, false));
        }
    }
    ordered.append(&mut complete);
    ordered
}

/// `values[name]`. Small maps are scanned, which beats hashing the key.
pub(super) fn lookup<'v>(values: &'v Values, name: &str) -> Option<&'v Value> {
    if values.len() <= 8 {
        values.iter().find_map(|(k, v)| (k == name).then_some(v))
    } else {
        values.get(name)
    }
}

/// DSPy's `format_user_message_content(signature, values)` with no prefix and no reminder.
pub(crate) fn user_message_content(
    style: &impl Style,
    spec: &SignatureSpec,
    values: &Values,
) -> String {
    user_message(style, spec, values, "", None, false)
}

/// DSPy's `format_user_message_content`: `prefix`, the input fields present in `values` (except
/// `skip`), and the reminder when this is a request, joined by blank lines and stripped.
fn user_message(
    style: &impl Style,
    spec: &SignatureSpec,
    values: &Values,
    prefix: &str,
    skip: Option<&str>,
    main_request: bool,
) -> String {
    let reminder = if main_request {
        style.reminder(spec)
    } else {
        ""
    };
    // Sized from the values without looking fields up; headers take about 16 bytes a field.
    let values_len: usize = values
        .values()
        .map(|v| v.as_str().map_or(32, str::len))
        .sum();
    let mut out = String::with_capacity(
        prefix.len() + reminder.len() + values_len + 32 * spec.inputs().len(),
    );
    out.push_str(prefix);
    for field in spec.inputs() {
        if Some(field.name.as_str()) == skip {
            continue;
        }
        if let Some(value) = lookup(values, &field.name) {
            push_separator(&mut out);
            style.write_input(&mut out, field, value);
        }
    }
    if main_request {
        push_separator(&mut out);
        out.push_str(reminder);
    }
    strip_in_place(&mut out);
    out
}

/// Appends the blank line that separates message parts, unless nothing is written yet (the
/// final strip would remove it anyway).
pub(super) fn push_separator(out: &mut String) {
    if !out.is_empty() {
        out.push_str("\n\n");
    }
}

/// The system message: field list, structure block and task description, one newline apart.
pub(super) fn system_message(spec: &SignatureSpec, structure: &str) -> String {
    let task = task_description(spec.instructions());
    let mut out = String::with_capacity(256 + structure.len() + task.len());
    write_field_descriptions(&mut out, spec);
    out.push('\n');
    out.push_str(structure);
    out.push('\n');
    out.push_str(&task);
    out
}

/// `Your input fields are: ...` / `Your output fields are: ...` with DSPy's numbered lists.
fn write_field_descriptions(out: &mut String, spec: &SignatureSpec) {
    out.push_str("Your input fields are:\n");
    out.push_str(&field_list(spec.inputs()));
    out.push_str("\nYour output fields are:\n");
    out.push_str(&field_list(spec.outputs()));
}

/// DSPy's `get_field_description_string`: ``1. `name` (type): desc`` per field, each followed by
/// a `Constraints:` line when the field has constraints, joined by newlines and stripped.
pub fn field_list(fields: &[FieldSpec]) -> String {
    let mut out = String::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&(i + 1).to_string());
        out.push_str(". `");
        out.push_str(&field.name);
        out.push_str("` (");
        out.push_str(&field.ty.dspy_name());
        out.push_str("): ");
        out.push_str(field.desc.as_deref().unwrap_or(""));
        if field.ty.contains(&FieldType::ToolCalls) {
            out.push_str("\n    Type description of ToolCalls: ");
            out.push_str(tools::TOOL_CALLS_DESCRIPTION);
        }
        if let Some(constraints) = field.constraints.as_deref().filter(|c| !c.is_empty()) {
            out.push_str("\nConstraints: ");
            out.push_str(constraints);
        }
    }
    strip_in_place(&mut out);
    out
}

/// DSPy's `format_task_description`: the instructions dedented, split into lines, each line on
/// its own line indented by 8 spaces.
pub(super) fn task_description(instructions: &str) -> String {
    const HEAD: &str = "In adhering to this structure, your objective is: ";
    let instructions = dspy_pytext::dedent(instructions);
    let mut out = String::with_capacity(HEAD.len() + instructions.len() + 64);
    out.push_str(HEAD);
    for line in splitlines(&instructions) {
        out.push_str("\n        ");
        out.push_str(line);
    }
    out
}

/// Joins `parts` with blank lines and strips the result (Python's `"\n\n".join(parts).strip()`).
pub(super) fn join_blocks<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(part);
    }
    strip_in_place(&mut out);
    out
}

/// Appends a field value as DSPy's `format_field_value` writes it for a field of type `ty`.
pub(super) fn write_value(out: &mut String, ty: &FieldType, entry: Entry<'_>) {
    let shown;
    let entry = match entry {
        Entry::Value(v) => {
            shown = presented(ty, v);
            Entry::Value(&shown)
        }
        text => text,
    };
    match entry {
        Entry::Text(text) => out.push_str(text),
        Entry::Value(Value::String(s)) => out.push_str(s),
        Entry::Value(v @ Value::Array(_)) if *ty == FieldType::Str => {
            out.push_str(&field_value::format_field_value(ty, v));
        }
        Entry::Value(v @ (Value::Array(_) | Value::Object(_))) => {
            py_json::write_value(out, v, None, 0)
        }
        Entry::Value(v) => out.push_str(&py_repr::py_str(v)),
    }
}

/// A value as prompts show it: a tool (or list of tools) as DSPy's `str(tool)`, tool calls
/// without their ids; every other value as it is.
pub(super) fn presented<'v>(ty: &FieldType, value: &'v Value) -> Cow<'v, Value> {
    match (ty, value) {
        (FieldType::Tool, _) => Cow::Owned(tools::present_tool(value)),
        (FieldType::List(item), Value::Array(items)) if **item == FieldType::Tool => Cow::Owned(
            Value::Array(items.iter().map(tools::present_tool).collect()),
        ),
        (FieldType::ToolCalls, _) => Cow::Owned(tools::present_tool_calls(value)),
        _ => Cow::Borrowed(value),
    }
}

/// DSPy's `translate_field_type`: the `{name}` placeholder of the structure block, followed for
/// output fields by a note on the expected type.
pub(super) fn placeholder(field: &FieldSpec, role: FieldRole) -> String {
    let mut out = String::with_capacity(field.name.len() + 2);
    out.push('{');
    out.push_str(&field.name);
    out.push('}');
    if role == FieldRole::Output {
        if let Some(note) = type_note(field) {
            out.push_str("        # note: the value you produce ");
            out.push_str(&note);
        }
    }
    out
}

/// What the structure block says an output of this type must be; `None` for `str`.
fn type_note(field: &FieldSpec) -> Option<String> {
    let note = match &field.ty {
        FieldType::Str => return None,
        FieldType::Bool => "must be True or False".to_string(),
        FieldType::Int => "must be a single int value".to_string(),
        FieldType::Float => "must be a single float value".to_string(),
        FieldType::Enum(def) => {
            let values: Vec<String> = def
                .members
                .iter()
                .map(|m| py_repr::py_str(&m.value))
                .collect();
            format!("must be one of: {}", values.join("; "))
        }
        FieldType::Literal(members) => {
            let values: Vec<String> = members.iter().map(|m| m.py_str()).collect();
            format!(
                "must exactly match (no extra characters) one of: {}",
                values.join("; ")
            )
        }
        _ => format!(
            "must adhere to the JSON schema: {}",
            schema_text::schema_text(&field_schema(field))
        ),
    };
    Some(note)
}

/// The text after `(must be formatted as a valid Python ...)` in reminders; empty for `str`.
pub(super) fn reminder_type_info(out: &mut String, field: &FieldSpec) {
    if field.ty == FieldType::ToolCalls {
        out.push_str(tools::TOOL_CALLS_REMINDER);
    } else if field.ty != FieldType::Str {
        out.push_str(" (must be formatted as a valid Python ");
        out.push_str(&field.ty.dspy_name());
        out.push(')');
    }
}

/// The field's pydantic JSON Schema: the one it carries, else the one pydantic would
/// generate for its type.
pub(super) fn field_schema(field: &FieldSpec) -> Cow<'_, Value> {
    match &field.schema {
        Some(schema) => Cow::Borrowed(schema),
        None => Cow::Owned(pydantic_schema(&field.ty)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn task_description_indents_every_line() {
        assert_eq!(
            task_description("  One.\n\n    Two.\r\nThree\u{2028}"),
            "In adhering to this structure, your objective is: \n          One.\n        \n            Two.\n        Three"
        );
        assert_eq!(
            task_description("  One.\n \n    Two.\r\n  Three\u{2028}"),
            "In adhering to this structure, your objective is: \n        One.\n        \n          Two.\n        Three"
        );
        assert_eq!(
            task_description(""),
            "In adhering to this structure, your objective is: "
        );
    }

    #[test]
    fn demos_incomplete_first() {
        let spec = SignatureSpec::parse("q -> a").unwrap();
        let demo = |v: Value| v.as_object().cloned().unwrap();
        let demos = [
            demo(json!({"q": "1", "a": "x"})),
            demo(json!({"q": "2", "a": null})),
            demo(json!({"q": "3"})),
            demo(json!({"a": "4"})),
            demo(json!({"a": "5", "q": "5", "extra": 1})),
            demo(json!({"q": "6", "zz": "y", "a": "6"})),
        ];
        let got: Vec<(&str, bool)> = order_demos(&spec, &demos)
            .into_iter()
            .map(|(d, complete)| (d["q"].as_str().unwrap(), complete))
            .collect();
        assert_eq!(got, [("2", false), ("1", true), ("5", true), ("6", true)]);
    }

    #[test]
    fn field_list_strips_and_numbers() {
        let spec = SignatureSpec::parse("a, b: int -> c").unwrap();
        assert_eq!(field_list(spec.inputs()), "1. `a` (str): \n2. `b` (int):");
        assert_eq!(field_list(&[]), "");
    }
}
