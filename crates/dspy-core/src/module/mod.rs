//! The [`Module`] trait every program implements, and [`ModuleExt`]: batches, save/load and
//! predictor look-ups for any module.
//!
//! A module runs LM calls in [`forward`](Module::forward) and lists its predictors with DSPy's
//! dotted names, so optimizers can change their demos and instructions and
//! [`save`](ModuleExt::save) can write them.
//!
//! ```
//! use dspy_core::adapters::Values;
//! use dspy_core::example::Prediction;
//! use dspy_core::lm::BoxFuture;
//! use dspy_core::module::{naming, Module};
//! use dspy_core::predict::{ChainOfThought, Predict};
//! use dspy_core::Error;
//!
//! /// Rewrites a question, then answers it with reasoning.
//! #[derive(Debug)]
//! struct RewriteThenAnswer {
//!     rewrite: Predict,
//!     generate_answer: ChainOfThought,
//! }
//!
//! impl Module for RewriteThenAnswer {
//!     fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
//!         Box::pin(async move {
//!             let rewritten = self.rewrite.forward(inputs).await?;
//!             let mut next = Values::new();
//!             next.insert("question".into(), rewritten.get("better_question").cloned().unwrap_or_default());
//!             self.generate_answer.forward(next).await
//!         })
//!     }
//!
//!     fn named_predictors(&self) -> Vec<(String, &Predict)> {
//!         let mut out = naming::nest("rewrite", self.rewrite.named_predictors());
//!         out.extend(naming::nest("generate_answer", self.generate_answer.named_predictors()));
//!         out
//!     }
//!
//!     fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
//!         let mut out = naming::nest("rewrite", self.rewrite.named_predictors_mut());
//!         out.extend(naming::nest("generate_answer", self.generate_answer.named_predictors_mut()));
//!         out
//!     }
//! }
//!
//! let program = RewriteThenAnswer {
//!     rewrite: Predict::parse("question -> better_question").unwrap(),
//!     generate_answer: ChainOfThought::parse("question -> answer").unwrap(),
//! };
//! let names: Vec<String> = program.named_predictors().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["rewrite", "generate_answer.predict"]);
//! ```

mod builtin;
mod ext;
mod field;
pub mod naming;

use std::fmt;

use dspy_adapters::Values;

use crate::example::Prediction;
use crate::lm::BoxFuture;
use crate::predict::Predict;
use crate::Error;

pub use ext::ModuleExt;
pub use field::{ModuleField, ModuleInput};

/// A program: async `forward` from input values to a [`Prediction`], plus its predictors by
/// DSPy's dotted names.
///
/// Object-safe: programs can be held as `Box<dyn Module>`. See the [module docs](self) for a
/// full implementation; [`naming`] builds the names.
pub trait Module: Send + Sync + fmt::Debug {
    /// Runs the program on `inputs` (keyed by input field name).
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>>;

    /// Every predictor with its dotted name, in declaration order: `self` for a bare
    /// [`Predict`], `predict` inside a [`ChainOfThought`](crate::predict::ChainOfThought),
    /// `generate_answer.predict` for a chain of thought in a field `generate_answer`,
    /// `hops[0]` for the first entry of a `Vec` field `hops`.
    fn named_predictors(&self) -> Vec<(String, &Predict)>;

    /// The same predictors, mutable, in the same order.
    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)>;
}

impl<M: Module + ?Sized> Module for Box<M> {
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        (**self).forward(inputs)
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        (**self).named_predictors()
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        (**self).named_predictors_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_object_safe() {
        fn takes(_: Option<&dyn Module>) {}
        takes(None);
    }
}
