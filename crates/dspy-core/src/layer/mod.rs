//! Middleware for LMs: caching, retries, limits, timeouts, usage, history and tracing.
//!
//! A layer wraps any [`LanguageModel`](crate::lm::LanguageModel) and is one itself, so layers
//! stack around a provider client the way tower middleware stacks around a service. Each
//! lives in its own module with its wrapper type and its [`Layer`]:
//!
//! | module | wrapper | what it does |
//! | --- | --- | --- |
//! | [`cache`] | [`Cache`](cache::Cache) | answers repeated requests from memory or disk, single-flight |
//! | [`retry`] | [`Retry`](retry::Retry) | retries retryable errors with jittered exponential backoff |
//! | [`limit`] | [`ConcurrencyLimit`](limit::ConcurrencyLimit), [`RateLimit`](limit::RateLimit) | bounds calls in flight, requests and tokens per minute |
//! | [`timeout`] | [`Timeout`](timeout::Timeout) | fails calls slower than a deadline |
//! | [`usage`] | [`TrackUsage`](usage::TrackUsage) | sums tokens and cost per model |
//! | [`history`] | [`RecordHistory`](history::RecordHistory) | keeps recent calls; DSPy's `inspect_history` |
//! | [`trace`] | [`Trace`](trace::Trace) | a `tracing` span per call (OpenTelemetry GenAI conventions) |
//!
//! [`LmBuilder`] stacks them in the order that makes sense for LM calls (see its docs); use
//! the wrappers or [`Layer`]s directly for any other order.
//!
//! Every layer is cancellation-safe: dropping a call's future at any await point leaves no
//! in-flight cache entry, semaphore permit, rate-limit reservation or partial cache row behind.

mod builder;
pub mod cache;
pub mod history;
pub mod limit;
pub mod retry;
pub mod timeout;
pub mod trace;
pub mod usage;

pub use builder::LmBuilder;

/// Wraps an LM in another: the tower `Layer` idea for [`LanguageModel`](crate::lm::LanguageModel)s.
///
/// Each middleware has a layer type (`CacheLayer`, `RetryLayer`, ...) holding its settings,
/// whose [`layer`](Layer::layer) wraps any inner LM. A worked example, a layer that adds a
/// system message to every request:
///
/// ```
/// use dspy_core::adapters::Message;
/// use dspy_core::layer::Layer;
/// use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};
///
/// #[derive(Debug)]
/// struct WithSystem<L> {
///     inner: L,
///     text: String,
/// }
///
/// impl<L: LanguageModel> LanguageModel for WithSystem<L> {
///     fn call(&self, mut request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
///         request.messages.insert(0, Message::system(self.text.clone()));
///         self.inner.call(request)
///     }
///     fn model(&self) -> &str {
///         self.inner.model()
///     }
/// }
///
/// #[derive(Debug, Clone)]
/// struct WithSystemLayer(String);
///
/// impl<L> Layer<L> for WithSystemLayer {
///     type Lm = WithSystem<L>;
///     fn layer(&self, inner: L) -> WithSystem<L> {
///         WithSystem { inner, text: self.0.clone() }
///     }
/// }
/// ```
pub trait Layer<L> {
    /// The wrapping LM.
    type Lm;

    /// Wraps `inner`.
    fn layer(&self, inner: L) -> Self::Lm;
}

impl<L, T: Layer<L> + ?Sized> Layer<L> for &T {
    type Lm = T::Lm;

    fn layer(&self, inner: L) -> Self::Lm {
        (**self).layer(inner)
    }
}
