//! Asks the local model one question: `cargo run --release -p dspy-local --example chat -- "question"`.

use dspy_core::adapters::Message;
use dspy_core::lm::{LanguageModel, LmRequest};
use dspy_local::LocalLm;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let question = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "What is the capital of France?".to_string());
    let lm = match LocalLm::local_default() {
        Ok(lm) => lm,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    eprintln!(
        "loaded {} in {:.2?} ({} threads)",
        lm.path().display(),
        lm.load_time(),
        lm.threads()
    );
    let started = std::time::Instant::now();
    match lm
        .call(LmRequest::new(vec![Message::user(question)]).max_tokens(64))
        .await
    {
        Ok(r) => {
            println!("{}", r.first_text().unwrap_or_default());
            eprintln!("{:?} in {:.2?}", r.usage, started.elapsed());
        }
        Err(e) => eprintln!("error: {e}"),
    }
}
