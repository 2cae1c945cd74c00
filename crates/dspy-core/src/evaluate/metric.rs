//! [`Metric`]s and the [`Score`]s they return.

use crate::example::{Example, Prediction};
use crate::lm::BoxFuture;
use crate::trace::TraceEntry;
use crate::Error;

/// A metric's verdict on one prediction: a number (`true` is 1, `false` 0) and optional
/// feedback text (which reflective optimizers read).
///
/// ```
/// use dspy_core::evaluate::Score;
///
/// assert_eq!(Score::from(true).value, 1.0);
/// assert_eq!(Score::from(0.25).value, 0.25);
/// let s = Score::from(false).with_feedback("expected Paris");
/// assert_eq!(s.feedback.as_deref(), Some("expected Paris"));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Score {
    /// The score; DSPy sums these and reports the mean as a percentage.
    pub value: f64,
    /// Why the score is what it is.
    pub feedback: Option<String>,
}

impl Score {
    /// A score without feedback.
    pub fn new(value: f64) -> Score {
        Score {
            value,
            feedback: None,
        }
    }

    /// The score with `feedback` attached.
    pub fn with_feedback(mut self, feedback: impl Into<String>) -> Score {
        self.feedback = Some(feedback.into());
        self
    }
}

impl From<bool> for Score {
    fn from(b: bool) -> Score {
        Score::new(if b { 1.0 } else { 0.0 })
    }
}

impl From<f64> for Score {
    fn from(v: f64) -> Score {
        Score::new(v)
    }
}

impl From<f32> for Score {
    fn from(v: f32) -> Score {
        Score::new(f64::from(v))
    }
}

impl<S: Into<Score>, T: Into<String>> From<(S, T)> for Score {
    fn from((score, feedback): (S, T)) -> Score {
        score.into().with_feedback(feedback)
    }
}

/// What a metric function may return: anything that converts into a [`Score`], or a
/// `Result` of one.
pub trait IntoScore {
    /// The score, or the metric's error.
    fn into_score(self) -> Result<Score, Error>;
}

impl<S: Into<Score>> IntoScore for S {
    fn into_score(self) -> Result<Score, Error> {
        Ok(self.into())
    }
}

impl<S: Into<Score>> IntoScore for Result<S, Error> {
    fn into_score(self) -> Result<Score, Error> {
        self.map(Into::into)
    }
}

/// Judges a prediction against its example.
///
/// Any `Fn(&Example, &Prediction) -> S` closure is a metric when `S` is a `bool`, `f64`,
/// [`Score`], `(score, feedback)` or a `Result` of one; annotate the closure's argument types,
/// or wrap it in [`metric_fn`] to have them inferred. Implement the trait directly for async
/// metrics (an LM judge) or ones that read the trace (optimizers pass it; `Evaluate` passes
/// `None`).
///
/// ```
/// use dspy_core::evaluate::{Metric, Score};
/// use dspy_core::example::{Example, Prediction};
/// use dspy_core::lm::BoxFuture;
/// use dspy_core::trace::TraceEntry;
/// use dspy_core::Error;
///
/// /// Full marks for an exact answer, half for the right answer in other words.
/// struct Graded;
///
/// impl Metric for Graded {
///     fn score<'a>(
///         &'a self,
///         example: &'a Example,
///         prediction: &'a Prediction,
///         _trace: Option<&'a [TraceEntry]>,
///     ) -> BoxFuture<'a, Result<Score, Error>> {
///         Box::pin(async move {
///             let (gold, got) = (example.get_str("answer"), prediction.get_str("answer"));
///             Ok(match (gold, got) {
///                 (Some(g), Some(p)) if g == p => Score::new(1.0),
///                 (Some(g), Some(p)) if g.eq_ignore_ascii_case(p.trim()) => Score::new(0.5),
///                 _ => Score::new(0.0).with_feedback("wrong answer"),
///             })
///         })
///     }
/// }
/// ```
pub trait Metric: Send + Sync {
    /// Scores `prediction` for `example`; `trace` holds the run's predictor calls when the
    /// caller collected them.
    fn score<'a>(
        &'a self,
        example: &'a Example,
        prediction: &'a Prediction,
        trace: Option<&'a [TraceEntry]>,
    ) -> BoxFuture<'a, Result<Score, Error>>;

    /// Scores the run for one predictor: what GEPA asks when it reflects on that predictor's
    /// instructions (DSPy's five-argument metric with `pred_name` and `pred_trace` set).
    /// The feedback should say what that predictor did wrong. By default, [`score`](Metric::score).
    fn score_predictor<'a>(
        &'a self,
        example: &'a Example,
        prediction: &'a Prediction,
        trace: Option<&'a [TraceEntry]>,
        predictor: PredictorTrace<'a>,
    ) -> BoxFuture<'a, Result<Score, Error>> {
        let _ = predictor;
        self.score(example, prediction, trace)
    }
}

/// One predictor's part of a run, for [`Metric::score_predictor`]: its dotted name and its
/// calls (DSPy's `pred_name` and `pred_trace`).
#[derive(Debug, Clone, Copy)]
pub struct PredictorTrace<'a> {
    /// The predictor's dotted name (`generate_answer.predict`).
    pub name: &'a str,
    /// Its calls shown to the reflection (GEPA passes one of the run's calls, drawn as DSPy
    /// does).
    pub calls: &'a [TraceEntry],
}

/// A metric from a closure that also sees the trace and, when GEPA reflects on one predictor,
/// that predictor's name and calls (DSPy's five-argument GEPA metric). Other callers
/// (`Evaluate`, few-shot optimizers) pass `None` as the predictor.
///
/// ```
/// use dspy_core::evaluate::{feedback_fn, Score};
///
/// let metric = feedback_fn(|example, prediction, _trace, predictor| {
///     let right = example.get("answer") == prediction.get("answer");
///     match predictor {
///         Some(p) if !right => Score::from(false).with_feedback(format!(
///             "{} gave a wrong answer; expected {:?}",
///             p.name,
///             example.get("answer")
///         )),
///         // No feedback: GEPA says "This trajectory got a score of ..." instead.
///         _ => Score::from(right),
///     }
/// });
/// # let _ = metric;
/// ```
pub fn feedback_fn<F, S>(f: F) -> FeedbackFn<F>
where
    F: Fn(&Example, &Prediction, Option<&[TraceEntry]>, Option<PredictorTrace<'_>>) -> S
        + Send
        + Sync,
    S: IntoScore,
{
    FeedbackFn(f)
}

/// The metric [`feedback_fn`] makes.
#[derive(Clone)]
pub struct FeedbackFn<F>(F);

impl<F> std::fmt::Debug for FeedbackFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FeedbackFn")
    }
}

impl<F, S> Metric for FeedbackFn<F>
where
    F: Fn(&Example, &Prediction, Option<&[TraceEntry]>, Option<PredictorTrace<'_>>) -> S
        + Send
        + Sync,
    S: IntoScore,
{
    fn score<'a>(
        &'a self,
        example: &'a Example,
        prediction: &'a Prediction,
        trace: Option<&'a [TraceEntry]>,
    ) -> BoxFuture<'a, Result<Score, Error>> {
        Box::pin(std::future::ready(
            (self.0)(example, prediction, trace, None).into_score(),
        ))
    }

    fn score_predictor<'a>(
        &'a self,
        example: &'a Example,
        prediction: &'a Prediction,
        trace: Option<&'a [TraceEntry]>,
        predictor: PredictorTrace<'a>,
    ) -> BoxFuture<'a, Result<Score, Error>> {
        Box::pin(std::future::ready(
            (self.0)(example, prediction, trace, Some(predictor)).into_score(),
        ))
    }
}

impl<F, S> Metric for F
where
    F: Fn(&Example, &Prediction) -> S + Send + Sync,
    S: IntoScore,
{
    fn score<'a>(
        &'a self,
        example: &'a Example,
        prediction: &'a Prediction,
        _trace: Option<&'a [TraceEntry]>,
    ) -> BoxFuture<'a, Result<Score, Error>> {
        let score = self(example, prediction).into_score();
        Box::pin(std::future::ready(score))
    }
}

/// Helps the compiler infer a metric closure's argument types.
///
/// ```
/// use dspy_core::evaluate::metric_fn;
/// let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
/// # let _ = exact;
/// ```
pub fn metric_fn<F, S>(f: F) -> F
where
    F: Fn(&Example, &Prediction) -> S + Send + Sync,
    S: IntoScore,
{
    f
}
