//! What [`BestOfN`](super::BestOfN) and [`Refine`](super::Refine) share: a rollout copy of the
//! module per attempt, DSPy's failure budget, and the best attempt so far.

use std::collections::HashMap;

use dspy_adapters::Values;

use super::reward::Reward;
use crate::example::Prediction;
use crate::lm::{RolloutLm, SharedLm};
use crate::module::Module;
use crate::predict::PredictorId;
use crate::trace::{self, TraceEntry};
use crate::Error;

/// Fails with [`Error::NoLm`] when a predictor has no LM of its own and none is scoped or
/// configured (DSPy fails on `lm.kwargs` before the first attempt).
pub(crate) fn check_lms<M: Module + ?Sized>(
    module: &M,
    base: Option<&SharedLm>,
) -> Result<(), Error> {
    let orphan = module
        .named_predictors()
        .iter()
        .any(|(_, p)| p.lm().is_none());
    if orphan && base.is_none() {
        return Err(Error::NoLm);
    }
    Ok(())
}

/// A copy of the module for one attempt, whose predictors call their own LM (or `base`, the
/// LM scoped when the call started) as rollout `rollout_id` at temperature 1.0.
pub(crate) struct Rollout<M> {
    pub(crate) module: M,
    /// The copy's predictor ids, mapped to the original's.
    ids: HashMap<PredictorId, PredictorId>,
}

/// One attempt that ran: its prediction, the predictor calls it made and its reward.
pub(crate) struct Attempt {
    pub(crate) prediction: Prediction,
    pub(crate) trace: Vec<TraceEntry>,
    pub(crate) reward: f64,
}

impl<M: Module + Clone> Rollout<M> {
    pub(crate) fn new(original: &M, base: Option<&SharedLm>, rollout_id: u64) -> Rollout<M> {
        let mut module = original.clone();
        for (_, p) in module.named_predictors_mut() {
            if let Some(lm) = p.lm().cloned().or_else(|| base.cloned()) {
                p.set_lm(Some(RolloutLm::wrap(lm, rollout_id)));
            }
        }
        let ids = module
            .named_predictors()
            .iter()
            .zip(original.named_predictors())
            .map(|((_, copy), (_, orig))| (copy.id(), orig.id()))
            .collect();
        Rollout { module, ids }
    }

    /// Runs the copy on `inputs` under a fresh trace, then scores it. The reward's own
    /// predictor calls are left out of every trace (DSPy copies the trace first).
    pub(crate) async fn run(&self, inputs: &Values, reward: &dyn Reward) -> Result<Attempt, Error> {
        let (prediction, trace) = trace::with_trace(self.module.forward(inputs.clone())).await;
        let prediction = prediction?;
        let (reward, _) = trace::with_trace(reward.reward(inputs, &prediction)).await;
        Ok(Attempt {
            prediction,
            trace,
            reward: reward?,
        })
    }

    /// The trace with the copy's predictors named by the original's ids, so optimizers map
    /// the calls to the module's own predictors.
    fn remap(&self, trace: &[TraceEntry]) -> Vec<TraceEntry> {
        trace
            .iter()
            .map(|entry| {
                let mut entry = entry.clone();
                if let Some(id) = self.ids.get(&entry.predictor) {
                    entry.predictor = *id;
                }
                entry
            })
            .collect()
    }
}

/// The search over attempts: DSPy's failure budget and the best attempt so far.
pub(crate) struct Attempts {
    what: &'static str,
    n: usize,
    /// DSPy's `self.fail_count`, decremented per failure.
    fail_count: i64,
    best: Option<(f64, Prediction, Vec<TraceEntry>)>,
    last_error: Option<Error>,
}

impl Attempts {
    /// `fail_count` of `None` or 0 means `n` (DSPy's `fail_count or N`).
    pub(crate) fn new(what: &'static str, n: usize, fail_count: Option<usize>) -> Attempts {
        let fail_count = fail_count.filter(|&c| c != 0).unwrap_or(n);
        Attempts {
            what,
            n,
            fail_count: i64::try_from(fail_count).unwrap_or(i64::MAX),
            best: None,
            last_error: None,
        }
    }

    /// Keeps `attempt` if its reward beats the best so far (`reward > best_reward`, starting
    /// from minus infinity, so a NaN reward is never kept).
    pub(crate) fn keep<M: Module + Clone>(&mut self, rollout: &Rollout<M>, attempt: &Attempt) {
        let best = self.best.as_ref().map_or(f64::NEG_INFINITY, |b| b.0);
        if attempt.reward > best {
            let trace = rollout.remap(&attempt.trace);
            self.best = Some((attempt.reward, attempt.prediction.clone(), trace));
        }
    }

    /// Counts the failure of attempt `idx` as DSPy does: it is returned when
    /// `idx > fail_count`, else `fail_count` goes down by one and the search goes on.
    pub(crate) fn fail(&mut self, idx: usize, rollout_id: u64, error: Error) -> Result<(), Error> {
        // DSPy's messages: BestOfN numbers the attempt, Refine does not.
        if self.what == "BestOfN" {
            let n = idx + 1;
            tracing::warn!("BestOfN: Attempt {n} failed with rollout id {rollout_id}: {error}");
        } else {
            tracing::warn!(
                "{}: Attempt failed with rollout id {rollout_id}: {error}",
                self.what
            );
        }
        if i64::try_from(idx).unwrap_or(i64::MAX) > self.fail_count {
            return Err(error);
        }
        self.fail_count -= 1;
        self.last_error = Some(error);
        Ok(())
    }

    /// The best prediction, its calls appended to the caller's trace; or
    /// [`Error::AllAttemptsFailed`] when no attempt got one.
    pub(crate) fn finish(self) -> Result<Prediction, Error> {
        match self.best {
            Some((_, prediction, trace)) => {
                for entry in trace {
                    trace::record(entry);
                }
                Ok(prediction)
            }
            None => Err(Error::AllAttemptsFailed {
                attempts: self.n,
                last: self.last_error.map(Box::new),
            }),
        }
    }
}
