//! Jittered waits from a small, seedable, lock-free generator.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Jitter, RetryPolicy};

/// SplitMix64 over an atomic counter: each draw is one `fetch_add`, shared by all calls.
#[derive(Debug)]
pub(super) struct JitterRng {
    state: AtomicU64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

impl JitterRng {
    pub(super) fn new(seed: Option<u64>) -> JitterRng {
        let seed = seed.unwrap_or_else(|| RandomState::new().build_hasher().finish());
        JitterRng {
            state: AtomicU64::new(seed),
        }
    }

    fn next_u64(&self) -> u64 {
        let mut z = self
            .state
            .fetch_add(GOLDEN, Ordering::Relaxed)
            .wrapping_add(GOLDEN);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn next_f64(&self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
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
