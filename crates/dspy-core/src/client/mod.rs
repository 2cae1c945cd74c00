//! Provider clients: model strings, OpenAI-compatible and Anthropic HTTP clients, and fleets.
//!
//! - [`from_model`] / [`ClientBuilder`]: an LM from a DSPy model string (`"openai/gpt-4o-mini"`,
//!   `"anthropic/claude-3-5-haiku-latest"`, `"ollama_chat/llama3.2"`, `"hosted_vllm/..."`), with
//!   keys and base URLs from arguments or the usual environment variables ([`Provider`]).
//! - `OpenAiClient` (feature `openai`): chat completions on OpenAI, vLLM, SGLang, llama.cpp,
//!   Ollama or a LiteLLM proxy; tools, structured output, `n`, streaming.
//! - `AnthropicClient` (feature `anthropic`): the Messages API; tools, streaming.
//! - [`Fleet`]: one model on several endpoints, round-robin with per-endpoint health.
//! - [`ApiKey`]: keys that `Debug`/`Display` print as `[redacted]`.
//!
//! HTTP failures map onto [`LmError`](crate::lm::LmError): 429 → `RateLimited` (with
//! `Retry-After`), 5xx (and Anthropic's 529) → `Server`, 401/403 → `Auth`, a 4xx about the
//! context window → `ContextLength`, other 4xx → `InvalidRequest`, no connection → `Transport`,
//! an unreadable or cut-off body → `Decode`, the deadline → `Timeout`, a body or stream event
//! above the builder's size limits → `ResponseTooLarge`. Provider messages are kept
//! (shortened), with the API key removed.
//!
//! Memory per call is bounded: a response body is read up to `max_response_bytes` (default
//! [`DEFAULT_MAX_RESPONSE_BYTES`], 32 MiB), an error body only up to `max_error_body_bytes`
//! ([`DEFAULT_MAX_ERROR_BODY_BYTES`], 64 KiB) for its message, and a stream's lines and events
//! up to `max_sse_event_bytes` ([`DEFAULT_MAX_SSE_EVENT_BYTES`], 1 MiB).
//!
//! All HTTP clients share one `reqwest` connection pool (keep-alive), so many concurrent calls
//! reuse connections; TLS is rustls (ring) with the Mozilla and the system's root certificates.

mod builder;
mod credentials;
mod fleet;
mod lm;
mod model;
mod options;
mod secret;

#[cfg(feature = "__http")]
mod connection;
#[cfg(feature = "__http")]
mod http;
#[cfg(feature = "openai")]
mod tool_args;

#[cfg(feature = "anthropic")]
mod anthropic;
#[cfg(feature = "openai")]
mod openai;

pub use builder::{from_model, ClientBuilder};
pub use fleet::{Fleet, DEFAULT_COOLDOWN};
pub use lm::{Lm, LmOptions, DEFAULT_MEMORY_ENTRIES, DEFAULT_NUM_RETRIES};
pub use model::{ModelSpec, Protocol, Provider};
pub use options::{
    DEFAULT_MAX_ERROR_BODY_BYTES, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_SSE_EVENT_BYTES,
};
pub use secret::ApiKey;

#[cfg(feature = "anthropic")]
#[cfg_attr(docsrs, doc(cfg(feature = "anthropic")))]
pub use anthropic::{AnthropicBuilder, AnthropicClient, ANTHROPIC_VERSION, DEFAULT_MAX_TOKENS};
#[cfg(feature = "openai")]
#[cfg_attr(docsrs, doc(cfg(feature = "openai")))]
pub use openai::{MaxTokensParam, OpenAiBuilder, OpenAiClient};
