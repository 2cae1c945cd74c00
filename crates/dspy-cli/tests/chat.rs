//! `dspy chat` on the embedded model: a line in, an answer out (skips with a message, or
//! fails under CI, when the model file is absent).

#[path = "../../dspy-local/tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn chat_answers_a_line() {
    if support::model_or_skip().is_none() {
        return;
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_dspy"))
        .args(["chat", "--max-tokens", "16"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dspy runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"Say hello.\n\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(!answer.trim().is_empty(), "no answer");
}
