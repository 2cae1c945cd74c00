//! `ChatAdapter`.

use super::{Adapter, AdapterKind, Values};
use crate::{Message, ParseError, SignatureSpec};

/// DSPy's `ChatAdapter`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChatAdapter;

impl Adapter for ChatAdapter {
    fn kind(&self) -> AdapterKind {
        AdapterKind::Chat
    }

    fn format(&self, _spec: &SignatureSpec, _demos: &[Values], _inputs: &Values) -> Vec<Message> {
        Vec::new()
    }

    fn parse(&self, spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
        super::parse::parse_chat(spec, completion)
    }
}
