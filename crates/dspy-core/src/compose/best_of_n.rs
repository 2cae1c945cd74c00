//! [`BestOfN`]: run a module up to N times and keep the best-rewarded prediction.

use std::sync::Arc;

use dspy_adapters::Values;

use super::attempt::{check_lms, Attempts, Rollout};
use super::reward::{Reward, SharedReward};
use crate::example::Prediction;
use crate::lm::BoxFuture;
use crate::module::{naming, Module};
use crate::predict::Predict;
use crate::{settings, Error};

/// DSPy's `dspy.BestOfN`: runs a module up to `n` times and returns the first prediction whose
/// reward reaches `threshold`, else the one with the highest reward.
///
/// Attempt `i` runs on a copy of the module whose predictors call their LM (their own, else the
/// scoped or global one) as rollout `start + i` at temperature 1.0 (a
/// [`RolloutLm`](crate::lm::RolloutLm): the call's own settings win, as over the defaults of
/// DSPy's `lm.copy(rollout_id=..., temperature=1.0)`), under a fresh trace. The best attempt's
/// predictor calls are appended to the caller's [`trace`](crate::trace), named by the module's
/// own predictors so optimizers see them.
///
/// A failed attempt (an error from the module or the reward) counts against
/// [`fail_count`](BestOfN::fail_count) (default `n`) exactly as in DSPy: attempt `idx` (from
/// 0) fails the whole call with its error when `idx > fail_count`, else `fail_count` goes down
/// by one. When every attempt fails within the budget the call is
/// [`Error::AllAttemptsFailed`] (DSPy returns `None`).
///
/// Its predictors are the module's, under the field name `module` (as in DSPy, where
/// `BestOfN(module=...)` holds it in `self.module`): a bare predictor is `module`, a chain of
/// thought's is `module.predict`.
///
/// Differences from DSPy: predictors with different LMs each get their own LM wrapped (DSPy
/// refuses a module with several LMs); the rollout ids start at
/// [`rollout_start`](BestOfN::rollout_start) (DSPy starts at the LM's own `rollout_id`, which
/// a Rust LM does not expose); the budget is per call (DSPy decrements the instance's
/// `fail_count`, so it shrinks across calls).
///
/// ```
/// use std::sync::Arc;
/// use dspy_core::compose::{reward_fn, BestOfN};
/// use dspy_core::module::{Module, ModuleExt};
/// use dspy_core::predict::ChainOfThought;
/// use dspy_testkit::ScriptedLm;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let lm = Arc::new(ScriptedLm::from_outputs([
///     [("reasoning", "It is the capital."), ("answer", "The city of Brussels")],
///     [("reasoning", "It is the capital."), ("answer", "Brussels")],
/// ]));
/// let qa = ChainOfThought::parse("question -> answer").unwrap();
/// let one_word = reward_fn(|_, pred| pred.get_str("answer").is_some_and(|a| !a.contains(' ')));
/// let mut best = BestOfN::new(qa, 3, one_word, 1.0);
/// best.set_lm(lm.clone());
///
/// let inputs = [("question".to_string(), "What is the capital of Belgium?".into())];
/// let pred = best.forward(inputs.into_iter().collect()).await.unwrap();
/// assert_eq!(pred.get_str("answer"), Some("Brussels"));
/// let rollouts: Vec<_> = lm.requests().iter().map(|r| (r.rollout_id, r.temperature)).collect();
/// assert_eq!(rollouts, [(Some(0), Some(1.0)), (Some(1), Some(1.0))]);
/// assert_eq!(best.named_predictors()[0].0, "module.predict");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct BestOfN<M> {
    module: M,
    n: usize,
    reward: SharedReward,
    threshold: f64,
    fail_count: Option<usize>,
    rollout_start: u64,
}

impl<M: Module + Clone> BestOfN<M> {
    /// Up to `n` attempts of `module`, scored by `reward`, stopping at the first reward of at
    /// least `threshold`.
    pub fn new(module: M, n: usize, reward: impl Reward + 'static, threshold: f64) -> BestOfN<M> {
        BestOfN {
            module,
            n,
            reward: SharedReward(Arc::new(reward)),
            threshold,
            fail_count: None,
            rollout_start: 0,
        }
    }

    /// The failure budget (DSPy's `fail_count`; `n` when unset or 0, as DSPy's
    /// `fail_count or N`).
    pub fn fail_count(mut self, fail_count: usize) -> BestOfN<M> {
        self.fail_count = Some(fail_count);
        self
    }

    /// The rollout id of the first attempt (0 unless set).
    pub fn rollout_start(mut self, start: u64) -> BestOfN<M> {
        self.rollout_start = start;
        self
    }

    /// The module it runs.
    pub fn module(&self) -> &M {
        &self.module
    }

    /// Mutable access to the module it runs.
    pub fn module_mut(&mut self) -> &mut M {
        &mut self.module
    }

    /// The most attempts per call.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The reward that stops the attempts.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    async fn run(&self, inputs: Values) -> Result<Prediction, Error> {
        let base = settings::lm();
        check_lms(&self.module, base.as_ref())?;
        let mut attempts = Attempts::new("BestOfN", self.n, self.fail_count);
        for idx in 0..self.n {
            let rollout_id = self.rollout_start.wrapping_add(idx as u64);
            let rollout = Rollout::new(&self.module, base.as_ref(), rollout_id);
            match rollout.run(&inputs, &*self.reward.0).await {
                Ok(attempt) => {
                    attempts.keep(&rollout, &attempt);
                    if attempt.reward >= self.threshold {
                        break;
                    }
                }
                Err(error) => attempts.fail(idx, rollout_id, error)?,
            }
        }
        attempts.finish()
    }
}

impl<M: Module + Clone> Module for BestOfN<M> {
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        Box::pin(self.run(inputs))
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        naming::nest("module", self.module.named_predictors())
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        naming::nest("module", self.module.named_predictors_mut())
    }
}
