//! `dspy serve`: a saved predictor as an HTTP JSON endpoint at `/predict`.

use std::io::Write;
use std::sync::Arc;

use dspy_core::lm::{Lm, LmError, SharedLm};
use dspy_local::{LocalLm, LocalLmOptions};
use dspy_serve::{shutdown_signal, Server};
use tokio::net::TcpListener;

use crate::error::CliError;
use crate::{prompt, SavedPredictor};

/// What `serve` takes.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    saved: SavedPredictor,
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
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub(crate) fn run(args: &Args) -> Result<(), CliError> {
    let predict = prompt::load(&args.saved)?;
    let predict = predict.with_lm(lm(&args.model)?);
    let server = Server::new()
        .concurrency_limit(args.concurrency)
        .predict("predict", predict);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Serve)?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&args.addr)
            .await
            .map_err(CliError::Serve)?;
        let addr = listener.local_addr().map_err(CliError::Serve)?;
        println!("listening on http://{addr}");
        let _ = std::io::stdout().flush();
        eprintln!(
            "POST http://{addr}/predict runs the predictor; GET http://{addr}/predict/schema \
             has its schemas; Ctrl-C stops"
        );
        server.serve(listener, shutdown_signal()).await?;
        Ok(())
    })
}

/// The LM a model string names: the embedded model for `local/...` or a GGUF path, else a
/// provider's client configured from the environment.
fn lm(model: &str) -> Result<SharedLm, CliError> {
    if model.starts_with("local/") || model.ends_with(".gguf") {
        let local = LocalLm::new(model, LocalLmOptions::default()).map_err(LmError::from)?;
        Ok(Arc::new(local))
    } else {
        Ok(Lm::new(model)?.shared())
    }
}
