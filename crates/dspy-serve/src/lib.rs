//! Serve DSPy programs as HTTP JSON endpoints (axum).
//!
//! A [`Server`] holds [`Endpoint`]s: typed programs (any async function from a typed input to a
//! typed output, e.g. a typed predictor's or a `#[module]`'s `forward`) or dynamic ones (a
//! [`Predict`](dspy_core::predict::Predict) or any [`Module`](dspy_core::module::Module) with a
//! signature). Each gets `POST /<name>` to run it and `GET /<name>/schema` for the JSON Schemas
//! of its input and output; `GET /health` lists them. Requests are bounded in body size,
//! concurrency and time; shutdown is graceful.
//!
//! ```no_run
//! use dspy_core::predict::Predict;
//! use dspy_serve::{shutdown_signal, Server};
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let qa = Predict::parse("question -> answer")?;
//! Server::new()
//!     .concurrency_limit(32)
//!     .predict("qa", qa)
//!     .run_until("127.0.0.1:8000", shutdown_signal())
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Status codes: 400 for a body that is not JSON or does not fit the input schema, 413 for a
//! body over the limit, 422 for an LM answer that does not parse, 502 for a failed LM call,
//! 503 when every slot is busy, 504 on timeout, 500 otherwise; the body is always
//! `{"error": "...", "kind": "..."}`.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod endpoint;
mod error;
mod server;

pub use endpoint::{spec_schemas, Endpoint};
pub use error::{ApiError, ServeError};
pub use server::{
    shutdown_signal, Server, DEFAULT_CONCURRENCY_LIMIT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_REQUEST_TIMEOUT,
};

/// axum, whose [`Router`](axum::Router) [`Server::router`] returns.
pub use axum;
