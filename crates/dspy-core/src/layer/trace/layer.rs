//! [`TraceLayer`].

use super::Trace;
use crate::layer::Layer;

/// Wraps LMs in [`Trace`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceLayer {
    with_text: bool,
}

impl TraceLayer {
    /// Spans without prompt or completion text.
    pub fn new() -> TraceLayer {
        TraceLayer::default()
    }

    /// Also records prompt and completion text (off by default: it may hold user data).
    pub fn with_text(mut self, on: bool) -> TraceLayer {
        self.with_text = on;
        self
    }
}

impl<L> Layer<L> for TraceLayer {
    type Lm = Trace<L>;

    fn layer(&self, inner: L) -> Trace<L> {
        Trace::new(inner).with_text(self.with_text)
    }
}
