//! [`Evaluate`]: run a program over a dataset, score each prediction with a [`Metric`], and
//! report the mean as a percentage, like DSPy's `dspy.Evaluate`.
//!
//! ```no_run
//! use dspy_core::evaluate::{metric_fn, Evaluate};
//! use dspy_core::example::Example;
//! use dspy_core::predict::Predict;
//!
//! # async fn run() -> Result<(), dspy_core::Error> {
//! let devset = vec![
//!     Example::new().with("question", "2 + 2?").with("answer", "4").with_inputs(["question"]),
//! ];
//! let program = Predict::parse("question -> answer").unwrap();
//! let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
//! let result = Evaluate::new(devset).num_threads(4).display_progress(true).run(&program, &exact).await?;
//! println!("{}", result.score); // e.g. 100.0
//! # Ok(())
//! # }
//! ```

mod metric;
mod result;

use std::panic::AssertUnwindSafe;

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::example::{Example, Prediction};
use crate::module::Module;
use crate::{settings, Error};

pub use metric::{feedback_fn, metric_fn, FeedbackFn, IntoScore, Metric, PredictorTrace, Score};
pub use result::{EvaluationResult, EvaluationRow};

/// Evaluates programs on a fixed dataset (DSPy's `dspy.Evaluate`).
///
/// Defaults: concurrency and error limit from [`settings`] (8 and 10), no progress bar, no
/// table, failure score 0.
#[derive(Debug, Clone)]
pub struct Evaluate {
    devset: Vec<Example>,
    num_threads: Option<usize>,
    display_progress: bool,
    display_table: Option<usize>,
    max_errors: Option<usize>,
    failure_score: f64,
    keep_outputs: bool,
}

impl Evaluate {
    /// An evaluator for `devset`. Each example's input keys must be set
    /// ([`Example::with_inputs`]).
    pub fn new(devset: Vec<Example>) -> Evaluate {
        Evaluate {
            devset,
            num_threads: None,
            display_progress: false,
            display_table: None,
            max_errors: None,
            failure_score: 0.0,
            keep_outputs: true,
        }
    }

    /// Runs at most `n` examples at once.
    pub fn num_threads(mut self, n: usize) -> Evaluate {
        self.num_threads = Some(n.max(1));
        self
    }

    /// Shows a progress bar on stderr (hidden when stderr is not a terminal).
    pub fn display_progress(mut self, show: bool) -> Evaluate {
        self.display_progress = show;
        self
    }

    /// Prints a table of the first `rows` results to stdout when done.
    pub fn display_table(mut self, rows: usize) -> Evaluate {
        self.display_table = Some(rows);
        self
    }

    /// Stops with [`Error::TooManyErrors`] once `n` examples have failed.
    pub fn max_errors(mut self, n: usize) -> Evaluate {
        self.max_errors = Some(n);
        self
    }

    /// The score given to examples whose program call or metric failed.
    pub fn failure_score(mut self, score: f64) -> Evaluate {
        self.failure_score = score;
        self
    }

    /// The dataset.
    pub fn devset(&self) -> &[Example] {
        &self.devset
    }

    /// The same evaluation on another dataset (DSPy's `evaluate(program, devset=...)`).
    ///
    /// ```
    /// use dspy_core::evaluate::Evaluate;
    /// use dspy_core::example::Example;
    /// let full = Evaluate::new(vec![Example::new(); 10]).num_threads(4);
    /// let batch = full.clone().with_devset(vec![Example::new(); 3]);
    /// assert_eq!(batch.devset().len(), 3);
    /// ```
    pub fn with_devset(mut self, devset: Vec<Example>) -> Evaluate {
        self.devset = devset;
        self
    }

    /// Keeps each row's example and prediction (the default). With `false` the rows keep only
    /// their score and error (example and prediction left empty), so a very large evaluation
    /// holds a few dozen bytes per example.
    pub fn keep_outputs(mut self, keep: bool) -> Evaluate {
        self.keep_outputs = keep;
        self
    }

    /// Runs `program` on every example and scores it with `metric`.
    ///
    /// Returns the mean score as a percentage rounded to 2 decimals, and one row per example
    /// in dataset order. A failed example (an error, or a panic in the program or the metric)
    /// scores the failure score and keeps its error text; the others go on. Reaching the error
    /// limit stops the run with [`Error::TooManyErrors`], which carries the rows finished so
    /// far. An empty dataset is [`Error::EmptyDataset`].
    pub async fn run<P, M>(&self, program: &P, metric: &M) -> Result<EvaluationResult, Error>
    where
        P: Module + ?Sized,
        M: Metric + ?Sized,
    {
        if self.devset.is_empty() {
            return Err(Error::EmptyDataset);
        }
        let total = self.devset.len();
        let concurrency = self
            .num_threads
            .unwrap_or_else(settings::num_threads)
            .max(1);
        let max_errors = self.max_errors.unwrap_or_else(settings::max_errors);
        let progress = self.progress_bar(total);

        // At most `concurrency` examples are in flight; each is started only when a slot frees,
        // so memory does not grow with the dataset beyond the rows themselves.
        let mut in_flight = FuturesUnordered::new();
        let mut next = 0usize;
        let mut rows: Vec<Option<EvaluationRow>> = (0..total).map(|_| None).collect();
        let (mut errors, mut done, mut sum) = (0usize, 0usize, 0.0f64);
        loop {
            while next < total && in_flight.len() < concurrency {
                let (i, example) = (next, &self.devset[next]);
                in_flight.push(async move {
                    let run = AssertUnwindSafe(evaluate_one(program, metric, example));
                    (
                        i,
                        run.catch_unwind()
                            .await
                            .unwrap_or_else(|p| Err(panicked(p))),
                    )
                });
                next += 1;
            }
            let Some((i, outcome)) = in_flight.next().await else {
                break;
            };
            let row = match outcome {
                Ok((prediction, score)) => self.row(i, prediction, score, None),
                Err(error) => {
                    errors += 1;
                    tracing::error!(example = i, %error, "evaluation of an example failed");
                    if errors >= max_errors {
                        progress.abandon();
                        let finished: Vec<EvaluationRow> = rows.into_iter().flatten().collect();
                        return Err(Error::TooManyErrors {
                            errors,
                            max_errors,
                            last: Box::new(error),
                            partial: Some(Box::new(EvaluationResult::of(finished))),
                            predictions: None,
                        });
                    }
                    let text = error.to_string();
                    self.row(
                        i,
                        Prediction::default(),
                        Score::new(self.failure_score),
                        Some(text),
                    )
                }
            };
            sum += row.score.value;
            rows[i] = Some(row);
            done += 1;
            if self.display_progress {
                progress.set_message(progress_text(sum, done));
            }
            progress.inc(1);
        }
        progress.finish();

        let result = EvaluationResult::of(rows.into_iter().flatten().collect());
        tracing::info!(
            "Average Metric: {} / {} ({}%)",
            sum,
            total,
            round1(100.0 * sum / total as f64)
        );
        if let Some(rows) = self.display_table {
            println!("{}", result.table(rows));
        }
        Ok(result)
    }

    fn row(
        &self,
        i: usize,
        prediction: Prediction,
        score: Score,
        error: Option<String>,
    ) -> EvaluationRow {
        let (example, prediction) = if self.keep_outputs {
            (self.devset[i].clone(), prediction)
        } else {
            (Example::default(), Prediction::default())
        };
        EvaluationRow {
            example,
            prediction,
            score,
            error,
        }
    }

    fn progress_bar(&self, total: usize) -> ProgressBar {
        if !self.display_progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{msg}: {percent:>3}%|{wide_bar}| {pos}/{len} [{elapsed}<{eta}]",
        ) {
            bar.set_style(style);
        }
        bar.set_message(progress_text(0.0, 0));
        bar
    }
}

/// Runs the program on one example and scores it.
async fn evaluate_one<P, M>(
    program: &P,
    metric: &M,
    example: &Example,
) -> Result<(Prediction, Score), Error>
where
    P: Module + ?Sized,
    M: Metric + ?Sized,
{
    let inputs = example.inputs()?.into_values();
    let prediction = program.forward(inputs).await?;
    let score = metric.score(example, &prediction, None).await?;
    Ok((prediction, score))
}

/// A panic in the program or the metric, as the error of its example.
fn panicked(payload: Box<dyn std::any::Any + Send>) -> Error {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".to_string());
    Error::custom(format!("the program or the metric panicked: {message}"))
}

/// DSPy's progress text: `Average Metric: 2.00 / 3 (66.7%)`.
fn progress_text(sum: f64, done: usize) -> String {
    let pct = if done == 0 {
        0.0
    } else {
        round1(100.0 * sum / done as f64)
    };
    format!("Average Metric: {sum:.2} / {done} ({pct}%)")
}

/// Python's `round(x, 2)` (correctly rounded, ties to even on the exact binary value).
pub(crate) fn round2(x: f64) -> f64 {
    format!("{x:.2}").parse().unwrap_or(x)
}

fn round1(x: f64) -> f64 {
    format!("{x:.1}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_matches_python() {
        // Python: round(200/3, 2) == 66.67, round(0.125, 2) == 0.12, round(2.675, 2) == 2.67
        assert_eq!(round2(200.0 / 3.0), 66.67);
        assert_eq!(round2(0.125), 0.12);
        assert_eq!(round2(2.675), 2.67);
        assert_eq!(round2(100.0), 100.0);
    }
}
