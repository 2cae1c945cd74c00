//! `JSONAdapter.parse`: one JSON object whose keys are the output fields.
//!
//! The completion is read with JSON repair; if that is not an object, the first balanced
//! `{...}` in the text is (DSPy's recursive regex `\{(?:[^{}]|(?R))*\}`), and if that is not an
//! object either, the completion is malformed. Keys that are not output fields are ignored;
//! each value goes through `parse_value` (a non-string value for a `str` field becomes its
//! Python `str()`).

use std::ops::Range;

use serde_json::{Map, Value};

use super::{error, finish};
use crate::adapter::{AdapterKind, Values};
use crate::render::py_repr::py_str;
use crate::value::{json_repair, parse_json_value};
use crate::{ParseError, ParseErrorKind, SignatureSpec};

/// Parses a `JSONAdapter` completion into `spec`'s outputs.
pub(crate) fn parse_json(spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
    // Errors keep the whole completion; their message quotes the text DSPy went on with
    // (`ParseError::lm_response`).
    let (_, fields) = read_object(completion);
    let Some(fields) = fields else {
        return Err(error(
            AdapterKind::Json,
            spec,
            completion,
            ParseErrorKind::Malformed {
                reason: "LM response cannot be serialized to a JSON object.".to_string(),
            },
        ));
    };
    let outputs = spec.outputs();
    let mut found: Vec<Option<Value>> = vec![None; outputs.len()];
    for (key, value) in &fields {
        let Some(index) = outputs.iter().position(|f| &f.name == key) else {
            continue;
        };
        match parse_json_value(value, &outputs[index].ty) {
            Ok(v) => found[index] = Some(v),
            Err(e) => {
                return Err(error(
                    AdapterKind::Json,
                    spec,
                    completion,
                    ParseErrorKind::FieldValue {
                        field: key.clone(),
                        value: py_str(value),
                        reason: e.to_string().into(),
                        field_spec: None,
                    },
                ))
            }
        }
    }
    finish(AdapterKind::Json, spec, completion, found)
}

/// What DSPy's `JSONAdapter.parse` reads: the completion repaired as JSON; when that is not an
/// object and the text holds a balanced `{...}`, DSPy goes on with that text instead (and
/// quotes it in its errors). Returns the text it went on with and the object, if it is one.
fn read_object(completion: &str) -> (&str, Option<Map<String, Value>>) {
    let mut text = completion;
    let mut fields = json_repair::loads(completion);
    if !fields.is_object() {
        if let Some(range) = first_balanced_braces(completion) {
            text = &completion[range];
            fields = json_repair::loads(text);
        }
    }
    match fields {
        Value::Object(fields) => (text, Some(fields)),
        _ => (text, None),
    }
}

impl ParseError {
    /// [`read_object`] of this error's completion: the text DSPy's `JSONAdapter` quotes as the
    /// LM response, and the object it read from it.
    pub(crate) fn json_object(&self) -> (&str, Option<Map<String, Value>>) {
        read_object(&self.completion)
    }
}

/// The first match of the recursive regex `\{(?:[^{}]|(?R))*\}`: the `{` that is closed
/// earliest in start order, with its matching `}`. One pass with a stack of open braces.
fn first_balanced_braces(text: &str) -> Option<Range<usize>> {
    let mut open = Vec::new();
    let mut best: Option<Range<usize>> = None;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'{' => open.push(i),
            b'}' => {
                if let Some(start) = open.pop() {
                    if best.as_ref().is_none_or(|r| start < r.start) {
                        best = Some(start..i + 1);
                    }
                }
            }
            _ => {}
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::first_balanced_braces;
    use crate::{Adapter, JsonAdapter, SignatureSpec};

    /// `str(AdapterParseError)` from DSPy 3.4.1's `JSONAdapter().parse(signature, completion)`.
    #[test]
    fn error_messages_as_dspy_words_them() {
        let int_error = "Failed to parse field answer: 1 validation error for int\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='x', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.14/v/int_parsing\n\n";
        let cases = [
            (
                "question -> answer",
                "The answer {is} here",
                "LM response cannot be serialized to a JSON object.\n\nAdapter JSONAdapter failed to parse the LM response. \n\nLM Response: {is} \n\nExpected to find output fields in the LM response: [answer] \n\n".to_string(),
            ),
            (
                "question -> answer",
                "Sure: [\"Paris\"] {oops",
                "LM response cannot be serialized to a JSON object.\n\nAdapter JSONAdapter failed to parse the LM response. \n\nLM Response: Sure: [\"Paris\"] {oops \n\nExpected to find output fields in the LM response: [answer] \n\n".to_string(),
            ),
            (
                "question -> answer",
                "[\"a\"] then {\"other\": 1}",
                "Adapter JSONAdapter failed to parse the LM response. \n\nLM Response: {\"other\": 1} \n\nExpected to find output fields in the LM response: [answer] \n\nActual output fields parsed from the LM response: [] \n\n".to_string(),
            ),
            (
                "question -> answer: int, note",
                "{\"note\": \"n\", \"zz\": 1, \"answer\": \"x\"}",
                format!("{int_error}Adapter JSONAdapter failed to parse the LM response. \n\nLM Response: {{\"note\": \"n\", \"zz\": 1, \"answer\": \"x\"}} \n\nExpected to find output fields in the LM response: [answer, note] \n\nActual output fields parsed from the LM response: [note, answer] \n\n"),
            ),
            (
                "question -> answer: int, note",
                "[0] {\"note\": \"n\", \"answer\": \"x\"} tail",
                format!("{int_error}Adapter JSONAdapter failed to parse the LM response. \n\nLM Response: {{\"note\": \"n\", \"answer\": \"x\"}} \n\nExpected to find output fields in the LM response: [answer, note] \n\nActual output fields parsed from the LM response: [note, answer] \n\n"),
            ),
        ];
        for (signature, completion, want) in cases {
            let spec = SignatureSpec::parse(signature).unwrap();
            let err = JsonAdapter.parse(&spec, completion).unwrap_err();
            assert_eq!(err.to_string(), want, "{completion:?}");
            assert_eq!(err.completion, completion);
        }
    }

    fn first(text: &str) -> Option<&str> {
        first_balanced_braces(text).map(|r| &text[r])
    }

    #[test]
    fn balanced_braces_like_the_regex() {
        assert_eq!(first("x {a} {b}"), Some("{a}"));
        assert_eq!(first("{ {inner} "), Some("{inner}"));
        assert_eq!(first("{a {b} c} d"), Some("{a {b} c}"));
        assert_eq!(first("} {x}"), Some("{x}"));
        assert_eq!(first("{{{"), None);
        assert_eq!(first("{é}"), Some("{é}"));
        assert_eq!(first("no braces"), None);
    }
}
