//! LM clients and layers, modules, `Evaluate`, optimizers and save/load.
//!
//! - [`lm`]: the [`LanguageModel`](lm::LanguageModel) interface every client and layer implements.
//! - [`layer`]: middleware around any LM (cache, retry, limits, timeout, usage, history,
//!   tracing) and [`LmBuilder`], which stacks them.
//!
//! This crate builds on [`dspy_adapters`] (re-exported as [`adapters`]).

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub use dspy_adapters as adapters;
pub mod layer;
pub mod lm;

#[doc(inline)]
pub use layer::LmBuilder;
