//! Typed parse errors: which adapter, what went wrong, and the raw completion.

use std::fmt;
use std::sync::Arc;

use crate::adapter::AdapterKind;
use crate::FieldSpec;

/// An LM completion that could not be parsed into the signature's outputs.
///
/// Its `Display` text follows DSPy's `AdapterParseError`, so logs read the same in both.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ParseError {
    /// The adapter that failed.
    pub adapter: AdapterKind,
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// The raw completion text.
    pub completion: String,
    /// The signature's output field names, in order.
    pub expected: std::sync::Arc<[String]>,
}

/// What kind of parse failure happened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Some output fields were not found.
    MissingFields {
        /// Output fields that were absent.
        missing: Vec<String>,
        /// Output fields that were found.
        parsed: Vec<String>,
    },
    /// A field was found but its text could not be converted to the field's type.
    FieldValue {
        /// The field's name.
        field: String,
        /// The field's raw text.
        value: String,
        /// Why conversion failed. (A `Box<str>`, not a `String`, so that `ParseError` stays
        /// under clippy's `result_large_err` size with `field_spec` added.)
        reason: Box<str>,
        /// The output field, when DSPy's message describes it by more than its name:
        /// `XMLAdapter` prints pydantic's `str(FieldInfo)` of the field (its annotation,
        /// required or default, DSPy's `json_schema_extra` and constraints). `None` for the
        /// other adapters, whose messages name the field.
        field_spec: Option<Arc<FieldSpec>>,
    },
    /// The completion as a whole could not be read (no JSON object, invalid XML, empty).
    Malformed {
        /// What was wrong.
        reason: String,
    },
}

impl ParseError {
    /// Short machine-friendly name of the kind: `missing_fields`, `field_value` or `malformed`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ParseErrorKind::MissingFields { .. } => "missing_fields",
            ParseErrorKind::FieldValue { .. } => "field_value",
            ParseErrorKind::Malformed { .. } => "malformed",
        }
    }

    /// The field whose value failed to parse, if that is the failure.
    pub fn field(&self) -> Option<&str> {
        match &self.kind {
            ParseErrorKind::FieldValue { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The text DSPy's message quotes as `LM Response`: the completion, except that
    /// `JSONAdapter` quotes the first balanced `{...}` it fell back to when the whole completion
    /// is not a JSON object (DSPy's parse goes on with that text).
    ///
    /// ```
    /// use dspy_adapters::{Adapter, JsonAdapter, SignatureSpec};
    ///
    /// let spec = SignatureSpec::parse("question -> answer").unwrap();
    /// let err = JsonAdapter.parse(&spec, "[\"a\"] then {\"other\": 1}").unwrap_err();
    /// assert_eq!(err.completion, "[\"a\"] then {\"other\": 1}");
    /// assert_eq!(err.lm_response(), "{\"other\": 1}");
    /// ```
    pub fn lm_response(&self) -> &str {
        match self.adapter {
            AdapterKind::Json => self.json_object().0,
            _ => &self.completion,
        }
    }

    /// The output fields DSPy lists as "parsed" (`parsed_result`), when its message lists them:
    /// after missing fields, and after a `JSONAdapter` field error (the object's keys that are
    /// output fields, in the object's order).
    fn parsed_fields(&self) -> Option<Vec<String>> {
        match &self.kind {
            ParseErrorKind::MissingFields { parsed, .. } => Some(parsed.clone()),
            ParseErrorKind::FieldValue { .. } if self.adapter == AdapterKind::Json => {
                let (_, object) = self.json_object();
                let keys = object.map(|o| {
                    o.keys()
                        .filter(|k| self.expected.contains(k))
                        .cloned()
                        .collect()
                });
                Some(keys.unwrap_or_default())
            }
            _ => None,
        }
    }
}

/// DSPy's `str(AdapterParseError)`: the specific message (if any) and a blank line, then which
/// adapter failed, the LM response, the expected output fields and, when DSPy has a partial
/// result, the fields it parsed. Every part ends with DSPy's `" \n\n"`.
impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ParseErrorKind::FieldValue {
                field,
                value,
                reason,
                field_spec,
            } => match self.adapter {
                AdapterKind::Json => write!(f, "Failed to parse field {field}: {reason}\n\n")?,
                AdapterKind::Xml => {
                    let described = field_spec.as_ref().map(|spec| spec.pydantic_field_info());
                    write!(
                        f,
                        "Failed to parse field {} with value {value}: {reason}\n\n",
                        described.as_deref().unwrap_or(field)
                    )?
                }
                AdapterKind::Chat => write!(
                    f,
                    "Failed to parse field {field} with value {value} from the LM response. Error message: {reason}\n\n"
                )?,
            },
            ParseErrorKind::Malformed { reason } => write!(f, "{reason}\n\n")?,
            ParseErrorKind::MissingFields { .. } => {}
        }
        write!(
            f,
            "Adapter {} failed to parse the LM response. \n\nLM Response: {} \n\nExpected to find output fields in the LM response: [{}] \n\n",
            self.adapter.class_name(),
            self.lm_response(),
            self.expected.join(", ")
        )?;
        if let Some(parsed) = self.parsed_fields() {
            write!(
                f,
                "Actual output fields parsed from the LM response: [{}] \n\n",
                parsed.join(", ")
            )?;
        }
        Ok(())
    }
}
