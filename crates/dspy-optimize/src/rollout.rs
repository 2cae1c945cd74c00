//! DSPy's `lm.copy(rollout_id=r, temperature=t)`: bootstrap rounds after the first, and the
//! instruction proposers.

use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};

/// Wraps an LM so each request carries `rollout_id` (a fresh cache key, so a fresh sample)
/// and a temperature, unless the call set its own (call settings win, as in DSPy).
#[derive(Debug)]
pub(crate) struct RolloutLm {
    inner: SharedLm,
    rollout_id: u64,
    temperature: f64,
}

impl RolloutLm {
    /// Rollout `rollout_id` at temperature 1.0 (BootstrapFewShot's rounds).
    pub(crate) fn wrap(inner: SharedLm, rollout_id: u64) -> SharedLm {
        RolloutLm::with_temperature(inner, rollout_id, 1.0)
    }

    /// Rollout `rollout_id` at `temperature`.
    pub(crate) fn with_temperature(inner: SharedLm, rollout_id: u64, temperature: f64) -> SharedLm {
        std::sync::Arc::new(RolloutLm {
            inner,
            rollout_id,
            temperature,
        })
    }
}

impl LanguageModel for RolloutLm {
    fn call(&self, mut request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        request.rollout_id = request.rollout_id.or(Some(self.rollout_id));
        request.temperature = request.temperature.or(Some(self.temperature));
        self.inner.call(request)
    }

    fn model(&self) -> &str {
        self.inner.model()
    }
}
