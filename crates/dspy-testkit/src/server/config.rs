//! [`MockConfig`] and [`Fault`]: how the mock server behaves.

use std::time::Duration;

use super::Responder;

/// A failure the mock server can inject instead of (or before) a normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// HTTP 500 with an OpenAI-style JSON error body.
    ServerError,
    /// HTTP 429 with a `Retry-After: <secs>` header and a JSON error body.
    RateLimited {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// Any HTTP status with an OpenAI-style JSON error body (e.g. 401, 503).
    Status(u16),
    /// HTTP 400 with OpenAI's `context_length_exceeded` error code.
    ContextLength,
    /// Waits this long, then answers normally (longer than a client's timeout, to test it).
    Slow(Duration),
    /// HTTP 200 whose body is cut in half: a truncated JSON document (or SSE stream) sent with a
    /// matching `Content-Length`.
    Truncated,
    /// Closes the connection without sending any response.
    DropConnection,
}

/// How a [`MockServer`](super::MockServer) behaves: latency, answers and faults.
///
/// Build one with chained setters; [`MockConfig::default`] answers every request at once in
/// DSPy's chat format ([`Responder::dspy`]) and never fails.
///
/// Faults come from two sources, checked in this order for each chat-completion request:
///
/// 1. [`fail_first`](Self::fail_first): the first `k` attempts of each distinct request (by
///    byte-identical body) get a fault, later attempts go through. Exact, for asserting retry
///    counts.
/// 2. [`failure_rate`](Self::failure_rate): that fraction of requests gets a fault drawn from
///    [`faults`](Self::faults). The draw for the `i`-th request depends only on `i` and the
///    [`seed`](Self::seed), so the number of faults among the first `N` requests is the same in
///    every run, however requests interleave.
///
/// Latency is added before every chat-completion answer, faulted or not.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MockConfig {
    pub(crate) latency: Duration,
    pub(crate) model: Option<String>,
    pub(crate) responder: Responder,
    pub(crate) failure_rate: f64,
    pub(crate) faults: Vec<Fault>,
    pub(crate) seed: u64,
    pub(crate) fail_first: u32,
    pub(crate) fail_first_fault: Fault,
    pub(crate) record_requests: bool,
    pub(crate) stream_chunk_chars: usize,
}

impl Default for MockConfig {
    fn default() -> MockConfig {
        MockConfig {
            latency: Duration::ZERO,
            model: None,
            responder: Responder::dspy(),
            failure_rate: 0.0,
            faults: Vec::new(),
            seed: 0,
            fail_first: 0,
            fail_first_fault: Fault::ServerError,
            record_requests: false,
            stream_chunk_chars: 8,
        }
    }
}

impl MockConfig {
    /// The default configuration: instant DSPy chat-format answers, no faults.
    pub fn new() -> MockConfig {
        MockConfig::default()
    }

    /// Answers each chat-completion request this long after it arrived (to well under a
    /// millisecond: a clock thread, not tokio's 1 ms timer, ends the wait).
    pub fn latency(mut self, latency: Duration) -> MockConfig {
        self.latency = latency;
        self
    }

    /// Reports this model name in every response (by default, the request's `model`).
    pub fn model(mut self, model: impl Into<String>) -> MockConfig {
        self.model = Some(model.into());
        self
    }

    /// Computes answers with this responder ([`Responder::dspy`] by default).
    pub fn responder(mut self, responder: Responder) -> MockConfig {
        self.responder = responder;
        self
    }

    /// Fails this fraction of requests (clamped to `0.0..=1.0`) with a fault drawn from
    /// [`faults`](Self::faults) ([`Fault::ServerError`] when none are set).
    pub fn failure_rate(mut self, rate: f64) -> MockConfig {
        self.failure_rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self
    }

    /// The faults [`failure_rate`](Self::failure_rate) draws from, each equally likely.
    pub fn faults(mut self, faults: impl IntoIterator<Item = Fault>) -> MockConfig {
        self.faults = faults.into_iter().collect();
        self
    }

    /// Seeds the fault draws (0 by default): the same seed gives the same faults.
    pub fn seed(mut self, seed: u64) -> MockConfig {
        self.seed = seed;
        self
    }

    /// Fails the first `k` attempts of each distinct request (by body) with `fault`.
    pub fn fail_first(mut self, k: u32, fault: Fault) -> MockConfig {
        self.fail_first = k;
        self.fail_first_fault = fault;
        self
    }

    /// Keeps every request (path, headers, body) for [`MockServer::recorded`](super::MockServer::recorded).
    /// Off by default, to keep the server fast.
    pub fn record_requests(mut self, record: bool) -> MockConfig {
        self.record_requests = record;
        self
    }

    /// Splits streamed answers into content deltas of at most this many characters (8 by
    /// default; at least 1).
    pub fn stream_chunk_chars(mut self, chars: usize) -> MockConfig {
        self.stream_chunk_chars = chars.max(1);
        self
    }
}
