//! A `tracing` span per call.
//!
//! [`Trace`] runs each call inside an `lm.call` span (target `dspy::lm`) with the model and,
//! once the call ends, its token counts, `cached` flag, latency and error. Prompt and
//! completion text are left out unless [`TraceLayer::with_text`] turns them on (they then go
//! to `trace`-level events inside the span), so logs do not leak user data by default.
//!
//! With no subscriber listening the span costs a few nanoseconds.

mod layer;

pub use layer::TraceLayer;

use tokio::time::Instant;
use tracing::field::Empty;
use tracing::Instrument;

use crate::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};

/// Runs each call of the wrapped LM in a `tracing` span; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Trace<L> {
    inner: L,
    with_text: bool,
}

impl<L> Trace<L> {
    /// Traces `inner`'s calls without prompt or completion text.
    pub fn new(inner: L) -> Trace<L> {
        Trace {
            inner,
            with_text: false,
        }
    }

    /// Also records prompt and completion text (as `trace`-level events).
    pub fn with_text(mut self, on: bool) -> Trace<L> {
        self.with_text = on;
        self
    }

    /// The wrapped LM.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }
}

impl<L: LanguageModel> LanguageModel for Trace<L> {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        let model = request
            .model
            .as_deref()
            .unwrap_or_else(|| self.inner.model());
        let span = tracing::info_span!(
            target: "dspy::lm",
            "lm.call",
            model = %model,
            prompt_tokens = Empty,
            completion_tokens = Empty,
            total_tokens = Empty,
            cached = Empty,
            latency_ms = Empty,
            error = Empty,
        );
        if self.with_text && !span.is_disabled() {
            span.in_scope(|| {
                for message in &request.messages {
                    tracing::trace!(target: "dspy::lm", role = message.role.as_str(), content = %message.content, "prompt message");
                }
            });
        }
        let with_text = self.with_text;
        let recorder = span.clone();
        Box::pin(
            async move {
                let start = Instant::now();
                let result = self.inner.call(request).await;
                if !recorder.is_disabled() {
                    recorder.record("latency_ms", start.elapsed().as_secs_f64() * 1000.0);
                    match &result {
                        Ok(response) => {
                            recorder.record("prompt_tokens", response.usage.prompt_tokens);
                            recorder.record("completion_tokens", response.usage.completion_tokens);
                            recorder.record("total_tokens", response.usage.total_tokens);
                            recorder.record("cached", response.cached);
                            if with_text {
                                for choice in &response.choices {
                                    tracing::trace!(target: "dspy::lm", content = %choice.text, "completion");
                                }
                            }
                        }
                        Err(error) => {
                            recorder.record("error", tracing::field::display(error));
                        }
                    }
                }
                result
            }
            .instrument(span),
        )
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn supports_function_calling(&self) -> bool {
        self.inner.supports_function_calling()
    }
}
