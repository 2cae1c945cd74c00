//! [`FunctionCalling`]: any adapter with native function calling turned on or off.

use super::{Adapter, AdapterKind, Values};
use crate::{Message, ParseError, SignatureSpec};

/// An adapter with native function calling set explicitly (DSPy's
/// `ChatAdapter(use_native_function_calling=True)` or
/// `JSONAdapter(use_native_function_calling=False)`); everything else is the wrapped adapter's.
///
/// ```
/// use dspy_adapters::{Adapter, ChatAdapter, FunctionCalling, JsonAdapter};
///
/// assert!(!ChatAdapter.native_function_calling());
/// assert!(FunctionCalling::native(ChatAdapter).native_function_calling());
/// assert!(JsonAdapter.native_function_calling());
/// assert!(!FunctionCalling::in_text(JsonAdapter).native_function_calling());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FunctionCalling<A> {
    adapter: A,
    native: bool,
}

impl<A: Adapter> FunctionCalling<A> {
    /// `adapter`, sending tools to the LM and reading its tool calls natively.
    pub fn native(adapter: A) -> Self {
        FunctionCalling {
            adapter,
            native: true,
        }
    }

    /// `adapter`, showing tools and reading tool calls as prompt fields.
    pub fn in_text(adapter: A) -> Self {
        FunctionCalling {
            adapter,
            native: false,
        }
    }

    /// The wrapped adapter.
    pub fn inner(&self) -> &A {
        &self.adapter
    }
}

impl<A: Adapter> Adapter for FunctionCalling<A> {
    fn kind(&self) -> AdapterKind {
        self.adapter.kind()
    }

    fn format(&self, spec: &SignatureSpec, demos: &[Values], inputs: &Values) -> Vec<Message> {
        self.adapter.format(spec, demos, inputs)
    }

    fn parse(&self, spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
        self.adapter.parse(spec, completion)
    }

    fn format_user_message_content(&self, spec: &SignatureSpec, inputs: &Values) -> String {
        self.adapter.format_user_message_content(spec, inputs)
    }

    fn native_function_calling(&self) -> bool {
        self.native
    }

    fn json_fallback(&self) -> bool {
        self.adapter.json_fallback()
    }

    fn structured_output(&self) -> bool {
        self.adapter.structured_output()
    }
}
