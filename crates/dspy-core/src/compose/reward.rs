//! [`Reward`]: how [`BestOfN`](super::BestOfN) and [`Refine`](super::Refine) score an attempt.

use std::fmt;
use std::sync::Arc;

use dspy_adapters::Values;

use crate::evaluate::IntoScore;
use crate::example::Prediction;
use crate::lm::BoxFuture;
use crate::Error;

/// Scores one attempt from the program's inputs and its prediction (DSPy's
/// `reward_fn(args, pred)`); higher is better.
///
/// Any `Fn(&Values, &Prediction) -> S` closure is a reward when `S` is a `bool`, `f64`,
/// [`Score`](crate::evaluate::Score) or a `Result` of one; annotate the argument types or wrap
/// the closure in [`reward_fn`]. An error counts as a failed attempt, as an exception in DSPy's
/// reward function does. Implement the trait directly for an async reward (an LM judge); its
/// predictor calls are left out of the trace, as in DSPy.
///
/// ```
/// use dspy_core::adapters::Values;
/// use dspy_core::compose::Reward;
/// use dspy_core::example::Prediction;
/// use dspy_core::lm::BoxFuture;
/// use dspy_core::Error;
///
/// /// 1.0 for a one-word answer, else 0.0.
/// struct OneWord;
///
/// impl Reward for OneWord {
///     fn reward<'a>(&'a self, _inputs: &'a Values, prediction: &'a Prediction) -> BoxFuture<'a, Result<f64, Error>> {
///         let words = prediction.get_str("answer").map_or(0, |a| a.split_whitespace().count());
///         Box::pin(async move { Ok(if words == 1 { 1.0 } else { 0.0 }) })
///     }
/// }
/// ```
pub trait Reward: Send + Sync {
    /// The reward of `prediction`, made from `inputs`.
    fn reward<'a>(
        &'a self,
        inputs: &'a Values,
        prediction: &'a Prediction,
    ) -> BoxFuture<'a, Result<f64, Error>>;
}

impl<F, S> Reward for F
where
    F: Fn(&Values, &Prediction) -> S + Send + Sync,
    S: IntoScore,
{
    fn reward<'a>(
        &'a self,
        inputs: &'a Values,
        prediction: &'a Prediction,
    ) -> BoxFuture<'a, Result<f64, Error>> {
        let value = self(inputs, prediction).into_score().map(|s| s.value);
        Box::pin(std::future::ready(value))
    }
}

/// Helps the compiler infer a reward closure's argument types.
///
/// ```
/// use dspy_core::compose::reward_fn;
/// let one_word = reward_fn(|_, pred| pred.get_str("answer").is_some_and(|a| !a.contains(' ')));
/// # let _ = one_word;
/// ```
pub fn reward_fn<F, S>(f: F) -> F
where
    F: Fn(&Values, &Prediction) -> S + Send + Sync,
    S: IntoScore,
{
    f
}

/// A reward held by a module.
#[derive(Clone)]
pub(crate) struct SharedReward(pub(crate) Arc<dyn Reward>);

impl fmt::Debug for SharedReward {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<reward fn>")
    }
}
