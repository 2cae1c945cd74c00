//! The error every module, predictor and evaluator returns.

use dspy_adapters::ParseError;

use crate::lm::LmError;
use crate::signature::ValuesError;
use crate::state::StateError;

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
    /// A metric or a user callback failed.
    #[error("{0}")]
    Custom(String),
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Error {
        Error::Parse(Box::new(e))
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
