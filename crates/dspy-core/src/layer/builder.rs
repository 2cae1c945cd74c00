//! [`LmBuilder`]: the standard stack of layers around a client.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::cache::{Cache, ResponseCache};
use super::history::{History, RecordHistory};
use super::limit::{ConcurrencyLimit, RateLimit, RateLimitPolicy};
use super::retry::{Retry, RetryPolicy};
use super::timeout::Timeout;
use super::trace::TraceLayer;
use super::usage::{TrackUsage, UsageTracker};
use super::Layer;
use crate::lm::{LanguageModel, SharedLm};

type Wrap = Box<dyn FnOnce(SharedLm) -> SharedLm + Send>;

/// Stacks the standard layers around a client, in a fixed order, outermost first:
///
/// 1. [`Trace`](super::trace::Trace): one span per call (on unless
///    [`without_trace`](LmBuilder::without_trace)).
/// 2. [`RecordHistory`]: every answered call, cache hits included (as in DSPy).
/// 3. [`TrackUsage`]: every call; hits count with zero tokens.
/// 4. [`Cache`]: hits stop here; identical concurrent calls are merged.
/// 5. [`Retry`]: misses are retried, with waits outside the limits below.
/// 6. [`ConcurrencyLimit`]: attempts in flight.
/// 7. [`RateLimit`]: requests and tokens per minute, per attempt.
/// 8. [`Timeout`]: a deadline per attempt, so a slow attempt is retried.
/// 9. Custom [`layer`](LmBuilder::layer)s, the first added outermost, then the client.
///
/// Only the layers you configure are added. The order the methods are called in does not
/// matter.
///
/// ```no_run
/// use std::time::Duration;
/// use dspy_core::layer::cache::ResponseCache;
/// use dspy_core::layer::history::History;
/// use dspy_core::layer::retry::RetryPolicy;
/// use dspy_core::layer::usage::UsageTracker;
/// use dspy_core::layer::LmBuilder;
/// use dspy_core::lm::{LanguageModel, LmRequest};
/// # use dspy_core::lm::{BoxFuture, LmError, LmResponse};
/// # #[derive(Debug)] struct Client;
/// # impl LanguageModel for Client {
/// #     fn call(&self, _: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
/// #         Box::pin(async { Ok(LmResponse::text("m", "")) })
/// #     }
/// #     fn model(&self) -> &str { "openai/gpt-4o-mini" }
/// # }
/// # async fn run() -> Result<(), LmError> {
/// let client = Client; // any provider client
/// let usage = UsageTracker::new();
/// let history = History::new();
///
/// let lm = LmBuilder::new(client)
///     .retry(RetryPolicy::new())
///     .cache(ResponseCache::default())
///     .concurrency_limit(16)
///     .timeout(Duration::from_secs(120))
///     .track_usage(usage.clone())
///     .history(history.clone())
///     .build();
///
/// let response = lm.call(LmRequest::default()).await?;
/// println!("{:?}, {} tokens so far", response.first_text(), usage.snapshot().total().usage.total_tokens);
/// history.print(1);
/// # Ok(())
/// # }
/// ```
#[must_use]
pub struct LmBuilder {
    client: SharedLm,
    trace: Option<TraceLayer>,
    history: Option<History>,
    usage: Option<UsageTracker>,
    cache: Option<ResponseCache>,
    retry: Option<RetryPolicy>,
    concurrency: Option<usize>,
    rate: Option<RateLimitPolicy>,
    timeout: Option<Duration>,
    custom: Vec<Wrap>,
}

impl LmBuilder {
    /// Starts a stack around `client`, with tracing on and nothing else.
    pub fn new(client: impl LanguageModel + 'static) -> LmBuilder {
        LmBuilder::from_shared(Arc::new(client))
    }

    /// Starts a stack around an already shared client.
    pub fn from_shared(client: SharedLm) -> LmBuilder {
        LmBuilder {
            client,
            trace: Some(TraceLayer::new()),
            history: None,
            usage: None,
            cache: None,
            retry: None,
            concurrency: None,
            rate: None,
            timeout: None,
            custom: Vec::new(),
        }
    }

    /// Retries failed attempts as `policy` says.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Caches answers in `cache`.
    pub fn cache(mut self, cache: ResponseCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// At most `max` attempts in flight.
    pub fn concurrency_limit(mut self, max: usize) -> Self {
        self.concurrency = Some(max);
        self
    }

    /// Requests- and tokens-per-minute limits.
    pub fn rate_limit(mut self, policy: RateLimitPolicy) -> Self {
        self.rate = Some(policy);
        self
    }

    /// A deadline per attempt.
    pub fn timeout(mut self, deadline: Duration) -> Self {
        self.timeout = Some(deadline);
        self
    }

    /// Records usage in `tracker`.
    pub fn track_usage(mut self, tracker: UsageTracker) -> Self {
        self.usage = Some(tracker);
        self
    }

    /// Records calls in `history`.
    pub fn history(mut self, history: History) -> Self {
        self.history = Some(history);
        self
    }

    /// Traces calls with these settings (tracing is on by default, without text).
    pub fn trace(mut self, layer: TraceLayer) -> Self {
        self.trace = Some(layer);
        self
    }

    /// No tracing spans.
    pub fn without_trace(mut self) -> Self {
        self.trace = None;
        self
    }

    /// Adds a custom layer just around the client (inside every standard layer).
    pub fn layer<Ly>(mut self, layer: Ly) -> Self
    where
        Ly: Layer<SharedLm> + Send + 'static,
        Ly::Lm: LanguageModel + 'static,
    {
        self.custom
            .push(Box::new(move |inner| Arc::new(layer.layer(inner))));
        self
    }

    /// Builds the stack.
    pub fn build(self) -> SharedLm {
        let mut lm = self.client;
        for wrap in self.custom.into_iter().rev() {
            lm = wrap(lm);
        }
        if let Some(deadline) = self.timeout {
            lm = Arc::new(Timeout::new(lm, deadline));
        }
        if let Some(policy) = &self.rate {
            lm = Arc::new(RateLimit::new(lm, policy));
        }
        if let Some(max) = self.concurrency {
            lm = Arc::new(ConcurrencyLimit::new(lm, max));
        }
        if let Some(policy) = self.retry {
            lm = Arc::new(Retry::new(lm, policy));
        }
        if let Some(cache) = self.cache {
            lm = Arc::new(Cache::new(lm, cache));
        }
        if let Some(tracker) = self.usage {
            lm = Arc::new(TrackUsage::new(lm, tracker));
        }
        if let Some(history) = self.history {
            lm = Arc::new(RecordHistory::new(lm, history));
        }
        if let Some(trace) = self.trace {
            lm = Arc::new(trace.layer(lm));
        }
        lm
    }
}

impl fmt::Debug for LmBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LmBuilder")
            .field("client", &self.client)
            .field("trace", &self.trace)
            .field("history", &self.history.is_some())
            .field("usage", &self.usage.is_some())
            .field("cache", &self.cache.is_some())
            .field("retry", &self.retry)
            .field("concurrency", &self.concurrency)
            .field("rate", &self.rate)
            .field("timeout", &self.timeout)
            .field("custom_layers", &self.custom.len())
            .finish()
    }
}
