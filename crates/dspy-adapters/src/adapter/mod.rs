//! The three text adapters: [`ChatAdapter`], [`JsonAdapter`] and [`XmlAdapter`].
//!
//! An adapter turns a signature, demos and inputs into chat messages ([`Adapter::format`]) and
//! an LM completion back into output values ([`Adapter::parse`]), exactly as Python DSPy does.

mod chat;
mod json;
mod layout;
mod parse;
mod xml;

use std::fmt;

use serde_json::{Map, Value};

pub use chat::ChatAdapter;
pub use json::JsonAdapter;
pub use xml::XmlAdapter;

use crate::{Message, ParseError, SignatureSpec};

/// Field values keyed by field name, in order (inputs, demos, parsed outputs).
pub type Values = Map<String, Value>;

/// Formats prompts for, and parses completions of, one signature.
///
/// Implementations are pure and synchronous: no IO, no async.
pub trait Adapter: Send + Sync + fmt::Debug {
    /// Which adapter this is.
    fn kind(&self) -> AdapterKind;

    /// Builds the messages for a call: system prompt, demos, history turns, then the request.
    fn format(&self, spec: &SignatureSpec, demos: &[Values], inputs: &Values) -> Vec<Message>;

    /// Reads the output fields out of a completion, converting each to its field's type.
    fn parse(&self, spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError>;
}

/// The adapters this crate provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AdapterKind {
    /// `[[ ## field ## ]]` sections ([`ChatAdapter`]).
    #[default]
    Chat,
    /// A JSON object ([`JsonAdapter`]).
    Json,
    /// `<field>...</field>` elements ([`XmlAdapter`]).
    Xml,
}

impl AdapterKind {
    /// DSPy's class name: `ChatAdapter`, `JSONAdapter` or `XMLAdapter`.
    pub fn class_name(self) -> &'static str {
        match self {
            AdapterKind::Chat => "ChatAdapter",
            AdapterKind::Json => "JSONAdapter",
            AdapterKind::Xml => "XMLAdapter",
        }
    }

    /// The adapter itself.
    pub fn adapter(self) -> &'static dyn Adapter {
        match self {
            AdapterKind::Chat => &ChatAdapter,
            AdapterKind::Json => &JsonAdapter,
            AdapterKind::Xml => &XmlAdapter,
        }
    }
}

impl fmt::Display for AdapterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.class_name())
    }
}
