//! Offline test kit for DSPy in Rust: a scripted LM and a mock OpenAI-compatible server.
//!
//! - [`ScriptedLm`]: a [`LanguageModel`](dspy_core::lm::LanguageModel) that answers from a
//!   script (fixed answers in order, answers keyed by input, or a closure), counts its calls and
//!   keeps the requests it got. Like DSPy's `DummyLM`.
//! - [`chat_completion`]: writes output field values as a completion in DSPy's chat format.
//! - [`ConcurrencyProbe`]: wraps an LM and records how many calls overlapped.
//! - [`Oracle`]: a deterministic world whose answers are a pure function of the prompt bytes,
//!   with a Python twin, for checking that optimizers make DSPy's choices.
//! - [`PromptWorld`]: a deterministic prompt model answering any DSPy chat signature (with `n`
//!   completions per request), with a Python twin, for checking instruction optimizers.
//! - [`MockServer`] (feature `server`): an in-process OpenAI-compatible HTTP server on
//!   127.0.0.1 with configurable latency and fault injection, for testing HTTP clients, retries
//!   and timeouts without a network.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `server` | yes | [`MockServer`] and its configuration (tokio + hyper) |
//!
//! # A scripted LM
//!
//! ```
//! use dspy_core::adapters::Message;
//! use dspy_core::lm::{LanguageModel, LmRequest};
//! use dspy_testkit::ScriptedLm;
//!
//! let lm = ScriptedLm::from_outputs([[("answer", "Paris")]]);
//! let request = LmRequest::new(vec![Message::user("What is the capital of France?")]);
//! let response = futures::executor::block_on(lm.call(request)).unwrap();
//! assert_eq!(response.first_text(), Some("[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"));
//! assert_eq!(lm.calls(), 1);
//! ```
//!
#![cfg_attr(feature = "server", doc = include_str!("docs/server.md"))]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod answer;
mod completion;
pub mod fuzz;
pub mod keyword_world;
mod oracle;
mod probe;
mod prompt_world;
mod roll;
mod scripted;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod server;
mod tokens;

#[doc(inline)]
pub use completion::{chat_completion, COMPLETED_MARKER};
#[doc(inline)]
pub use oracle::{field_value, Oracle};
#[doc(inline)]
pub use probe::ConcurrencyProbe;
#[doc(inline)]
pub use prompt_world::{output_fields, PromptWorld};
#[doc(inline)]
pub use scripted::{ScriptedLm, DEFAULT_MODEL};
#[cfg(feature = "server")]
#[doc(inline)]
pub use server::{Fault, MockConfig, MockServer, Responder};
