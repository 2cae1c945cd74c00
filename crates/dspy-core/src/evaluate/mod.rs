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

use futures_util::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::example::{Example, Prediction};
use crate::module::Module;
use crate::{settings, Error};

pub use metric::{metric_fn, IntoScore, Metric, Score};
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

    /// Runs `program` on every example and scores it with `metric`.
    ///
    /// Returns the mean score as a percentage rounded to 2 decimals, and one row per example
    /// in dataset order. A failed example scores the failure score and keeps its error text;
    /// reaching the error limit stops the run with [`Error::TooManyErrors`]. An empty dataset
    /// is [`Error::EmptyDataset`].
    pub async fn run<P, M>(&self, program: &P, metric: &M) -> Result<EvaluationResult, Error>
    where
        P: Module + ?Sized,
        M: Metric + ?Sized,
    {
        if self.devset.is_empty() {
            return Err(Error::EmptyDataset);
        }
        let total = self.devset.len();
        let concurrency = self.num_threads.unwrap_or_else(settings::num_threads);
        let max_errors = self.max_errors.unwrap_or_else(settings::max_errors);
        let progress = self.progress_bar(total);

        // The futures are built eagerly (they do nothing until polled): a `map` closure
        // returning them would make this future's `Send` bound fail to be proven inside other
        // generic boxed futures (the optimizers').
        let pending: Vec<_> = self
            .devset
            .iter()
            .enumerate()
            .map(|(i, example)| async move { (i, evaluate_one(program, metric, example).await) })
            .collect();
        let mut outcomes = stream::iter(pending).buffer_unordered(concurrency);

        let mut rows: Vec<Option<EvaluationRow>> = (0..total).map(|_| None).collect();
        let (mut errors, mut sum) = (0usize, 0.0f64);
        while let Some((i, outcome)) = outcomes.next().await {
            let example = self.devset[i].clone();
            let row = match outcome {
                Ok((prediction, score)) => EvaluationRow {
                    example,
                    prediction,
                    score,
                    error: None,
                },
                Err(error) => {
                    errors += 1;
                    tracing::error!(example = i, %error, "evaluation of an example failed");
                    if errors >= max_errors {
                        progress.abandon();
                        return Err(Error::TooManyErrors {
                            errors,
                            max_errors,
                            last: Box::new(error),
                        });
                    }
                    EvaluationRow {
                        example,
                        prediction: Prediction::default(),
                        score: Score::new(self.failure_score),
                        error: Some(error.to_string()),
                    }
                }
            };
            sum += row.score.value;
            rows[i] = Some(row);
            let done = rows.iter().filter(|r| r.is_some()).count();
            progress.set_message(progress_text(sum, done));
            progress.inc(1);
        }
        progress.finish();

        let results: Vec<EvaluationRow> = rows.into_iter().flatten().collect();
        let total_score: f64 = results.iter().map(|r| r.score.value).sum();
        let result = EvaluationResult {
            score: round2(100.0 * total_score / total as f64),
            results,
        };
        tracing::info!(
            "Average Metric: {} / {} ({}%)",
            total_score,
            total,
            round1(100.0 * total_score / total as f64)
        );
        if let Some(rows) = self.display_table {
            println!("{}", result.table(rows));
        }
        Ok(result)
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
