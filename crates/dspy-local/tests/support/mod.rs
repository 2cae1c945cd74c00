//! Shared by the tests that run the real model.
//!
//! A test that needs the model calls [`model_or_skip`] first. When the model file is absent:
//! - under CI (`CI` set, and not `false` or `0`) the test FAILS, saying how to fetch the model,
//!   so a CI run can never be green with these tests empty;
//! - elsewhere the test returns early after writing `SKIPPED: <test>: <why and how to fetch>`
//!   straight to the process's stderr. libtest captures only `print!`/`eprint!` output, so the
//!   line shows in a plain `cargo test` run, beside the test's `... ok` (libtest has no
//!   runtime "skipped" result: the test still counts as passed).

#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// How to get the model, for the skip and failure messages.
const HOW_TO_FETCH: &str =
    "fetch it with `bash scripts/fetch-model.sh` (or point DSPY_LOCAL_MODEL at a copy)";

/// The model file: `DSPY_LOCAL_MODEL`, else the default model in the cache. `Err` says where it
/// was looked for.
pub fn model_path() -> Result<&'static Path, &'static str> {
    static PATH: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PATH.get_or_init(|| {
        let path = match std::env::var_os("DSPY_LOCAL_MODEL").filter(|p| !p.is_empty()) {
            Some(path) => PathBuf::from(path),
            None => dspy_local::resolve_model(dspy_local::DEFAULT_MODEL)
                .map_err(|e| format!("the default model has no path: {e}"))?,
        };
        if path.is_file() {
            Ok(path)
        } else {
            Err(format!("model file {} not found", path.display()))
        }
    });
    found.as_deref().map_err(String::as_str)
}

/// The model file, or `None` when it is absent and the calling test should return: it has
/// then printed `SKIPPED: ..`. Under CI an absent model fails the calling test instead.
pub fn model_or_skip() -> Option<&'static Path> {
    let why = match model_path() {
        Ok(path) => return Some(path),
        Err(why) => why,
    };
    // libtest names each test's thread after the test.
    let current = std::thread::current();
    let test = current.name().unwrap_or("a local-model test");
    if is_ci(std::env::var_os("CI").as_deref()) {
        panic!("{test} needs the local model under CI: {why}; {HOW_TO_FETCH}");
    }
    // One write of the whole line, so lines of tests running in parallel do not interleave.
    let line = format!("SKIPPED: {test}: {why}; {HOW_TO_FETCH}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    None
}

/// Whether the value of the `CI` environment variable means "running under CI": set and not
/// empty, `false` or `0` (GitHub Actions, GitLab CI and most others set `CI=true`).
pub fn is_ci(value: Option<&OsStr>) -> bool {
    let Some(value) = value else { return false };
    let value = value.to_string_lossy();
    let value = value.trim();
    !(value.is_empty() || value.eq_ignore_ascii_case("false") || value == "0")
}

/// A two-worker runtime, like a small application's.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn ci_is_detected_from_the_ci_variable() {
    let ci = |v: &str| is_ci(Some(OsStr::new(v)));
    assert!(!is_ci(None));
    for off in ["", " ", "false", "FALSE", "False", "0"] {
        assert!(!ci(off), "CI={off:?} is not CI");
    }
    for on in ["true", "1", "yes", "TRUE", "woodpecker"] {
        assert!(ci(on), "CI={on:?} is CI");
    }
}
