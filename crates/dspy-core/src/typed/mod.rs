//! Typed predictors: [`Predict<S>`](Predict) and [`ChainOfThought<S>`](ChainOfThought) take a
//! signature's input struct and return its output struct.
//!
//! They run on the dynamic path ([`crate::predict::Predict`] over a
//! [`SignatureSpec`](dspy_adapters::SignatureSpec) and [`Values`](dspy_adapters::Values)) and
//! dereference to the dynamic predictor they wrap, so demos, instructions, LM, adapter and
//! settings are read and changed the same way, and optimizers and save/load see them through
//! [`Module::named_predictors`](crate::module::Module::named_predictors) with DSPy's names.
//!
//! A completion whose field does not parse as the field's type is an [`Error::Parse`] naming
//! the field; parsed values that do not fit the output struct are an [`Error::Values`] naming
//! the field too.
//!
//! [`Error::Parse`]: crate::Error::Parse
//! [`Error::Values`]: crate::Error::Values

mod chain_of_thought;
mod predict;

pub use chain_of_thought::{ChainOfThought, WithReasoning};
pub use predict::Predict;
