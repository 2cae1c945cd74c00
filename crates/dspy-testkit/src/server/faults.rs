//! Deciding which requests get a fault.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::{Fault, MockConfig};

/// The fault plan of one server: fail-first counts and seeded random draws.
#[derive(Debug)]
pub(super) struct FaultPlan {
    fail_first: u32,
    fail_first_fault: Fault,
    /// Attempts seen per distinct body hash (only used when `fail_first > 0`).
    attempts: Mutex<HashMap<u64, u32>>,
    /// `failure_rate` as a threshold on 53-bit draws.
    threshold: u64,
    faults: Vec<Fault>,
    seed: u64,
    draws: AtomicU64,
}

impl FaultPlan {
    pub(super) fn new(config: &MockConfig) -> FaultPlan {
        let faults = if config.faults.is_empty() {
            vec![Fault::ServerError]
        } else {
            config.faults.clone()
        };
        FaultPlan {
            fail_first: config.fail_first,
            fail_first_fault: config.fail_first_fault.clone(),
            attempts: Mutex::new(HashMap::new()),
            threshold: (config.failure_rate * (1u64 << 53) as f64) as u64,
            faults,
            seed: config.seed,
            draws: AtomicU64::new(0),
        }
    }

    /// The fault for a request with this body, if it gets one.
    pub(super) fn decide(&self, body: &[u8]) -> Option<Fault> {
        if self.fail_first > 0 {
            let mut hasher = DefaultHasher::new();
            body.hash(&mut hasher);
            let key = hasher.finish();
            let mut attempts = self
                .attempts
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let seen = attempts.entry(key).or_insert(0);
            *seen = seen.saturating_add(1);
            if *seen <= self.fail_first {
                return Some(self.fail_first_fault.clone());
            }
        }
        if self.threshold == 0 {
            return None;
        }
        let index = self.draws.fetch_add(1, Ordering::Relaxed);
        draw(self.seed, index, self.threshold, &self.faults).cloned()
    }
}

/// The fault of draw number `index`: a pure function of the seed and the index (a generator
/// seeded from both), so concurrent requests see the same plan in any arrival order.
fn draw(seed: u64, index: u64, threshold: u64, faults: &[Fault]) -> Option<&Fault> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let stream = rng.u64(..);
    rng.seed(stream ^ index);
    let bits = rng.u64(..);
    if bits >> 11 >= threshold {
        return None;
    }
    faults.get(rng.usize(..faults.len().max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(config: MockConfig, n: usize) -> usize {
        let plan = FaultPlan::new(&config);
        (0..n).filter(|_| plan.decide(b"x").is_some()).count()
    }

    #[test]
    fn rate_is_roughly_kept() {
        let faults = count(MockConfig::new().failure_rate(0.3).seed(1), 10_000);
        assert!((2_800..3_200).contains(&faults), "{faults}");
        assert_eq!(count(MockConfig::new().failure_rate(0.0), 1_000), 0);
        assert_eq!(count(MockConfig::new().failure_rate(1.0), 1_000), 1_000);
    }

    #[test]
    fn same_seed_same_faults() {
        let run = |seed| {
            let plan = FaultPlan::new(
                &MockConfig::new()
                    .failure_rate(0.5)
                    .faults([Fault::ServerError, Fault::Truncated])
                    .seed(seed),
            );
            (0..200).map(|_| plan.decide(b"")).collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
        assert!(run(3).contains(&Some(Fault::Truncated)));
    }

    #[test]
    fn fails_first_attempts_per_body() {
        let plan = FaultPlan::new(&MockConfig::new().fail_first(2, Fault::DropConnection));
        let outcomes: Vec<bool> = [b"a", b"a", b"b", b"a", b"b", b"b"]
            .iter()
            .map(|body| plan.decide(*body).is_some())
            .collect();
        assert_eq!(outcomes, [true, true, true, false, true, false]);
    }
}
