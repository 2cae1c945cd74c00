//! LM clients and layers, modules, `Evaluate` and save/load: the runtime of DSPy for Rust.
//! The optimizers build on it in their own crate, `dspy-optimize`.
//!
//! - [`lm`]: the [`LanguageModel`](lm::LanguageModel) interface every client and layer implements.
//! - [`client`]: provider clients (OpenAI-compatible, Anthropic), model strings
//!   ([`lm::from_model`]), fleets of endpoints, redacted API keys.
//! - [`layer`]: middleware around any LM (cache, retry, limits, timeout, usage, history,
//!   tracing) and [`LmBuilder`], which stacks them.
//! - [`signature`]: the [`Signature`](signature::Signature) trait of typed signatures.
//! - [`example`]: [`Example`] and [`Prediction`], the records programs read and return.
//! - [`predict`]: [`Predict`] (one LM call per signature) and [`ChainOfThought`].
//! - [`typed`]: [`typed::Predict<S>`] and [`typed::ChainOfThought<S>`], the same predictors
//!   with a typed signature's input and output structs.
//! - [`module`]: the [`Module`] trait and [`ModuleExt`] (batches, save/load).
//! - [`settings`]: the default LM and adapter, global or scoped.
//! - [`trace`]: records of predictor calls, for optimizers.
//! - [`evaluate`]: [`Evaluate`] a program on a dataset with a metric.
//! - [`compose`]: composite modules: [`BestOfN`], [`Refine`], `MultiChainComparison`,
//!   `majority`, [`Parallel`].
//! - [`state`]: DSPy's saved-program JSON format.
//!
//! ## Features
//!
//! | feature      | what it adds                                                              |
//! |--------------|---------------------------------------------------------------------------|
//! | `openai`     | `client::OpenAiClient`: OpenAI, vLLM, SGLang, llama.cpp, Ollama, LiteLLM |
//! | `anthropic`  | `client::AnthropicClient`: Anthropic's Messages API                      |
//! | `disk-cache` | `layer::cache::DiskCache`: a persistent SQLite response cache            |
//!
//! All are off by default; the clients pull in `reqwest` (rustls with ring), the disk cache
//! a bundled SQLite.
//!
//! This crate builds on [`dspy_adapters`] (re-exported as [`adapters`]).

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub use dspy_adapters as adapters;

pub mod client;
pub mod compose;
mod error;
pub mod evaluate;
pub mod example;
pub mod layer;
pub mod lm;
pub mod module;
pub mod predict;
pub mod react;
pub mod settings;
pub mod signature;
pub mod spans;
pub mod state;
pub mod tool;
pub mod trace;
pub mod typed;

#[doc(hidden)]
pub use signature::__private;

#[doc(inline)]
pub use compose::{BestOfN, Parallel, Refine};
#[doc(inline)]
pub use error::Error;
#[doc(inline)]
pub use evaluate::{Evaluate, EvaluationResult, Metric, Score};
#[doc(inline)]
pub use example::{Example, Prediction};
#[doc(inline)]
pub use layer::LmBuilder;
#[doc(inline)]
pub use module::{Module, ModuleExt};
#[doc(inline)]
pub use predict::{ChainOfThought, Predict};
