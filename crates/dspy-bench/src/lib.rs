//! Benchmark binaries, kept out of the library crates so their dependencies (hyper, nix) never
//! reach a user's build. Each is an example of this crate, run in release mode:
//!
//! - `lm_stack_bench`: the full LM client stack against the test kit's mock server, beside bare
//!   `reqwest` on the same mock.
//! - `latency_floor`: the same calls without our code (plain TCP, tokio, reqwest, hyper).
//! - `client_throughput`: chat completions per second through `OpenAiClient`.
//! - `optimize_bench`: `BootstrapFewShotWithRandomSearch` against the mock, wall time beside
//!   the limit its LM calls allow.
//!
//! ```text
//! cargo run --release -p dspy-bench --example lm_stack_bench -- --runs 15
//! ```
//!
//! BENCHMARKS.md records their figures.

#![forbid(unsafe_code)]
