//! LM clients and layers, modules, `Evaluate`, optimizers and save/load.
//!
//! This crate builds on [`dspy_adapters`]; its parts arrive with the LM-layer, typed-programs
//! and optimizer work. For now it re-exports the adapter layer it builds on.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub use dspy_adapters as adapters;
