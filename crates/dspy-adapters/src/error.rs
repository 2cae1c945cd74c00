//! Typed parse errors: which adapter, what went wrong, and the raw completion.

use std::fmt;

use crate::adapter::AdapterKind;

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
        /// Why conversion failed.
        reason: String,
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
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ParseErrorKind::FieldValue { field, value, reason } => match self.adapter {
                AdapterKind::Json => write!(f, "Failed to parse field {field}: {reason}\n\n")?,
                AdapterKind::Xml => write!(f, "Failed to parse field {field} with value {value}: {reason}\n\n")?,
                _ => write!(
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
            self.completion,
            self.expected.join(", ")
        )?;
        if let ParseErrorKind::MissingFields { parsed, .. } = &self.kind {
            write!(
                f,
                "Actual output fields parsed from the LM response: [{}] \n\n",
                parsed.join(", ")
            )?;
        }
        Ok(())
    }
}
