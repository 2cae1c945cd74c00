//! [`OptimizeError`]: why an optimizer refused its inputs.

/// Why an optimizer could not run.
///
/// Converts into [`Error::Optimize`](dspy_core::Error::Optimize) with `?`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OptimizeError {
    /// The optimizer needs training examples and got none.
    ///
    /// ```
    /// use dspy_optimize::OptimizeError;
    /// assert!(OptimizeError::EmptyTrainset.to_string().contains("empty"));
    /// ```
    #[error("the trainset is empty; pass at least one example")]
    EmptyTrainset,
    /// The teacher's predictors do not line up with the student's (names or signatures).
    ///
    /// ```
    /// use dspy_optimize::OptimizeError;
    /// let e = OptimizeError::TeacherMismatch { reason: "3 predictors vs 2".into() };
    /// assert!(e.to_string().contains("same program structure"));
    /// ```
    #[error("student and teacher must have the same program structure: {reason}")]
    TeacherMismatch {
        /// What differs.
        reason: String,
    },
    /// An ensemble was given no programs.
    ///
    /// ```
    /// use dspy_optimize::OptimizeError;
    /// assert!(OptimizeError::NoPrograms.to_string().contains("program"));
    /// ```
    #[error("an ensemble needs at least one program")]
    NoPrograms,
    /// A setting is out of range.
    ///
    /// ```
    /// use dspy_optimize::OptimizeError;
    /// let e = OptimizeError::InvalidSetting { setting: "breadth", reason: "is 1; needs more than 1".into() };
    /// assert_eq!(e.to_string(), "invalid `breadth`: is 1; needs more than 1");
    /// ```
    #[error("invalid `{setting}`: {reason}")]
    InvalidSetting {
        /// The setting's name.
        setting: &'static str,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The trainset (or valset) is too small for what the optimizer does with it.
    ///
    /// ```
    /// use dspy_optimize::OptimizeError;
    /// let e = OptimizeError::TooFewExamples { needed: 2, got: 1, what: "trainset (no valset given)" };
    /// assert!(e.to_string().contains("at least 2"));
    /// ```
    #[error("the {what} has {got} examples; it needs at least {needed}")]
    TooFewExamples {
        /// Examples needed.
        needed: usize,
        /// Examples given.
        got: usize,
        /// Which set.
        what: &'static str,
    },
}

impl From<OptimizeError> for dspy_core::Error {
    fn from(e: OptimizeError) -> dspy_core::Error {
        dspy_core::Error::optimize(e)
    }
}
