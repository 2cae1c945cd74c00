//! The README's hosted-model program, built as a crate that depends only on `dspy` (feature
//! `openai`) and tokio, runs against the mock OpenAI server; and the README shows this very
//! program.

use std::process::Command;

use dspy_testkit::{MockConfig, MockServer};

#[tokio::test(flavor = "multi_thread")]
async fn runs_against_the_mock_server() {
    let server = MockServer::start(MockConfig::new().record_requests(true))
        .await
        .expect("mock server");
    let base = server.base_url();
    // `Lm::new` caches on disk when the workspace turns `disk-cache` on: a fresh cache per run.
    let cache = tempfile::tempdir().expect("a temporary folder");
    let cache_dir = cache.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_hosted"))
            .env("OPENAI_API_KEY", "sk-test")
            .env("OPENAI_BASE_URL", base)
            .env("DSPY_RS_CACHEDIR", cache_dir)
            .output()
            .expect("the program starts")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(stdout.contains("(because: "), "{stdout}");
    assert!(stdout.contains("1 LM call(s)"), "{stdout}");
    assert_eq!(server.requests(), 1);
    let body = server.recorded()[0].json().expect("a JSON body");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert!(body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .contains("`reasoning`"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_key_it_says_which_variable_to_set() {
    let output = Command::new(env!("CARGO_BIN_EXE_hosted"))
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_BASE")
        .output()
        .expect("the program starts");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("OPENAI_API_KEY"), "{stderr}");
}

#[test]
fn the_readme_shows_this_program() {
    let program = include_str!("../src/main.rs");
    let start = program.find("use dspy::prelude::*;").unwrap();
    let end = program
        .find("// README: hosted-model program (end)")
        .unwrap();
    let body = &program[start..end];
    let readme = include_str!("../../../README.md");
    assert!(
        readme.contains(body.trim_end()),
        "README.md must show examples/hosted/src/main.rs between its markers verbatim"
    );
}
