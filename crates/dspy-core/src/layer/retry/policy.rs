//! [`RetryPolicy`]: how many attempts, how long between them.

use std::time::Duration;

use super::RetryBudget;

/// How the wait before a retry is randomized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// "Full jitter": a uniformly random wait between zero and the exponential delay, so
    /// clients that failed together do not retry together.
    #[default]
    Full,
    /// Exactly the exponential delay: `base · 2^(retry-1)`, capped (DSPy's 1 s, 2 s, 4 s, ...).
    None,
}

/// When and how often [`Retry`](super::Retry) tries again.
///
/// Only errors with [`LmError::is_retryable`](crate::lm::LmError::is_retryable) are retried. The
/// wait before retry `k` (1-based) is the provider's `Retry-After` when it sent one, else
/// `min(max_delay, base_delay · 2^(k-1))`, randomized by [`Jitter`].
///
/// The default follows DSPy 3.4: 3 retries (4 attempts), 1 s base, 60 s cap, with full jitter.
///
/// ```
/// use std::time::Duration;
/// use dspy_core::layer::retry::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::new()
///     .max_attempts(5)
///     .base_delay(Duration::from_millis(200))
///     .max_delay(Duration::from_secs(10))
///     .jitter(Jitter::Full)
///     .seed(7);
/// assert_eq!(policy.get_max_attempts(), 5);
/// assert_eq!(RetryPolicy::default().get_max_attempts(), 4);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct RetryPolicy {
    pub(super) max_attempts: u32,
    pub(super) base_delay: Duration,
    pub(super) max_delay: Duration,
    pub(super) jitter: Jitter,
    pub(super) budget: Option<RetryBudget>,
    pub(super) seed: Option<u64>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            jitter: Jitter::Full,
            budget: None,
            seed: None,
        }
    }
}

impl RetryPolicy {
    /// DSPy's defaults; see the type docs.
    pub fn new() -> RetryPolicy {
        RetryPolicy::default()
    }

    /// No retries: one attempt, errors returned as they are.
    pub fn never() -> RetryPolicy {
        RetryPolicy::default().max_attempts(1)
    }

    /// DSPy's `num_retries`: `n` retries after the first attempt.
    pub fn num_retries(n: u32) -> RetryPolicy {
        RetryPolicy::default().max_attempts(n.saturating_add(1))
    }

    /// Most attempts per call, the first included (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The wait before the first retry, doubled for each next one.
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// The longest computed wait (a provider's `Retry-After` is honoured even when longer).
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// How waits are randomized.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Limits retries across every call sharing `budget`.
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Seeds the jitter, so waits repeat exactly from run to run (tests).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Most attempts per call.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The exponential delay before retry `retry` (1-based), before jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(31);
        self.base_delay
            .checked_mul(1u32 << exp)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}
