//! Automatic answers to DSPy prompts: placeholder values for every output field.
//!
//! Reads the output fields from a DSPy system message (the lines after `Your output fields are:`,
//! each `1. \`name\` (type): description`) and answers each with a deterministic value: the
//! first input field's value for `str`, `0` for `int`, `0.0` for `float`, `True` for `bool`,
//! `[]`/`{}` for containers and the first member of a `Literal`.

mod placeholder;
mod prompt;

use serde_json::{Map, Value};

use crate::completion;
use placeholder::Placeholder;

/// Answers a DSPy prompt, in DSPy's chat format or (when `json` is set) as a JSON object.
///
/// With no recognisable output fields, the answer is the echoed input (the whole last user
/// message when it has no `[[ ## field ## ]]` sections), so plain chats get an echo.
pub(crate) fn auto_answer(system: Option<&str>, user: Option<&str>, json: bool) -> String {
    let fields = system.map(prompt::output_fields).unwrap_or_default();
    let echo = user.map(prompt::first_input_value).unwrap_or("");
    if fields.is_empty() {
        return echo.to_string();
    }
    if json {
        let mut object = Map::new();
        for field in &fields {
            object.insert(
                field.name.to_string(),
                Placeholder::for_type(field.ty).json(echo),
            );
        }
        return Value::Object(object).to_string();
    }
    let mut out = String::with_capacity(64 + echo.len() * fields.len());
    for field in &fields {
        let value = Placeholder::for_type(field.ty).text(echo);
        completion::push_field(&mut out, field.name, &value);
    }
    completion::finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSTEM: &str = "Your input fields are:\n1. `question` (str): \nYour output fields are:\n1. `reasoning` (str): \n2. `answer` (int): The number.\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## reasoning ## ]]\n{reasoning}\n\n[[ ## answer ## ]]\n{answer}        # note: the value you produce must be a single int value\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `question`, produce the fields `answer`.";
    const USER: &str = "[[ ## question ## ]]\nWhat is 2 + 2?\n\nRespond with the corresponding output fields, starting with the field `[[ ## reasoning ## ]]`, then `[[ ## answer ## ]]` (must be formatted as a valid Python int), and then ending with the marker for `[[ ## completed ## ]]`.";

    #[test]
    fn chat_answer() {
        assert_eq!(
            auto_answer(Some(SYSTEM), Some(USER), false),
            "[[ ## reasoning ## ]]\nWhat is 2 + 2?\n\n[[ ## answer ## ]]\n0\n\n[[ ## completed ## ]]"
        );
    }

    #[test]
    fn json_answer() {
        assert_eq!(
            auto_answer(Some(SYSTEM), Some(USER), true),
            r#"{"reasoning":"What is 2 + 2?","answer":0}"#
        );
    }

    #[test]
    fn plain_chat_is_echoed() {
        assert_eq!(auto_answer(None, Some("hello"), false), "hello");
        assert_eq!(auto_answer(Some("Be nice."), Some("hi"), false), "hi");
        assert_eq!(auto_answer(None, None, false), "");
    }
}
