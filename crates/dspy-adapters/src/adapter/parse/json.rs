//! `JSONAdapter.parse`: one JSON object whose keys are the output fields.
//!
//! The completion is read with JSON repair; if that is not an object, the first balanced
//! `{...}` in the text is (DSPy's recursive regex `\{(?:[^{}]|(?R))*\}`), and if that is not an
//! object either, the completion is malformed. Keys that are not output fields are ignored;
//! each value goes through `parse_value` (a non-string value for a `str` field becomes its
//! Python `str()`).

use std::ops::Range;

use serde_json::Value;

use super::{error, finish};
use crate::adapter::{AdapterKind, Values};
use crate::render::py_repr::py_str;
use crate::value::{json_repair, parse_json_value};
use crate::{ParseError, ParseErrorKind, SignatureSpec};

/// Parses a `JSONAdapter` completion into `spec`'s outputs.
pub(crate) fn parse_json(spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
    // DSPy reports the `{...}` text it fell back to as the response; our errors keep the whole
    // completion, so nothing the LM said is lost.
    let text = completion;
    let mut fields = json_repair::loads(completion);
    if !fields.is_object() {
        if let Some(range) = first_balanced_braces(completion) {
            fields = json_repair::loads(&completion[range]);
        }
    }
    let Value::Object(fields) = fields else {
        return Err(error(
            AdapterKind::Json,
            spec,
            text,
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
                    text,
                    ParseErrorKind::FieldValue {
                        field: key.clone(),
                        value: py_str(value),
                        reason: e.to_string(),
                    },
                ))
            }
        }
    }
    finish(AdapterKind::Json, spec, text, found)
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
