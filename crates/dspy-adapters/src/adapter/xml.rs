//! `XmlAdapter`.

use super::{Adapter, AdapterKind, Values};
use crate::{Message, ParseError, SignatureSpec};

/// DSPy's `XMLAdapter`.
#[derive(Debug, Clone, Copy, Default)]
pub struct XmlAdapter;

impl Adapter for XmlAdapter {
    fn kind(&self) -> AdapterKind {
        AdapterKind::Xml
    }

    fn format(&self, _spec: &SignatureSpec, _demos: &[Values], _inputs: &Values) -> Vec<Message> {
        Vec::new()
    }

    fn parse(&self, spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
        super::parse::parse_xml(spec, completion)
    }
}
