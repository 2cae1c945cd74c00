//! Errors from LM calls.

use std::time::Duration;

/// An LM call that failed. Messages never include API keys or prompt text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LmError {
    /// The connection failed or dropped before a full answer arrived. Retryable.
    #[error("could not reach the LM endpoint {endpoint}: {message}; check the base URL and that the server is running")]
    Transport {
        /// Base URL of the endpoint (no credentials).
        endpoint: String,
        /// What went wrong.
        message: String,
    },
    /// The call took longer than its deadline. Retryable.
    #[error("the LM call timed out after {0:?}; raise the timeout or lower max_tokens")]
    Timeout(Duration),
    /// The provider asked us to slow down (HTTP 429). Retryable.
    #[error("rate limited by the provider{}; lower concurrency or add a rate limit layer", retry_hint(.retry_after))]
    RateLimited {
        /// How long the provider asked us to wait.
        retry_after: Option<Duration>,
    },
    /// The provider failed (HTTP 5xx). Retryable.
    #[error("the provider failed with HTTP {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The provider's message.
        message: String,
        /// How long the provider asked us to wait.
        retry_after: Option<Duration>,
    },
    /// The API key was missing or rejected (HTTP 401/403). Not retryable.
    #[error("authentication failed (HTTP {status}): {message}; set the API key (e.g. OPENAI_API_KEY) or pass it to the client")]
    Auth {
        /// HTTP status.
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// The prompt does not fit the model's context window. Not retryable.
    #[error("the prompt exceeds the model's context window: {message}; use fewer demos or shorter inputs")]
    ContextLength {
        /// The provider's message.
        message: String,
    },
    /// The provider rejected the request (HTTP 400/404/422). Not retryable.
    #[error("the provider rejected the request (HTTP {status}): {message}")]
    InvalidRequest {
        /// HTTP status.
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// The provider's answer could not be read. Retryable (bodies truncated in transit).
    #[error("could not read the provider's response: {message}")]
    Decode {
        /// What was wrong.
        message: String,
    },
    /// The client is misconfigured (unknown provider, missing model file, ...). Not retryable.
    #[error("{message}")]
    Config {
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Every retry was used up; holds the last error.
    #[error("gave up after {attempts} attempts; last error: {last}")]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// The last attempt's error.
        last: Box<LmError>,
    },
    /// The retry policy's overall deadline was reached: the next retry's wait would have ended
    /// past it. Holds the last error. Not retryable.
    #[error("gave up after {attempts} attempts: the retry deadline of {deadline:?} was reached before the next retry could start; last error: {last}; raise `RetryPolicy::deadline` or lower the backoff")]
    RetryDeadline {
        /// Attempts made.
        attempts: u32,
        /// The policy's deadline, counted from the first attempt.
        deadline: Duration,
        /// The last attempt's error.
        last: Box<LmError>,
    },
    /// The provider's answer was larger than a limit of the client. Not retryable (the same
    /// request would likely get the same answer).
    #[error("the provider's {} exceeded the client's limit of {max_bytes} bytes; if such answers are expected, raise it with the client builder's `.{}(..)`", .limit.what(), .limit.setter())]
    ResponseTooLarge {
        /// Which limit.
        limit: ResponseLimit,
        /// The limit, in bytes.
        max_bytes: usize,
    },
}

/// A size limit of the HTTP clients, named in [`LmError::ResponseTooLarge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseLimit {
    /// A whole (non-streamed) response body; the builders' `max_response_bytes`.
    Body,
    /// One server-sent-events line, or the data of one event, of a stream; the builders'
    /// `max_sse_event_bytes`.
    StreamEvent,
}

impl ResponseLimit {
    /// What is limited, in words.
    pub fn what(self) -> &'static str {
        match self {
            ResponseLimit::Body => "response body",
            ResponseLimit::StreamEvent => "server-sent event (line or event data)",
        }
    }

    /// The client builder setter that raises the limit.
    pub fn setter(self) -> &'static str {
        match self {
            ResponseLimit::Body => "max_response_bytes",
            ResponseLimit::StreamEvent => "max_sse_event_bytes",
        }
    }
}

fn retry_hint(after: &Option<Duration>) -> String {
    after
        .map(|d| format!(" (retry after {d:?})"))
        .unwrap_or_default()
}

impl LmError {
    /// True for failures a retry may fix: transport, timeout, 429, 5xx, unreadable bodies.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            LmError::Transport { .. }
                | LmError::Timeout(_)
                | LmError::RateLimited { .. }
                | LmError::Server { .. }
                | LmError::Decode { .. }
        )
    }

    /// How long the provider asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            LmError::RateLimited { retry_after } | LmError::Server { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// A configuration error with this message.
    pub fn config(message: impl Into<String>) -> LmError {
        LmError::Config {
            message: message.into(),
        }
    }
}
