//! `JsonAdapter`.

use super::{Adapter, AdapterKind, Values};
use crate::{Message, ParseError, SignatureSpec};

/// DSPy's `JSONAdapter`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonAdapter;

impl Adapter for JsonAdapter {
    fn kind(&self) -> AdapterKind {
        AdapterKind::Json
    }

    fn format(&self, _spec: &SignatureSpec, _demos: &[Values], _inputs: &Values) -> Vec<Message> {
        Vec::new()
    }

    fn parse(&self, spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
        super::parse::parse_json(spec, completion)
    }
}
