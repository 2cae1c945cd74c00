//! `JsonAdapter`.

use super::{Adapter, AdapterKind, Values};
use crate::{Message, ParseError, ParseErrorKind, SignatureSpec};

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
        Err(ParseError {
            adapter: AdapterKind::Json,
            kind: ParseErrorKind::Malformed {
                reason: "not implemented yet".to_string(),
            },
            completion: completion.to_string(),
            expected: spec.outputs().iter().map(|f| f.name.clone()).collect(),
        })
    }
}
