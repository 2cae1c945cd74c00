//! [`Parallel`]: many (module, inputs) pairs at once, with a concurrency limit and an error
//! budget (DSPy's `dspy.Parallel`).

use std::panic::AssertUnwindSafe;

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;

use dspy_adapters::Values;

use crate::example::{Example, Prediction};
use crate::module::{Module, ModuleField};
use crate::predict::Predict;
use crate::{settings, Error};

/// One result per pair, in input order: the prediction, or why that pair failed.
pub type ParallelResults = Vec<Result<Prediction, Error>>;

/// Runs (module, inputs) pairs concurrently and returns their results in input order (DSPy's
/// `dspy.Parallel`).
///
/// At most [`num_threads`](Parallel::num_threads) pairs run at once (default
/// [`settings::num_threads`]); they run as concurrent futures on the calling task, so
/// [`settings`] scopes and [`trace`](crate::trace) buffers around the call cover them. A pair
/// that fails (an error, or a panic in the module) keeps its error in its slot and the others
/// go on; once [`max_errors`](Parallel::max_errors) pairs have failed (default
/// [`settings::max_errors`]), the run stops with [`Error::TooManyErrors`], whose `predictions`
/// hold every prediction finished so far, in input order (pairs still running are dropped).
/// An empty list gives an empty result.
///
/// ```
/// use std::sync::Arc;
/// use dspy_core::compose::Parallel;
/// use dspy_core::predict::Predict;
/// use dspy_core::adapters::Values;
/// use dspy_testkit::ScriptedLm;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let lm = Arc::new(ScriptedLm::from_fn(|r| {
///     let asks_spain = r.messages.last().is_some_and(|m| m.content.contains("Spain"));
///     let answer = if asks_spain { "Madrid" } else { "12" };
///     format!("[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]")
/// }));
/// let qa = Predict::parse("question -> answer").unwrap().with_lm(lm);
/// let ask = |q: &str| -> Values { [("question".to_string(), q.into())].into_iter().collect() };
/// let pairs = vec![(&qa, ask("What is the capital of Spain?")), (&qa, ask("What is 3 * 4?"))];
/// let results = Parallel::new().num_threads(2).run(pairs).await.unwrap();
/// let answers: Vec<_> = results.iter().map(|r| r.as_ref().unwrap().get_str("answer").unwrap()).collect();
/// assert_eq!(answers, ["Madrid", "12"]);
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct Parallel {
    num_threads: Option<usize>,
    max_errors: Option<usize>,
}

impl Parallel {
    /// A runner with the default limits from [`settings`].
    pub fn new() -> Parallel {
        Parallel::default()
    }

    /// Runs at most `n` pairs at once (at least one).
    pub fn num_threads(mut self, n: usize) -> Parallel {
        self.num_threads = Some(n.max(1));
        self
    }

    /// Stops with [`Error::TooManyErrors`] once `n` pairs have failed.
    pub fn max_errors(mut self, n: usize) -> Parallel {
        self.max_errors = Some(n);
        self
    }

    /// Runs every pair; see the [type docs](Parallel) for limits and failures. For modules of
    /// different types, pass `&dyn Module`.
    pub async fn run<'m, M, I>(&self, pairs: I) -> Result<ParallelResults, Error>
    where
        M: Module + ?Sized + 'm,
        I: IntoIterator<Item = (&'m M, Values)>,
    {
        let jobs = pairs
            .into_iter()
            .map(|(module, inputs)| (module, Ok(inputs)));
        self.run_jobs(jobs.collect()).await
    }

    /// Runs `module` on the inputs of every example (DSPy's `access_examples=True`); an
    /// example without input keys fails its slot with [`Error::InputsNotSet`].
    pub async fn run_examples<M>(
        &self,
        module: &M,
        examples: &[Example],
    ) -> Result<ParallelResults, Error>
    where
        M: Module + ?Sized,
    {
        let jobs = examples
            .iter()
            .map(|e| (module, e.inputs().map(Example::into_values)));
        self.run_jobs(jobs.collect()).await
    }

    async fn run_jobs<M>(
        &self,
        jobs: Vec<(&M, Result<Values, Error>)>,
    ) -> Result<ParallelResults, Error>
    where
        M: Module + ?Sized,
    {
        let total = jobs.len();
        let concurrency = self
            .num_threads
            .unwrap_or_else(settings::num_threads)
            .max(1);
        let max_errors = self.max_errors.unwrap_or_else(settings::max_errors);
        let mut pending = jobs.into_iter().enumerate();
        let mut in_flight = FuturesUnordered::new();
        let mut slots: Vec<Option<Result<Prediction, Error>>> = (0..total).map(|_| None).collect();
        let mut errors = 0usize;
        loop {
            while in_flight.len() < concurrency {
                let Some((i, (module, inputs))) = pending.next() else {
                    break;
                };
                in_flight.push(async move {
                    let run = async move { module.forward(inputs?).await };
                    let outcome = AssertUnwindSafe(run)
                        .catch_unwind()
                        .await
                        .unwrap_or_else(|p| Err(panicked(p)));
                    (i, outcome)
                });
            }
            let Some((i, outcome)) = in_flight.next().await else {
                break;
            };
            let outcome = match outcome {
                Err(error) => {
                    errors += 1;
                    tracing::error!(item = i, %error, "a parallel item failed");
                    if errors >= max_errors {
                        let predictions: Vec<Option<Prediction>> =
                            slots.into_iter().map(|s| s.and_then(Result::ok)).collect();
                        return Err(Error::TooManyErrors {
                            errors,
                            max_errors,
                            last: Box::new(error),
                            partial: None,
                            predictions: Some(predictions.into_boxed_slice()),
                        });
                    }
                    Err(error)
                }
                ok => ok,
            };
            slots[i] = Some(outcome);
        }
        // Every slot is filled once the queue and the in-flight set are empty.
        Ok(slots
            .into_iter()
            .map(|s| s.unwrap_or_else(|| Err(Error::custom("the item never ran"))))
            .collect())
    }
}

/// A `Parallel` holds no predictors, so a `#[module]` struct may keep one as a field.
impl ModuleField for Parallel {
    fn collect_predictors<'a>(&'a self, _: &str, _: &mut Vec<(String, &'a Predict)>) {}

    fn collect_predictors_mut<'a>(&'a mut self, _: &str, _: &mut Vec<(String, &'a mut Predict)>) {}
}

/// A panic in a module, as the error of its item.
fn panicked(payload: Box<dyn std::any::Any + Send>) -> Error {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".to_string());
    Error::custom(format!("the module panicked: {message}"))
}
