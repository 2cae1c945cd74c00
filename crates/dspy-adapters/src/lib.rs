//! Signature specs and DSPy's Chat/JSON/XML adapters: prompt formatting and completion
//! parsing that match Python DSPy 3.4.1 byte for byte. Pure and synchronous.
//!
//! The data path is: [`SignatureSpec`] → [`Adapter::format`] → messages → (an LM, elsewhere) →
//! completion text → [`Adapter::parse`] → output values.
//!
//! ```
//! use dspy_adapters::{Adapter, ChatAdapter, SignatureSpec, Values};
//! use serde_json::json;
//!
//! let spec = SignatureSpec::parse("question -> answer").unwrap();
//! let mut inputs = Values::new();
//! inputs.insert("question".into(), json!("What is 2 + 2?"));
//! let messages = ChatAdapter.format(&spec, &[], &inputs);
//! assert_eq!(messages.len(), 2);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub mod adapter;
mod error;
mod message;
pub mod render;
pub mod signature;
pub mod tools;
pub mod value;

#[doc(inline)]
pub use adapter::{
    Adapter, AdapterKind, ChatAdapter, FunctionCalling, IntoAdapter, JsonAdapter, SharedAdapter,
    Values, XmlAdapter,
};
#[doc(inline)]
pub use error::{ParseError, ParseErrorKind};
#[doc(inline)]
pub use message::{Message, Role};
#[doc(inline)]
pub use signature::{FieldRole, FieldSpec, FieldType, SignatureSpec};
pub use tools::ToolCalls;
