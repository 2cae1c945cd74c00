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
    Prompt(prompt::Args),
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
    Serve(serve::Args),
}

/// A predictor in a saved program, read with its string signature.
#[derive(Debug, clap::Args)]
struct SavedPredictor {
    /// A program saved as DSPy JSON.
    file: PathBuf,
    /// The predictor's signature as a DSPy string signature.
    #[arg(long, short)]
    signature: String,
    /// Which predictor (its name in the file); needed when the file has several.
    #[arg(long, short)]
    predictor: Option<String>,
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
        Command::Prompt(args) => prompt::run(&args),
        Command::Chat { model, max_tokens } => chat::run(&model, max_tokens),
        Command::Serve(args) => serve::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
