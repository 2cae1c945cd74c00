//! `dspy chat`: a conversation with the embedded model.

use std::io::{BufRead, Write};

use dspy_adapters::Message;
use dspy_core::lm::{LanguageModel, LmRequest};
use dspy_local::{LocalLm, LocalLmOptions};

use crate::error::CliError;

/// Most turns kept in the conversation sent to the model (older ones are dropped).
const MAX_TURNS: usize = 16;

/// Reads a line, answers it, until an empty line or the end of input.
pub(crate) fn run(model: &str, max_tokens: u32) -> Result<(), CliError> {
    let options = LocalLmOptions::default().constrain_chat_format(false);
    let lm = LocalLm::new(model, options).map_err(dspy_core::lm::LmError::from)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Terminal)?;
    let stdin = std::io::stdin();
    let mut history: Vec<Message> = Vec::new();
    eprintln!("chatting with {model}; an empty line ends");
    loop {
        eprint!("> ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        if stdin
            .lock()
            .read_line(&mut line)
            .map_err(CliError::Terminal)?
            == 0
        {
            break;
        }
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        history.push(Message::user(line));
        let request = LmRequest::new(history.clone()).max_tokens(max_tokens);
        let response = runtime.block_on(lm.call(request))?;
        let answer = response.first_text().unwrap_or_default().trim().to_string();
        println!("{answer}");
        history.push(Message::assistant(answer));
        if history.len() > 2 * MAX_TURNS {
            history.drain(..2);
        }
    }
    Ok(())
}
