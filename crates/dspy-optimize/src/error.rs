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
}

impl From<OptimizeError> for dspy_core::Error {
    fn from(e: OptimizeError) -> dspy_core::Error {
        dspy_core::Error::optimize(e)
    }
}
