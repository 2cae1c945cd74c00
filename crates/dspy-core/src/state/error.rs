//! [`StateError`]: a saved program that could not be read, written or applied.

use std::path::PathBuf;

/// Why saving or loading a program's state failed.
///
/// Each variant names the file, the predictor (by its dotted name, `self` for a bare
/// predictor) and the field when they are known.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The file could not be read or written.
    #[error("could not access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not JSON (or the state could not be written as JSON).
    #[error("{path} is not a valid saved program: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// Only `.json` state files are supported.
    ///
    /// ```
    /// use dspy_core::module::ModuleExt;
    /// use dspy_core::predict::Predict;
    ///
    /// let err = Predict::parse("q -> a").unwrap().save("program.pkl").unwrap_err();
    /// assert!(err.to_string().contains(".json"));
    /// ```
    #[error("{path}: programs are saved as `.json` files (DSPy's pickle formats are not supported); use a path ending in `.json`")]
    UnsupportedPath {
        /// The path given.
        path: PathBuf,
    },
    /// The file has no state for one of the program's predictors.
    ///
    /// ```
    /// use dspy_core::module::ModuleExt;
    /// use dspy_core::predict::ChainOfThought;
    ///
    /// let mut cot = ChainOfThought::parse("q -> a").unwrap();
    /// let err = cot.load_state(&serde_json::json!({"metadata": {}})).unwrap_err();
    /// assert!(err.to_string().contains("`predict`"));
    /// ```
    #[error("the saved program has no state for predictor `{predictor}` (it has: {available}); was it saved from a program with the same structure?")]
    MissingPredictor {
        /// The predictor's dotted name.
        predictor: String,
        /// The predictor names the file has.
        available: String,
    },
    /// A predictor's state is missing a key or has one of the wrong type.
    ///
    /// ```
    /// use dspy_core::module::ModuleExt;
    /// use dspy_core::predict::Predict;
    ///
    /// let mut p = Predict::parse("q -> a").unwrap();
    /// let err = p.load_state(&serde_json::json!({"demos": 3})).unwrap_err();
    /// assert!(err.to_string().contains("`demos`"));
    /// ```
    #[error("predictor `{predictor}`: `{key}` {problem}")]
    Shape {
        /// The predictor's dotted name.
        predictor: String,
        /// The key, e.g. `signature.instructions` or `demos[2]`.
        key: String,
        /// What is wrong, e.g. `should be a list`.
        problem: String,
    },
    /// The saved signature has a different number of fields than the program's.
    #[error("predictor `{predictor}`: the file has {found} signature fields but the program's signature has {expected} ({fields}); load it into a program built from the same signature")]
    FieldCount {
        /// The predictor's dotted name.
        predictor: String,
        /// Fields in the program's signature.
        expected: usize,
        /// Fields in the file.
        found: usize,
        /// The program's field names, inputs then outputs.
        fields: String,
    },
    /// A saved field entry lacks its `prefix` or `description`.
    #[error("predictor `{predictor}`, field `{field}` (number {position} in the file): `{key}` is missing or not a string")]
    Field {
        /// The predictor's dotted name.
        predictor: String,
        /// The program's field at that position.
        field: String,
        /// 1-based position in `signature.fields`.
        position: usize,
        /// `prefix` or `description`.
        key: String,
    },
    /// The file uses the `extended_signature` key of DSPy 2.5 and older.
    #[error("predictor `{predictor}`: `extended_signature` (DSPy 2.5 and older) is not supported; re-save the program with DSPy 2.6 or later")]
    LegacyExtendedSignature {
        /// The predictor's dotted name.
        predictor: String,
    },
    /// The program holds a value nested deeper than a saved file may be (serde_json's limit
    /// of 128 levels), so the file could not be loaded again; nothing was written.
    #[error("{path}: the program holds a value nested deeper than 128 levels (a demo or a field default?), which could not be loaded back; nothing was written. Flatten that value before saving")]
    TooDeep {
        /// The file that was not written.
        path: PathBuf,
    },
}
