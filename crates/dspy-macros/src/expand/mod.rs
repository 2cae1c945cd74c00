//! Code generation, one file per derive. Reads the validated model only.

pub(crate) mod module;
pub(crate) mod signature;
pub(crate) mod tool;
