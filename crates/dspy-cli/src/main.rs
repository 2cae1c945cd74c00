//! `dspy`: look into programs saved as DSPy JSON (by this crate or by Python DSPy), print the
//! exact prompt a saved predictor sends, and chat with the embedded model.
//!
//! ```text
//! dspy inspect program.json
//! dspy prompt program.json --signature "question -> answer" --input question="Why?"
//! dspy chat
//! dspy serve program.json --signature "question -> answer" --model openai/gpt-4o-mini
//! ```

mod chat;
mod error;
mod inspect;
mod prompt;
mod saved;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// DSPy for Rust on the command line.
#[derive(Debug, Parser)]
#[command(name = "dspy", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lists a saved program's predictors: instructions, fields and demos.
    Inspect {
        /// A program saved as DSPy JSON.
        file: PathBuf,
        /// Show every demo in full instead of a one-line summary each.
        #[arg(long)]
        demos: bool,
    },
    /// Prints the messages a saved predictor sends for the given inputs.
    ///
    /// A saved file holds no field names or types, so the predictor's signature is given as a
    /// DSPy string signature, e.g. "question, context: list[str] -> answer".
    Prompt {
        /// A program saved as DSPy JSON.
        file: PathBuf,
        /// The predictor's signature as a DSPy string signature.
        #[arg(long, short)]
        signature: String,
        /// Which predictor (its name in the file); needed when the file has several.
        #[arg(long, short)]
        predictor: Option<String>,
        /// An input as name=value (a value that is JSON is read as JSON, else as text).
        #[arg(long = "input", short, value_name = "NAME=VALUE")]
        inputs: Vec<String>,
        /// The adapter that formats the messages.
        #[arg(long, value_enum, default_value_t = AdapterArg::Chat)]
        adapter: AdapterArg,
        /// Print the messages as a JSON list of {"role", "content"}.
        #[arg(long)]
        json: bool,
    },
    /// Chats with the embedded local model (one line per turn; an empty line or EOF ends).
    Chat {
        /// A `local/...` model name or a GGUF path.
        #[arg(long, default_value = dspy_local::DEFAULT_MODEL)]
        model: String,
        /// Most tokens per answer.
        #[arg(long, default_value_t = 256)]
        max_tokens: u32,
    },
    /// Serves a saved predictor as an HTTP JSON endpoint: `POST /predict` with the inputs as a
    /// JSON object runs it, `GET /predict/schema` gives the input and output JSON Schemas.
    ///
    /// Prints `listening on http://ADDR` first; Ctrl-C (or SIGTERM) stops it after the
    /// requests in flight finish.
    Serve {
        /// A program saved as DSPy JSON.
        file: PathBuf,
        /// The predictor's signature as a DSPy string signature.
        #[arg(long, short)]
        signature: String,
        /// Which predictor (its name in the file); needed when the file has several.
        #[arg(long, short)]
        predictor: Option<String>,
        /// The model: a provider string (keys and base URLs from the environment, e.g.
        /// OPENAI_API_KEY) or `local/...` for the embedded model.
        #[arg(long, short, default_value = "openai/gpt-4o-mini")]
        model: String,
        /// The address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8000")]
        addr: String,
        /// Most requests run at once; more get 503.
        #[arg(long, default_value_t = dspy_serve::DEFAULT_CONCURRENCY_LIMIT)]
        concurrency: usize,
    },
}

/// The adapters `prompt` can format with.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum AdapterArg {
    /// DSPy's ChatAdapter.
    Chat,
    /// DSPy's JSONAdapter.
    Json,
    /// DSPy's XMLAdapter.
    Xml,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { file, demos } => inspect::run(&file, demos),
        Command::Prompt {
            file,
            signature,
            predictor,
            inputs,
            adapter,
            json,
        } => prompt::run(&prompt::Args {
            file,
            signature,
            predictor,
            inputs,
            adapter,
            json,
        }),
        Command::Chat { model, max_tokens } => chat::run(&model, max_tokens),
        Command::Serve {
            file,
            signature,
            predictor,
            model,
            addr,
            concurrency,
        } => serve::run(&serve::Args {
            file,
            signature,
            predictor,
            model,
            addr,
            concurrency,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
