//! The three text adapters: [`ChatAdapter`], [`JsonAdapter`] and [`XmlAdapter`].
//!
//! An adapter turns a signature, demos and inputs into chat messages ([`Adapter::format`]) and
//! an LM completion back into output values ([`Adapter::parse`]), exactly as Python DSPy does.
//! Predictors hold any adapter as a [`SharedAdapter`]; anything that converts with
//! [`IntoAdapter`] (an [`AdapterKind`], one of the adapter types, an adapter of your own) can
//! be given where one is expected.

mod chat;
mod function_calling;
mod json;
mod layout;
mod parse;
mod xml;

pub use layout::field_list as field_description_string;

use std::fmt;
use std::sync::{Arc, LazyLock};

use serde_json::{Map, Value};

pub use chat::ChatAdapter;
pub use function_calling::FunctionCalling;
pub use json::JsonAdapter;
pub use xml::XmlAdapter;

use crate::{Message, ParseError, SignatureSpec};

/// Field values keyed by field name, in order (inputs, demos, parsed outputs).
pub type Values = Map<String, Value>;

/// Formats prompts for, and parses completions of, one signature.
///
/// Implementations are pure and synchronous: no IO, no async. Write one of your own by
/// implementing `format` and `parse`; `kind` names the built-in adapter it behaves like, which
/// decides DSPy's JSON fallback and structured outputs (override those two to choose):
///
/// ```
/// use dspy_adapters::{Adapter, AdapterKind, ChatAdapter, IntoAdapter, Message, ParseError};
/// use dspy_adapters::{SignatureSpec, Values};
///
/// /// Chat's parsing, with every system prompt in capitals.
/// #[derive(Debug)]
/// struct Shouting;
///
/// impl Adapter for Shouting {
///     fn kind(&self) -> AdapterKind {
///         AdapterKind::Chat
///     }
///     fn format(&self, spec: &SignatureSpec, demos: &[Values], inputs: &Values) -> Vec<Message> {
///         let mut messages = ChatAdapter.format(spec, demos, inputs);
///         messages[0].content = messages[0].content.to_uppercase();
///         messages
///     }
///     fn parse(&self, spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
///         ChatAdapter.parse(spec, completion)
///     }
/// }
///
/// let spec = SignatureSpec::parse("question -> answer").unwrap();
/// let adapter = Shouting.into_adapter();
/// let inputs = Values::from_iter([("question".to_string(), "Why?".into())]);
/// assert!(adapter.format(&spec, &[], &inputs)[0].content.starts_with("YOUR INPUT FIELDS ARE:"));
/// assert!(adapter.json_fallback());
/// ```
pub trait Adapter: Send + Sync + fmt::Debug {
    /// The built-in adapter this one is, or behaves like (a custom adapter names the closest:
    /// it decides the defaults of [`json_fallback`](Adapter::json_fallback) and
    /// [`structured_output`](Adapter::structured_output), and errors report it).
    fn kind(&self) -> AdapterKind;

    /// Builds the messages for a call: system prompt, demos, history turns, then the request.
    fn format(&self, spec: &SignatureSpec, demos: &[Values], inputs: &Values) -> Vec<Message>;

    /// Reads the output fields out of a completion, converting each to its field's type.
    fn parse(&self, spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError>;

    /// The input fields of `spec` present in `inputs`, as a user message shows them, without
    /// the output reminder (DSPy's `format_user_message_content`). `ReAct` formats its
    /// trajectory with it. Default: the Chat adapter's `[[ ## name ## ]]` sections.
    ///
    /// ```
    /// use dspy_adapters::{Adapter, ChatAdapter, SignatureSpec, Values};
    /// let spec = SignatureSpec::parse("thought_0, observation_0 -> x").unwrap();
    /// let inputs = Values::from_iter([
    ///     ("thought_0".to_string(), "Look it up.".into()),
    ///     ("observation_0".to_string(), serde_json::json!(["a", "b"])),
    /// ]);
    /// assert_eq!(
    ///     ChatAdapter.format_user_message_content(&spec, &inputs),
    ///     "[[ ## thought_0 ## ]]\nLook it up.\n\n[[ ## observation_0 ## ]]\n[1] «a»\n[2] «b»"
    /// );
    /// ```
    fn format_user_message_content(&self, spec: &SignatureSpec, inputs: &Values) -> String {
        layout::user_message_content(&ChatAdapter, spec, inputs)
    }

    /// Whether the adapter uses the LM's native function calling (DSPy's
    /// `use_native_function_calling`): for a signature with a `list[dspy.Tool]` (or `dspy.Tool`)
    /// input and a `dspy.ToolCalls` output, the tools go to the LM as `tools` and its tool calls
    /// fill the output, both fields leaving the prompt. Default: the JSON kind only, as in DSPy;
    /// [`FunctionCalling`] turns it on or off for any adapter.
    fn native_function_calling(&self) -> bool {
        self.kind() == AdapterKind::Json
    }

    /// Whether a completion this adapter cannot parse is retried with the JSON adapter
    /// (DSPy's fallback of `ChatAdapter` and `XMLAdapter`). Default: every kind but JSON.
    fn json_fallback(&self) -> bool {
        self.kind() != AdapterKind::Json
    }

    /// Whether the predictor asks the LM for structured output (`response_format`) with this
    /// adapter, as DSPy's `JSONAdapter` does. Default: the JSON kind only.
    fn structured_output(&self) -> bool {
        self.kind() == AdapterKind::Json
    }
}

/// An adapter a predictor or the settings hold: a built-in one or any of your own.
pub type SharedAdapter = Arc<dyn Adapter>;

/// Converts into a [`SharedAdapter`]: an [`AdapterKind`], a [`SharedAdapter`], or any value
/// of a type implementing [`Adapter`].
///
/// ```
/// use dspy_adapters::{AdapterKind, IntoAdapter, XmlAdapter};
/// assert_eq!(AdapterKind::Json.into_adapter().kind(), AdapterKind::Json);
/// assert_eq!(XmlAdapter.into_adapter().kind(), AdapterKind::Xml);
/// ```
pub trait IntoAdapter {
    /// The shared adapter.
    fn into_adapter(self) -> SharedAdapter;
}

impl<A: Adapter + 'static> IntoAdapter for A {
    fn into_adapter(self) -> SharedAdapter {
        Arc::new(self)
    }
}

impl IntoAdapter for SharedAdapter {
    fn into_adapter(self) -> SharedAdapter {
        self
    }
}

impl IntoAdapter for AdapterKind {
    /// The built-in adapter, shared (no allocation).
    fn into_adapter(self) -> SharedAdapter {
        static CHAT: LazyLock<SharedAdapter> = LazyLock::new(|| Arc::new(ChatAdapter));
        static JSON: LazyLock<SharedAdapter> = LazyLock::new(|| Arc::new(JsonAdapter));
        static XML: LazyLock<SharedAdapter> = LazyLock::new(|| Arc::new(XmlAdapter));
        match self {
            AdapterKind::Chat => Arc::clone(&CHAT),
            AdapterKind::Json => Arc::clone(&JSON),
            AdapterKind::Xml => Arc::clone(&XML),
        }
    }
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
