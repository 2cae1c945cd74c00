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
/// wait before retry `k` (1-based) is the provider's `Retry-After` when it sent one no longer
/// than [`retry_after_cap`](Self::retry_after_cap) (default 60 s, as OpenAI's SDK), else
/// `min(max_delay, base_delay · 2^(k-1))`, randomized by [`Jitter`]. With a
/// [`deadline`](Self::deadline), no retry starts whose wait would end past it.
///
/// The default follows DSPy 3.4: 3 retries (4 attempts), 1 s base, 60 s cap, with full jitter;
/// no overall deadline.
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
///     .retry_after_cap(Duration::from_secs(30))
///     .deadline(Duration::from_secs(120))
///     .seed(7);
/// assert_eq!(policy.get_max_attempts(), 5);
/// assert_eq!(policy.get_deadline(), Some(Duration::from_secs(120)));
/// assert_eq!(RetryPolicy::default().get_max_attempts(), 4);
/// assert_eq!(RetryPolicy::default().get_retry_after_cap(), Duration::from_secs(60));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct RetryPolicy {
    pub(super) max_attempts: u32,
    pub(super) base_delay: Duration,
    pub(super) max_delay: Duration,
    pub(super) jitter: Jitter,
    pub(super) retry_after_cap: Duration,
    pub(super) deadline: Option<Duration>,
    pub(super) budget: Option<RetryBudget>,
    pub(super) seed: Option<u64>,
}

/// The longest `Retry-After` honoured by default (OpenAI's SDK's limit).
pub const DEFAULT_RETRY_AFTER_CAP: Duration = Duration::from_secs(60);

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            jitter: Jitter::Full,
            retry_after_cap: DEFAULT_RETRY_AFTER_CAP,
            deadline: None,
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

    /// The longest computed wait. A provider's `Retry-After` may be longer, up to
    /// [`retry_after_cap`](Self::retry_after_cap).
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// The longest `Retry-After` (or `retry-after-ms`) honoured; a provider asking for longer
    /// gets our own backoff instead, as in OpenAI's SDK. Default 60 s; `Duration::ZERO` only
    /// honours "retry now".
    pub fn retry_after_cap(mut self, cap: Duration) -> Self {
        self.retry_after_cap = cap;
        self
    }

    /// An overall deadline per call, counted from its first attempt: a retry whose wait would
    /// end past it is not made, and the call fails with
    /// [`LmError::RetryDeadline`](crate::lm::LmError::RetryDeadline). An attempt already
    /// running is not cut short; add a [`Timeout`](crate::layer::timeout::Timeout) layer inside
    /// the retry layer for that.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
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

    /// The longest `Retry-After` honoured.
    pub fn get_retry_after_cap(&self) -> Duration {
        self.retry_after_cap
    }

    /// The overall deadline per call, if any.
    pub fn get_deadline(&self) -> Option<Duration> {
        self.deadline
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
