//! LM clients and layers, modules, `Evaluate`, optimizers and save/load.
//!
//! - [`lm`]: the [`LanguageModel`](lm::LanguageModel) interface every client and layer implements.
//! - [`example`]: [`Example`] and [`Prediction`], the records programs read and return.
//! - [`predict`]: [`Predict`] (one LM call per signature) and [`ChainOfThought`].
//! - [`module`]: the [`Module`] trait and [`ModuleExt`] (batches, save/load).
//! - [`settings`]: the default LM and adapter, global or scoped.
//! - [`trace`]: records of predictor calls, for optimizers.
//! - [`evaluate`]: [`Evaluate`] a program on a dataset with a metric.
//! - [`state`]: DSPy's saved-program JSON format.
//!
//! This crate builds on [`dspy_adapters`] (re-exported as [`adapters`]).

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub use dspy_adapters as adapters;
pub mod lm;

mod error;
pub mod evaluate;
pub mod example;
pub mod module;
pub mod predict;
pub mod settings;
pub mod state;
pub mod trace;

#[doc(inline)]
pub use error::Error;
#[doc(inline)]
pub use evaluate::{Evaluate, EvaluationResult, Metric, Score};
#[doc(inline)]
pub use example::{Example, Prediction};
#[doc(inline)]
pub use module::{Module, ModuleExt};
#[doc(inline)]
pub use predict::{ChainOfThought, Predict};
