//! DSPy's `lm.copy(rollout_id=r, temperature=1.0)` for bootstrap rounds after the first.

use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};

/// Wraps an LM so each request carries `rollout_id` (a fresh cache key, so a fresh sample)
/// and temperature 1.0, unless the call set its own (call settings win, as in DSPy).
#[derive(Debug)]
pub(crate) struct RolloutLm {
    inner: SharedLm,
    rollout_id: u64,
}

impl RolloutLm {
    pub(crate) fn wrap(inner: SharedLm, rollout_id: u64) -> SharedLm {
        std::sync::Arc::new(RolloutLm { inner, rollout_id })
    }
}

impl LanguageModel for RolloutLm {
    fn call(&self, mut request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        request.rollout_id = request.rollout_id.or(Some(self.rollout_id));
        request.temperature = request.temperature.or(Some(1.0));
        self.inner.call(request)
    }

    fn model(&self) -> &str {
        self.inner.model()
    }
}
