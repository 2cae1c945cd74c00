//! [`TrackUsage`] and [`UsageLayer`].

use crate::layer::Layer;
use crate::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};

use super::UsageTracker;

/// Records each call's usage in a [`UsageTracker`], under the request's model name (or the
/// wrapped LM's).
#[derive(Debug, Clone)]
pub struct TrackUsage<L> {
    inner: L,
    tracker: UsageTracker,
}

impl<L> TrackUsage<L> {
    /// Records `inner`'s usage in `tracker`.
    pub fn new(inner: L, tracker: UsageTracker) -> TrackUsage<L> {
        TrackUsage { inner, tracker }
    }

    /// The tracker.
    pub fn tracker(&self) -> &UsageTracker {
        &self.tracker
    }

    /// The wrapped LM.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }
}

impl<L: LanguageModel> LanguageModel for TrackUsage<L> {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            // Usually `None`: no allocation.
            let model = request.model.clone();
            let result = self.inner.call(request).await;
            let model = model.as_deref().unwrap_or_else(|| self.inner.model());
            match &result {
                Ok(response) => self.tracker.record(model, response),
                Err(_) => self.tracker.record_failure(model),
            }
            result
        })
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn supports_function_calling(&self) -> bool {
        self.inner.supports_function_calling()
    }
}

/// Wraps LMs in [`TrackUsage`], all recording in one tracker.
#[derive(Debug, Clone, Default)]
pub struct UsageLayer {
    tracker: UsageTracker,
}

impl UsageLayer {
    /// A layer recording in `tracker`.
    pub fn new(tracker: UsageTracker) -> UsageLayer {
        UsageLayer { tracker }
    }
}

impl<L> Layer<L> for UsageLayer {
    type Lm = TrackUsage<L>;

    fn layer(&self, inner: L) -> TrackUsage<L> {
        TrackUsage::new(inner, self.tracker.clone())
    }
}
