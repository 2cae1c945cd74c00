//! Converting completion text into typed JSON values the way DSPy does (`parse_value`):
//! JSON repair, Python literals, and pydantic's lax validation per field type.
//!
//! * [`parse_value`] / [`parse_json_value`]: DSPy's `parse_value` for a field's text or for a
//!   JSON value read by the JSON and XML adapters.
//! * [`validate`]: pydantic v2's lax-mode validation of a JSON value against a [`FieldType`].
//! * [`json_repair::loads`]: the JSON repair DSPy relies on.
//!
//! [`FieldType`]: crate::FieldType

pub mod json_repair;
mod parse_value;
mod py_literal;
mod validate;
mod validation_error;

pub use parse_value::{parse_json_value, parse_value, ValueError};
pub use validate::validate;
pub use validation_error::{LineError, LocItem, ValidationError};

pub(crate) use validate::union_members;
