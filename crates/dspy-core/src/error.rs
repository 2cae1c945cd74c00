//! The error every module, predictor and evaluator returns.

use dspy_adapters::signature::SignatureSyntaxError;
use dspy_adapters::ParseError;

use crate::lm::LmError;
use crate::signature::ValuesError;
use crate::state::StateError;
use crate::tool::ToolError;

/// What went wrong while running a program.
///
/// LM failures and unparseable completions convert into it with `?`:
///
/// ```
/// use dspy_core::{lm::LmError, Error};
///
/// fn call() -> Result<(), Error> {
///     Err(LmError::config("no model file"))?
/// }
/// assert!(matches!(call(), Err(Error::Lm(_))));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No LM was given to the call, set on the predictor, scoped or configured.
    ///
    /// ```
    /// use dspy_core::Error;
    /// assert!(Error::NoLm.to_string().contains("settings::configure"));
    /// ```
    #[error("no LM is loaded; configure one with `dspy_core::settings::configure(lm)`, scope one with `settings::with_lm(lm, fut)`, or set it on the predictor with `Predict::set_lm`")]
    NoLm,
    /// The LM call failed.
    #[error(transparent)]
    Lm(#[from] LmError),
    /// The LM answered, but its completion could not be parsed into the signature's outputs
    /// (after the JSON fallback, when it applies). Boxed to keep `Result`s small.
    #[error(transparent)]
    Parse(Box<ParseError>),
    /// A typed input could not be turned into values, or the parsed values do not fit a typed
    /// output struct; the message names the field.
    ///
    /// ```
    /// use dspy_core::signature::from_values;
    /// use dspy_core::Error;
    ///
    /// #[derive(serde::Deserialize, Debug)]
    /// struct Out { answer: i64 }
    ///
    /// let mut values = dspy_core::adapters::Values::new();
    /// values.insert("answer".into(), serde_json::json!("four"));
    /// let err = Error::from(from_values::<Out>(values).unwrap_err());
    /// assert!(matches!(err, Error::Values(_)));
    /// assert!(err.to_string().starts_with("field `answer`: invalid type"));
    /// ```
    #[error(transparent)]
    Values(#[from] ValuesError),
    /// [`Example::inputs`](crate::example::Example::inputs) was called on an example whose input
    /// keys were never set.
    ///
    /// ```
    /// use dspy_core::example::Example;
    /// let err = Example::new().inputs().unwrap_err();
    /// assert!(err.to_string().contains("with_inputs"));
    /// ```
    #[error(
        "inputs have not been set for this example; use `example.with_inputs([...])` to set them"
    )]
    InputsNotSet,
    /// A signature's tool fields do not fit native function calling: a `ToolCalls` output
    /// without a tools input, or a tools value that is missing or not a tool.
    #[error("{0}")]
    FunctionCalling(String),
    /// A saved program could not be read or does not fit the program.
    #[error(transparent)]
    State(#[from] StateError),
    /// An evaluation or batch was given no examples.
    ///
    /// ```
    /// use dspy_core::Error;
    /// assert!(Error::EmptyDataset.to_string().contains("empty"));
    /// ```
    #[error("the dataset is empty; pass at least one example")]
    EmptyDataset,
    /// A batch or evaluation stopped after too many failures.
    #[error(
        "execution cancelled after {errors} errors (max_errors = {max_errors}); last error: {last}"
    )]
    TooManyErrors {
        /// Failures counted when it stopped.
        errors: usize,
        /// The configured limit.
        max_errors: usize,
        /// The last failure.
        last: Box<Error>,
        /// What finished before the stop, when an evaluation stopped: its rows (in dataset
        /// order, the examples still running or never started missing) and their mean score.
        partial: Option<Box<crate::evaluate::EvaluationResult>>,
        /// What finished before the stop, when a [`Parallel`](crate::compose::Parallel) run
        /// stopped: one entry per item in input order, `Some` for each item that succeeded.
        predictions: Option<Box<[Option<crate::example::Prediction>]>>,
    },
    /// Every attempt of a [`BestOfN`](crate::compose::BestOfN) or
    /// [`Refine`](crate::compose::Refine) failed within its failure budget (or there were no
    /// attempts), so there is no prediction to return. DSPy returns `None` here.
    ///
    /// ```
    /// use dspy_core::compose::BestOfN;
    /// use dspy_core::predict::Predict;
    /// use dspy_core::{lm::LmError, module::Module, Error};
    /// use dspy_testkit::ScriptedLm;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let down = || Err(LmError::config("the server is down"));
    /// let qa = Predict::parse("question -> answer").unwrap()
    ///     .with_lm(std::sync::Arc::new(ScriptedLm::from_results([down(), down()])));
    /// let best = BestOfN::new(qa, 2, |_: &_, _: &_| 1.0, 1.0).fail_count(2);
    /// let inputs = [("question".to_string(), "2 + 2?".into())].into_iter().collect();
    /// let err = best.forward(inputs).await.unwrap_err();
    /// assert!(matches!(err, Error::AllAttemptsFailed { attempts: 2, .. }), "{err}");
    /// # });
    /// ```
    #[error("{}", attempts_failed(*attempts, last.as_deref()))]
    AllAttemptsFailed {
        /// The attempts made.
        attempts: usize,
        /// The last attempt's error, if an attempt failed.
        last: Option<Box<Error>>,
    },
    /// [`MultiChainComparison`](crate::compose::MultiChainComparison) got a different number of
    /// completions than the `M` it was built for.
    ///
    /// ```
    /// use dspy_core::compose::MultiChainComparison;
    /// use dspy_core::Error;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mcc = MultiChainComparison::parse("question -> answer", 3).unwrap();
    /// let err = mcc.compare(&[], Default::default()).await.unwrap_err();
    /// assert!(matches!(err, Error::WrongAttemptCount { expected: 3, got: 0 }), "{err}");
    /// # });
    /// ```
    #[error("MultiChainComparison was built for M = {expected} attempts but got {got} completions; build it with M = {got} or pass {expected} completions")]
    WrongAttemptCount {
        /// The `M` it was built for.
        expected: usize,
        /// The completions it got.
        got: usize,
    },
    /// A completion given to [`MultiChainComparison`](crate::compose::MultiChainComparison)
    /// lacks a field it reads, or its signature has no output field to compare.
    ///
    /// ```
    /// use dspy_core::compose::MultiChainComparison;
    /// use dspy_core::{adapters::Values, Error};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mcc = MultiChainComparison::parse("question -> answer", 1).unwrap();
    /// let completion: Values = [("answer".to_string(), "4".into())].into_iter().collect();
    /// let err = mcc.compare(&[completion], Default::default()).await.unwrap_err();
    /// assert!(matches!(&err, Error::MissingCompletionField { index: 0, field } if field == "rationale"), "{err}");
    /// # });
    /// ```
    #[error("completion {index} has no `{field}` field; MultiChainComparison reads each completion's reasoning (`rationale` or `reasoning`) and its last output field, so pass the completions of a ChainOfThought over the same signature")]
    MissingCompletionField {
        /// Which completion (0-based).
        index: usize,
        /// The field it lacks.
        field: String,
    },
    /// An optimizer was given programs or data it cannot work with. Optimizers live in their
    /// own crate (`dspy-optimize`), whose `OptimizeError` converts into this variant with `?`;
    /// [`downcast_ref`](std::error::Error) on the boxed error gets it back.
    ///
    /// ```
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("the trainset is empty")]
    /// struct EmptyTrainset;
    ///
    /// let e = dspy_core::Error::optimize(EmptyTrainset);
    /// assert!(e.to_string().contains("trainset"));
    /// ```
    #[error(transparent)]
    Optimize(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A string signature (`Predict::parse("question -> answer")`) does not parse.
    #[error(transparent)]
    Signature(#[from] SignatureSyntaxError),
    /// A tool run outside an agent ([`Tool::execute`](crate::tool::Tool::execute)) failed.
    #[error(transparent)]
    Tool(#[from] ToolError),
    /// A response cache level (disk file, Redis URL) could not be set up.
    #[cfg(any(feature = "disk-cache", feature = "redis-cache"))]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "disk-cache", feature = "redis-cache"))))]
    #[error(transparent)]
    Cache(#[from] crate::layer::cache::CacheError),
    /// A metric or a user callback failed.
    #[error("{0}")]
    Custom(String),
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Error {
        Error::Parse(Box::new(e))
    }
}

/// The message of [`Error::AllAttemptsFailed`].
fn attempts_failed(attempts: usize, last: Option<&Error>) -> String {
    match (attempts, last) {
        (0, _) => "no attempt was made (N is 0); build BestOfN or Refine with N of at least 1".to_string(),
        (n, Some(last)) => format!(
            "all {n} attempts failed or scored NaN, so there is no prediction to return; last error: {last}; check the LM and the program, or allow more attempts (N)"
        ),
        (n, None) => format!(
            "none of the {n} attempts got a reward above -infinity (NaN rewards?), so there is no prediction to return; make the reward function return a number"
        ),
    }
}

impl Error {
    /// An error with a message of your own (for metrics and custom modules).
    ///
    /// ```
    /// let e = dspy_core::Error::custom("the gold answer is missing");
    /// assert_eq!(e.to_string(), "the gold answer is missing");
    /// ```
    pub fn custom(message: impl Into<String>) -> Error {
        Error::Custom(message.into())
    }

    /// An optimizer's error (see [`Error::Optimize`]).
    pub fn optimize(error: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::Optimize(Box::new(error))
    }
}
