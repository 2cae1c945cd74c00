//! Shared by the tests that run the real model.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

/// The model file (`DSPY_LOCAL_MODEL`, else the default model in the cache), or `None` with a
/// message saying how to fetch it when it is absent.
pub fn model_path() -> Option<&'static PathBuf> {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = std::env::var_os("DSPY_LOCAL_MODEL")
            .map(PathBuf::from)
            .or_else(|| dspy_local::resolve_model(dspy_local::DEFAULT_MODEL).ok())?;
        if path.is_file() {
            Some(path)
        } else {
            eprintln!(
                "SKIPPED: model file {} not found; run `bash scripts/fetch-model.sh` to run this test",
                path.display()
            );
            None
        }
    })
    .as_ref()
}

/// A two-worker runtime, like a small application's.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}
