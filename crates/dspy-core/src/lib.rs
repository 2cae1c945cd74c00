//! LM clients and layers, modules, `Evaluate`, optimizers and save/load.
//!
//! - [`lm`]: the [`LanguageModel`](lm::LanguageModel) interface every client and layer implements.
//! - [`signature`]: the [`Signature`](signature::Signature) trait of typed signatures.
//! - [`client`]: provider clients (OpenAI-compatible, Anthropic), model strings
//!   ([`lm::from_model`]), fleets of endpoints, redacted API keys.
//!
//! ## Features
//!
//! | feature     | what it adds                                                              |
//! |-------------|---------------------------------------------------------------------------|
//! | `openai`    | `client::OpenAiClient`: OpenAI, vLLM, SGLang, llama.cpp, Ollama, LiteLLM |
//! | `anthropic` | `client::AnthropicClient`: Anthropic's Messages API                      |
//!
//! Both are off by default; they pull in `reqwest` (rustls with ring) and `futures-util`.
//!
//! This crate builds on [`dspy_adapters`] (re-exported as [`adapters`]).

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub use dspy_adapters as adapters;
pub mod client;
pub mod lm;
pub mod signature;

#[doc(hidden)]
pub use signature::__private;
