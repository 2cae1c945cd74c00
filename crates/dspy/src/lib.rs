//! DSPy for Rust: programming, not prompting, language models.
//!
//! This facade is what users depend on. It re-exports the adapter layer ([`adapters`]) and the
//! runtime ([`core`]); [`prelude`] holds the names every program uses.
//!
//! ```
//! use dspy::prelude::*;
//!
//! let spec = SignatureSpec::parse("question -> answer: int").unwrap();
//! assert_eq!(spec.outputs()[0].ty, FieldType::Int);
//! assert_eq!(spec.outputs()[0].prefix, "Answer:");
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

#[doc(inline)]
pub use dspy_adapters as adapters;
#[doc(inline)]
pub use dspy_core as core;

/// The traits and types every program names.
pub mod prelude {
    pub use dspy_adapters::{
        Adapter, AdapterKind, ChatAdapter, FieldSpec, FieldType, JsonAdapter, Message, ParseError,
        SignatureSpec, Values, XmlAdapter,
    };
}
