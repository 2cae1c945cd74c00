//! `dspy serve` on the program Python DSPy saved (the ReAct fixture): its `react` predictor
//! answers over HTTP, with its LM the mock OpenAI-compatible server.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use dspy_testkit::{chat_completion, MockConfig, MockServer, Responder};
use serde_json::{json, Value};

const REACT_SIGNATURE: &str = "question, trajectory -> next_thought, \
    next_tool_name: Literal['lookup', 'add', 'finish'], next_tool_args: dict[str, Any]";

/// Kills the server however the test ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_with_the_saved_predictor() {
    let answer = chat_completion([
        ("next_thought", "I know it."),
        ("next_tool_name", "finish"),
        ("next_tool_args", "{}"),
    ]);
    let config = MockConfig::new().responder(Responder::new(move |_| answer.clone()));
    let mock = MockServer::start(config).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../dspy-core/tests/fixtures/modules/react-saved.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let file = dir.path().join("react.json");
    std::fs::write(&file, fixture["saved"].to_string()).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_dspy"))
        .args(["serve", file.to_str().unwrap(), "--predictor", "react"])
        .args(["--signature", REACT_SIGNATURE, "--model", "openai/x"])
        .args(["--addr", "127.0.0.1:0", "--concurrency", "4"])
        .env("OPENAI_BASE_URL", mock.base_url())
        .env("OPENAI_API_KEY", "test-key")
        // `Lm::new` caches on disk when the `disk-cache` feature is on: a fresh cache per run.
        .env("DSPY_RS_CACHEDIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dspy runs");
    let stdout = child.stdout.take().unwrap();
    let server = Killed(child);
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_string();

    let response = reqwest::Client::new()
        .post(format!("{base}/predict"))
        .json(&json!({"question": "What is 2 + 3?", "trajectory": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"next_thought": "I know it.", "next_tool_name": "finish", "next_tool_args": {}})
    );
    assert_eq!(mock.requests(), 1);

    let schema: Value = reqwest::get(format!("{base}/predict/schema"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        schema["output"]["properties"]["next_tool_name"]["enum"],
        json!(["lookup", "add", "finish"])
    );
    drop(server);
}

#[test]
fn serve_reports_a_bad_signature() {
    let out = Command::new(env!("CARGO_BIN_EXE_dspy"))
        .args(["serve", "missing.json", "--signature", "question ->"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
}
