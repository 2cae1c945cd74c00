//! `dspy inspect` and `dspy prompt` on a program saved by Python DSPy 3.4.1 (the ReAct program
//! of `scripts/record_module_fixtures.py`): `prompt` prints the very messages Python sent.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dspy-core/tests/fixtures/modules/react-saved.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON")
}

/// The program Python saved, as a file.
fn saved_file(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("react.json");
    std::fs::write(&path, fixture()["saved"].to_string()).unwrap();
    path
}

fn dspy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dspy"))
        .args(args)
        .output()
        .expect("dspy runs")
}

const REACT_SIGNATURE: &str = "question, trajectory -> next_thought, \
    next_tool_name: Literal['lookup', 'add', 'finish'], next_tool_args: dict[str, Any]";

#[test]
fn inspect_lists_predictors_instructions_and_demos() {
    let dir = tempfile::tempdir().unwrap();
    let file = saved_file(&dir);
    let out = dspy(&["inspect", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("2 predictor(s)"), "{stdout}");
    assert!(stdout.contains("predictor `react`"), "{stdout}");
    assert!(stdout.contains("predictor `extract.predict`"), "{stdout}");
    assert!(stdout.contains("You are an Agent."), "{stdout}");
    assert!(
        stdout.contains("Next Tool Name: ${next_tool_name}"),
        "{stdout}"
    );
    assert!(stdout.contains("demos (1):"), "{stdout}");
    assert!(stdout.contains("saved with: "), "{stdout}");
}

#[test]
fn prompt_prints_the_messages_python_sent() {
    let dir = tempfile::tempdir().unwrap();
    let file = saved_file(&dir);
    let case = fixture();
    let question = case["config"]["inputs"]["question"].as_str().unwrap();
    let out = dspy(&[
        "prompt",
        file.to_str().unwrap(),
        "--predictor",
        "react",
        "--signature",
        REACT_SIGNATURE,
        "--input",
        &format!("question={question}"),
        "--input",
        "trajectory=",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours: Value = serde_json::from_slice(&out.stdout).expect("JSON messages");
    assert_eq!(ours, case["first_react_messages"]);
}

#[test]
fn clear_errors_for_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = saved_file(&dir);
    let file = file.to_str().unwrap();

    let several = dspy(&["prompt", file, "--signature", "question -> answer"]);
    assert!(!several.status.success());
    let stderr = String::from_utf8_lossy(&several.stderr);
    assert!(
        stderr.contains("--predictor") && stderr.contains("`react`"),
        "{stderr}"
    );

    let wrong = dspy(&[
        "prompt",
        file,
        "-p",
        "react",
        "--signature",
        "question -> answer",
    ]);
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        !wrong.status.success() && stderr.contains("does not fit"),
        "{stderr}"
    );

    let bad_input = dspy(&[
        "prompt",
        file,
        "-p",
        "react",
        "-s",
        REACT_SIGNATURE,
        "-i",
        "oops",
    ]);
    let stderr = String::from_utf8_lossy(&bad_input.stderr);
    assert!(stderr.contains("name=value"), "{stderr}");

    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{\"a\": 1}").unwrap();
    let not_program = dspy(&["inspect", garbage.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&not_program.stderr);
    assert!(stderr.contains("not a saved DSPy program"), "{stderr}");

    let missing = dspy(&["inspect", "/nonexistent/program.json"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("could not read"));
}
