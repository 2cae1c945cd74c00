//! Jittered waits, drawn from one seedable generator shared by the calls of a retry layer.

use std::sync::Mutex;
use std::time::Duration;

use super::{Jitter, RetryPolicy};

/// The jitter generator (`fastrand`): seeded from the policy for repeatable waits, otherwise
/// from fresh entropy. One short lock per retry.
#[derive(Debug)]
pub(super) struct JitterRng {
    rng: Mutex<fastrand::Rng>,
}

impl JitterRng {
    pub(super) fn new(seed: Option<u64>) -> JitterRng {
        let rng = seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        JitterRng {
            rng: Mutex::new(rng),
        }
    }

    /// Uniform in `[0, 1)`.
    fn next_f64(&self) -> f64 {
        self.rng.lock().unwrap_or_else(|e| e.into_inner()).f64()
    }
}

/// The wait before retry `retry` (1-based) when the provider gave no `Retry-After`.
pub(super) fn delay(policy: &RetryPolicy, rng: &JitterRng, retry: u32) -> Duration {
    let cap = policy.backoff(retry);
    match policy.jitter {
        Jitter::None => cap,
        Jitter::Full => cap.mul_f64(rng.next_f64()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_and_capped() {
        let p = RetryPolicy::new()
            .base_delay(Duration::from_secs(1))
            .max_delay(Duration::from_secs(5))
            .jitter(Jitter::None);
        let rng = JitterRng::new(Some(1));
        let waits: Vec<u64> = (1..=5).map(|k| delay(&p, &rng, k).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
        assert_eq!(p.backoff(200), Duration::from_secs(5));
    }

    #[test]
    fn full_jitter_stays_below_the_cap_and_is_seeded() {
        let p = RetryPolicy::new().base_delay(Duration::from_millis(100));
        let a = JitterRng::new(Some(42));
        let b = JitterRng::new(Some(42));
        let mut distinct = std::collections::HashSet::new();
        for k in 1..=6 {
            let (x, y) = (delay(&p, &a, k), delay(&p, &b, k));
            assert_eq!(x, y);
            assert!(x < p.backoff(k), "{x:?} < {:?}", p.backoff(k));
            distinct.insert(x);
        }
        assert!(distinct.len() > 1);
    }
}
