//! The long-run mode of property tests: one batch by default, batches for `DSPY_FUZZ_SECONDS`
//! when set.

use std::time::{Duration, Instant};

/// Cases per property-test batch: `PROPTEST_CASES`, else 400.
pub fn proptest_cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400)
}

/// Runs `batch` once, or, when `DSPY_FUZZ_SECONDS` is set, again and again until that many
/// seconds have passed. Returns how many batches ran.
///
/// ```
/// let mut runs = 0;
/// let batches = dspy_testkit::fuzz::for_a_while(|| runs += 1);
/// assert_eq!(batches, runs);
/// assert!(batches >= 1);
/// ```
pub fn for_a_while(mut batch: impl FnMut()) -> u64 {
    let budget = std::env::var("DSPY_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs);
    let started = Instant::now();
    let mut batches = 0;
    loop {
        batch();
        batches += 1;
        match budget {
            Some(b) if started.elapsed() < b => continue,
            _ => return batches,
        }
    }
}
