//! DSPy for Rust: programming, not prompting, language models.
//!
//! This facade is what users depend on. It re-exports the adapter layer ([`adapters`]), the
//! runtime ([`core`]) and the optimizers ([`optimize`]); [`prelude`] holds the names every
//! program uses.
//!
//! A signature is a struct whose fields are its inputs and outputs; its doc comment (or
//! `#[dspy(instructions = "...")]`) is the instructions, and a field's doc comment (or `desc`)
//! its description. `#[derive(Signature)]` describes it to the adapters and generates typed
//! input and output structs (`Debug` and `Clone`; more with `#[dspy(derive(..))]`):
//!
//! ```
//! use dspy::prelude::*;
//!
//! /// Classify the sentiment of a sentence.
//! #[derive(Signature)]
//! struct Sentiment {
//!     #[input]
//!     sentence: String,
//!     #[output(desc = "between 0 and 1")]
//!     positivity: f64,
//! }
//!
//! let spec = Sentiment::spec();
//! assert_eq!(spec.instructions(), "Classify the sentiment of a sentence.");
//! assert_eq!(spec.outputs()[0].ty, FieldType::Float);
//! assert_eq!(spec.outputs()[0].prefix, "Positivity:");
//!
//! let inputs = dspy::core::signature::to_values(&SentimentInput { sentence: "Great!".into() })?;
//! assert_eq!(inputs["sentence"], "Great!");
//! # Ok::<(), dspy::core::signature::ValuesError>(())
//! ```
//!
//! String signatures work too:
//!
//! ```
//! use dspy::prelude::*;
//!
//! let spec = SignatureSpec::parse("question -> answer: int").unwrap();
//! assert_eq!(spec.outputs()[0].ty, FieldType::Int);
//! assert_eq!(spec.outputs()[0].prefix, "Answer:");
//! ```
//!
//! # Features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `derive` | yes | `#[derive(Signature)]` and `#[module]` |
//! | `openai` | no | the OpenAI-compatible client (`Lm::new("openai/...")`, vLLM, SGLang, Ollama, ...) |
//! | `anthropic` | no | the Anthropic Messages API client |
//! | `disk-cache` | no | `Lm::new` also caches answers on disk (SQLite), as DSPy does |
//! | `redis` | no | a response cache on a Redis server, shared by processes and machines |
//! | `local` | no | `dspy::local`: the embedded GGUF model on candle |
//! | `serve` | no | `dspy::serve`: programs as HTTP JSON endpoints (axum) |
//! | `otel` | no | `dspy::otel`: module, predictor and LM spans exported over OTLP |
//!
//! A complete typed program (two signatures, a `#[module]` with two predictors, a call and an
//! `Evaluate` run) is in the repository's README, which is compiled and run as a doctest.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The repository README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

#[doc(inline)]
pub use dspy_adapters as adapters;
#[doc(inline)]
pub use dspy_core as core;
#[doc(inline)]
pub use dspy_optimize as optimize;

/// The embedded GGUF model on candle: [`local::LocalLm`] runs a small model in process.
#[cfg(feature = "local")]
#[cfg_attr(docsrs, doc(cfg(feature = "local")))]
#[doc(inline)]
pub use dspy_local as local;

/// Programs as HTTP JSON endpoints (axum): [`serve::Server`] publishes each program's input and
/// output JSON Schema and bounds body size, concurrency and time; shutdown is graceful.
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
#[doc(inline)]
pub use dspy_serve as serve;

/// OpenTelemetry: [`otel::init`] exports module, predictor and LM spans (GenAI semantic
/// conventions) over OTLP; [`otel::layer`] adds them to a subscriber of your own.
#[cfg(feature = "otel")]
#[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
#[doc(inline)]
pub use dspy_otel as otel;

/// `schemars`, whose `JsonSchema` every signature field type implements
/// (`#[derive(schemars::JsonSchema)]` on your models and enums).
pub use schemars;

#[doc(inline)]
pub use dspy_core::signature::Signature;
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
#[doc(inline)]
pub use dspy_macros::Signature;

#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
#[doc(inline)]
pub use dspy_macros::module;

#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
#[doc(inline)]
pub use dspy_macros::tool;

#[doc(inline)]
pub use dspy_core::react::ReAct;
#[doc(inline)]
pub use dspy_core::tool::{Tool, ToolCalls};

#[doc(inline)]
pub use dspy_core::lm::{from_model, Lm};
#[doc(inline)]
pub use dspy_core::module::{Module, ModuleExt};
#[doc(inline)]
pub use dspy_core::settings;
#[doc(inline)]
pub use dspy_core::typed::{ChainOfThought, Predict, WithReasoning};
#[doc(inline)]
pub use dspy_core::{Error, Evaluate, Example, Prediction};

/// What `#[derive(Signature)]` expands to. Not public API.
#[doc(hidden)]
pub use dspy_core::__private;

/// The traits and types every program names.
pub mod prelude {
    pub use dspy_adapters::{
        Adapter, AdapterKind, ChatAdapter, FieldSpec, FieldType, FunctionCalling, JsonAdapter,
        Message, ParseError, SignatureSpec, Values, XmlAdapter,
    };
    pub use dspy_core::evaluate::{feedback_fn, metric_fn, Metric, PredictorTrace, Score};
    pub use dspy_core::lm::{from_model, LanguageModel, Lm, SharedLm};
    pub use dspy_core::module::{Module, ModuleExt};
    pub use dspy_core::predict::LmConfig;
    pub use dspy_core::react::ReAct;
    pub use dspy_core::settings::{self, configure};
    pub use dspy_core::signature::Signature;
    pub use dspy_core::tool::{Tool, ToolCalls};
    pub use dspy_core::typed::{ChainOfThought, Predict, WithReasoning};
    pub use dspy_core::{Error, Evaluate, Example, Prediction};
    #[cfg(feature = "derive")]
    pub use dspy_macros::{module, tool, Signature};
    pub use dspy_optimize::gepa::{Budget, Gepa};
    pub use dspy_optimize::mipro::MiproV2;
    pub use dspy_optimize::simba::Simba;
    pub use dspy_optimize::{
        BootstrapFewShot, BootstrapFewShotWithRandomSearch, Copro, LabeledFewShot, Optimizer,
    };
}
