//! LM clients and layers, modules, `Evaluate`, optimizers and save/load.
//!
//! - [`lm`]: the [`LanguageModel`](lm::LanguageModel) interface every client and layer implements.
//! - [`signature`]: the [`Signature`](signature::Signature) trait of typed signatures.
//!
//! This crate builds on [`dspy_adapters`] (re-exported as [`adapters`]).

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub use dspy_adapters as adapters;
pub mod lm;
pub mod signature;

#[doc(hidden)]
pub use signature::__private;
