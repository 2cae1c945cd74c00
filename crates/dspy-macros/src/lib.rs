//! Derive macros for DSPy in Rust: `#[derive(Signature)]` and `#[module]` (arriving with the
//! typed-programs work). The crate depends on `syn`, `quote` and `proc-macro2` only.

#![forbid(unsafe_code)]
