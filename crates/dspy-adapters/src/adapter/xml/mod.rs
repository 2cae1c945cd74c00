//! `XmlAdapter`: fields as `<name>...</name>` elements; structured outputs as nested XML.
//!
//! Formatting lives in `format`; this module holds the adapter and its parsing.

mod format;

use super::{layout, Adapter, AdapterKind, Values};
use crate::{Message, ParseError, SignatureSpec};

/// DSPy's `XMLAdapter`.
#[derive(Debug, Clone, Copy, Default)]
pub struct XmlAdapter;

impl Adapter for XmlAdapter {
    fn kind(&self) -> AdapterKind {
        AdapterKind::Xml
    }

    fn format(&self, spec: &SignatureSpec, demos: &[Values], inputs: &Values) -> Vec<Message> {
        layout::format(self, spec, demos, inputs)
    }

    fn parse(&self, spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
        super::parse::parse_xml(spec, completion)
    }

    fn format_user_message_content(&self, spec: &SignatureSpec, inputs: &Values) -> String {
        super::layout::user_message_content(self, spec, inputs)
    }
}
