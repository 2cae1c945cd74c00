//! Errors of the local backend.

use dspy_core::lm::LmError;

/// The command that downloads and prepares the default model.
pub const FETCH_COMMAND: &str = "bash scripts/fetch-model.sh";

/// What can go wrong loading or running a local model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// The model file is not there.
    #[error("local model file {path} not found; fetch it with `{FETCH_COMMAND}` (from the dspy-rs checkout), or pass the path of a GGUF file")]
    ModelMissing {
        /// Where it was looked for.
        path: String,
    },
    /// The model string names no known local model.
    #[error(
        "unknown local model {name:?}; use `local/smollm2-135m` or the path of a `.gguf` file"
    )]
    UnknownModel {
        /// The name given.
        name: String,
    },
    /// Reading a file failed.
    #[error("could not read {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The GGUF file lacks something the backend needs, or holds something it cannot run.
    #[error("unsupported or damaged GGUF model: {message}; use a llama-family chat model in GGUF (e.g. re-run `{FETCH_COMMAND}`)")]
    Model {
        /// What is wrong.
        message: String,
    },
    /// The tokenizer metadata cannot be used.
    #[error("cannot build the tokenizer from the GGUF metadata: {message}")]
    Tokenizer {
        /// What is wrong.
        message: String,
    },
    /// The chat template failed to parse or render.
    #[error("the model's chat template failed: {message}; pass a template with `LocalLmOptions::chat_template`")]
    Template {
        /// What went wrong.
        message: String,
    },
    /// The prompt and the requested completion do not fit the context window.
    #[error("the prompt has {prompt} tokens and the context window is {context}; use fewer demos or shorter inputs, or raise `LocalLmOptions::context_length`")]
    ContextLength {
        /// Prompt tokens.
        prompt: usize,
        /// Context window.
        context: usize,
    },
    /// A tensor operation failed.
    #[error("inference failed: {message}")]
    Compute {
        /// What went wrong.
        message: String,
    },
    /// The request queue is full.
    #[error("the local model's request queue is full ({capacity} waiting); lower concurrency or raise `LocalLmOptions::queue_capacity`")]
    QueueFull {
        /// Queue capacity.
        capacity: usize,
    },
    /// The worker thread is gone (it failed to start or stopped).
    #[error("the local model's worker thread stopped; create the LocalLm again")]
    WorkerGone,
    /// An option is out of range.
    #[error("invalid option: {message}")]
    InvalidOption {
        /// What is wrong.
        message: String,
    },
}

impl From<candle_core::Error> for LocalError {
    fn from(e: candle_core::Error) -> LocalError {
        LocalError::Compute {
            message: e.to_string(),
        }
    }
}

impl From<LocalError> for LmError {
    fn from(e: LocalError) -> LmError {
        match e {
            LocalError::ContextLength { .. } => LmError::ContextLength {
                message: e.to_string(),
            },
            LocalError::QueueFull { .. } => LmError::RateLimited { retry_after: None },
            LocalError::InvalidOption { .. } => LmError::InvalidRequest {
                status: 400,
                message: e.to_string(),
            },
            LocalError::Compute { .. } | LocalError::WorkerGone => LmError::Server {
                status: 500,
                message: e.to_string(),
                retry_after: None,
            },
            _ => LmError::config(e.to_string()),
        }
    }
}

impl From<LocalError> for dspy_core::Error {
    /// A local-model error as the LM error it is, so `?` works in programs.
    fn from(e: LocalError) -> dspy_core::Error {
        dspy_core::Error::Lm(LmError::from(e))
    }
}
