//! [`RecordHistory`] and [`HistoryLayer`].

use std::time::SystemTime;

use tokio::time::Instant;

use super::{History, HistoryEntry};
use crate::layer::Layer;
use crate::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};

/// Records each answered call in a [`History`]. Failed calls are not recorded (as in DSPy).
///
/// Recording copies the request (the prompt has to be kept) and the response; with a
/// zero-capacity history nothing is copied.
#[derive(Debug, Clone)]
pub struct RecordHistory<L> {
    inner: L,
    history: History,
}

impl<L> RecordHistory<L> {
    /// Records `inner`'s calls in `history`.
    pub fn new(inner: L, history: History) -> RecordHistory<L> {
        RecordHistory { inner, history }
    }

    /// The history.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The wrapped LM.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }
}

impl<L: LanguageModel> LanguageModel for RecordHistory<L> {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            if !self.history.is_recording() {
                return self.inner.call(request).await;
            }
            let kept = request.clone();
            let start = Instant::now();
            let result = self.inner.call(request).await;
            if let Ok(response) = &result {
                let model = kept
                    .model
                    .clone()
                    .unwrap_or_else(|| self.inner.model().to_owned());
                self.history.push(HistoryEntry::new(
                    model,
                    kept,
                    response.clone(),
                    start.elapsed(),
                    SystemTime::now(),
                ));
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

/// Wraps LMs in [`RecordHistory`], all recording in one history.
#[derive(Debug, Clone, Default)]
pub struct HistoryLayer {
    history: History,
}

impl HistoryLayer {
    /// A layer recording in `history`.
    pub fn new(history: History) -> HistoryLayer {
        HistoryLayer { history }
    }
}

impl<L> Layer<L> for HistoryLayer {
    type Lm = RecordHistory<L>;

    fn layer(&self, inner: L) -> RecordHistory<L> {
        RecordHistory::new(inner, self.history.clone())
    }
}
