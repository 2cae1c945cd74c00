//! An embedded local LM for DSPy in Rust: run DSPy programs with no API key, in process.
//!
//! [`LocalLm`] implements [`dspy_core::lm::LanguageModel`] over a GGUF llama-family chat model
//! (by default SmolLM2-135M-Instruct, `local/smollm2-135m`) on the CPU, with our own int8
//! kernels (AVX512-VNNI, AVX2 or portable, chosen at run time; candle reads the GGUF file):
//!
//! - [`tokenizer`]: byte-level BPE from the GGUF metadata, special tokens whole.
//! - [`template`]: the model's Jinja chat template, rendered with minijinja.
//! - [`model`]: the transformer: int8 matrix products, a preallocated `f16` KV cache.
//! - [`sampler`]: greedy or seeded temperature / top-k / top-p sampling.
//! - [`engine`]: prompts to completions: prefix KV reuse, stop sequences, `max_tokens`, `n`.
//! - [`guard`]: optional constrained decoding that keeps completions in DSPy's chat format.
//! - [`LocalLm`]: the LM, with one inference thread behind a bounded FIFO queue; concurrent
//!   calls are generated together, one batched forward pass per token.
//!
//! Get the default model with `bash scripts/fetch-model.sh`, then:
//!
//! ```no_run
//! use dspy_core::lm::{LanguageModel, LmRequest};
//! use dspy_core::adapters::Message;
//! # async fn run() -> Result<(), dspy_core::lm::LmError> {
//! let lm = dspy_local::LocalLm::local_default()?;
//! let answer = lm.call(LmRequest::new(vec![Message::user("What is 2 + 2?")]).max_tokens(16)).await?;
//! println!("{}", answer.first_text().unwrap_or_default());
//! # Ok(()) }
//! ```

#![warn(missing_docs, missing_debug_implementations)]

pub mod engine;
mod error;
pub mod guard;
mod lm;
pub mod model;
pub mod sampler;
pub mod template;
pub mod tokenizer;
mod worker;

pub use error::{LocalError, FETCH_COMMAND};
pub use lm::{
    cache_dir, first_output_field, resolve_model, LocalLm, LocalLmOptions, DEFAULT_MODEL,
    DEFAULT_MODEL_FILE,
};
pub use model::requantize_gguf;
