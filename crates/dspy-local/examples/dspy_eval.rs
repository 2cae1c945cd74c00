//! Does the local model follow DSPy's chat format? Ten easy questions through `ChatAdapter`
//! (`question -> answer`), zero-shot and with three demos, each with and without constrained
//! decoding. Prints how many completions parse (an `answer` section with a value) and how many
//! hold the expected answer, and the wall time (prefix KV reuse makes the demo runs cheap).
//!
//! `cargo run --release -p dspy-local --example dspy_eval`

use std::time::Instant;

use dspy_core::adapters::{Adapter, ChatAdapter, SignatureSpec, Values};
use dspy_core::lm::{LanguageModel, LmRequest};
use dspy_local::LocalLm;
use serde_json::json;

const QA: [(&str, &str); 10] = [
    ("What is the capital of France?", "paris"),
    ("What color is the sky on a clear day?", "blue"),
    ("How many legs does a dog have?", "4"),
    ("What is 2 + 3?", "5"),
    ("Which animal says meow?", "cat"),
    ("What is the opposite of hot?", "cold"),
    ("What is the capital of Japan?", "tokyo"),
    ("How many days are in a week?", "7"),
    ("What do bees make?", "honey"),
    ("What is frozen water called?", "ice"),
];

fn values(pairs: &[(&str, &str)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

/// The `answer` section's value, if the completion has one.
fn answer(completion: &str) -> Option<String> {
    let at = completion.find("[[ ## answer ## ]]")? + "[[ ## answer ## ]]".len();
    let rest = &completion[at..];
    let end = rest.find("[[ ##").unwrap_or(rest.len());
    let v = rest[..end].trim();
    (!v.is_empty()).then(|| v.to_string())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let lm = match LocalLm::local_default() {
        Ok(lm) => lm,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let spec = SignatureSpec::parse("question -> answer").expect("signature");
    let demos = [
        values(&[
            ("question", "What is the capital of Italy?"),
            ("answer", "Rome"),
        ]),
        values(&[
            ("question", "How many wheels does a bicycle have?"),
            ("answer", "2"),
        ]),
        values(&[("question", "What color is grass?"), ("answer", "Green")]),
    ];
    for (label, demos) in [("zero-shot", &demos[..0]), ("3 demos", &demos[..])] {
        for constrain in [false, true] {
            let (mut parsed, mut correct, mut completion_tokens) = (0, 0, 0);
            let started = Instant::now();
            let limit: usize = std::env::var("DSPY_EVAL_N")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(QA.len());
            for (q, want) in QA.into_iter().take(limit) {
                let messages = ChatAdapter.format(&spec, demos, &values(&[("question", q)]));
                let mut request = LmRequest::new(messages).max_tokens(48);
                request
                    .extra
                    .insert("constrain_chat_format".into(), json!(constrain));
                match lm.call(request).await {
                    Ok(r) => {
                        completion_tokens += r.usage.completion_tokens;
                        let text = r.first_text().unwrap_or_default();
                        if std::env::var_os("DSPY_EVAL_SHOW").is_some() {
                            println!("--- {q}\n{text}");
                        }
                        if let Some(a) = answer(text) {
                            parsed += 1;
                            if a.to_lowercase().contains(want) {
                                correct += 1;
                            }
                        }
                    }
                    Err(e) => eprintln!("error: {e}"),
                }
            }
            println!(
                "{label:<9} constrained={constrain:<5}  parsed {parsed}/{limit}  correct {correct}/{limit}  {:.1}s  ({completion_tokens} completion tokens)",
                started.elapsed().as_secs_f64()
            );
        }
    }
}
