//! What can go wrong, and what to do about it.

use std::path::PathBuf;

/// A command failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The file could not be read.
    #[error("could not read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("{} is not JSON ({source}); pass a program saved with `save` (DSPy JSON)", path.display())]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    /// The file is JSON but not a saved program.
    #[error("{} is not a saved DSPy program: {problem}", path.display())]
    NotAProgram { path: PathBuf, problem: String },
    /// `--predictor` is needed or names no predictor.
    #[error("{0}")]
    Predictor(String),
    /// `--signature` does not parse.
    #[error("the signature does not parse: {0}")]
    Signature(#[from] dspy_adapters::signature::SignatureSyntaxError),
    /// The saved state does not fit the signature.
    #[error("the saved predictor does not fit the signature: {0}")]
    State(#[from] dspy_core::state::StateError),
    /// An `--input` is not `name=value`.
    #[error("an input must be written name=value, got `{0}`")]
    Input(String),
    /// The local model failed.
    #[error(transparent)]
    Lm(#[from] dspy_core::lm::LmError),
    /// The server could not bind its address or start its runtime.
    #[error("could not serve: {0}")]
    Serve(std::io::Error),
    /// The server failed.
    #[error(transparent)]
    Server(#[from] dspy_serve::ServeError),
    /// Reading the terminal failed.
    #[error("could not read the terminal: {0}")]
    Terminal(std::io::Error),
}
