//! [`RolloutLm`]: DSPy's `lm.copy(rollout_id=r, temperature=t)` as a wrapper around any LM.

use std::sync::Arc;

use super::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};

/// Wraps an LM so each request carries a `rollout_id` (a fresh cache key, so a fresh sample)
/// and a temperature, unless the call set its own: call settings win, as they do over the
/// defaults of DSPy's `lm.copy(rollout_id=r, temperature=t)`.
///
/// [`BestOfN`](crate::compose::BestOfN), [`Refine`](crate::compose::Refine) and the optimizers'
/// later bootstrap rounds use it.
///
/// ```
/// use std::sync::Arc;
/// use dspy_core::adapters::Message;
/// use dspy_core::lm::{LanguageModel, LmRequest, RolloutLm};
/// use dspy_testkit::ScriptedLm;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scripted = Arc::new(ScriptedLm::new(["a", "b"]));
/// let lm = RolloutLm::wrap(scripted.clone(), 3);
/// lm.call(LmRequest::new(vec![Message::user("?")])).await.unwrap();
/// lm.call(LmRequest::new(vec![Message::user("?")]).temperature(0.2)).await.unwrap();
/// let sent = scripted.requests();
/// assert_eq!((sent[0].rollout_id, sent[0].temperature), (Some(3), Some(1.0)));
/// assert_eq!(sent[1].temperature, Some(0.2), "the call's own temperature wins");
/// # });
/// ```
#[derive(Debug)]
pub struct RolloutLm {
    inner: SharedLm,
    rollout_id: u64,
    temperature: f64,
}

impl RolloutLm {
    /// Rollout `rollout_id` at temperature 1.0 (DSPy's `lm.copy(rollout_id=r, temperature=1.0)`).
    pub fn wrap(inner: SharedLm, rollout_id: u64) -> SharedLm {
        RolloutLm::with_temperature(inner, rollout_id, 1.0)
    }

    /// Rollout `rollout_id` at `temperature`.
    pub fn with_temperature(inner: SharedLm, rollout_id: u64, temperature: f64) -> SharedLm {
        Arc::new(RolloutLm {
            inner,
            rollout_id,
            temperature,
        })
    }

    /// The wrapped LM.
    pub fn inner(&self) -> &SharedLm {
        &self.inner
    }

    /// The rollout id requests get when they set none.
    pub fn rollout_id(&self) -> u64 {
        self.rollout_id
    }

    /// The temperature requests get when they set none.
    pub fn temperature(&self) -> f64 {
        self.temperature
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

    fn supports_function_calling(&self) -> bool {
        self.inner.supports_function_calling()
    }
}
