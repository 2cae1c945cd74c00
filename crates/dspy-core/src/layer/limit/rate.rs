//! [`RateLimit`]: requests and tokens per minute, as token buckets.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::layer::Layer;
use crate::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};

/// Requests and tokens per minute for a [`RateLimit`].
///
/// Each limit is a token bucket refilled continuously at the per-minute rate and holding at
/// most `burst` worth of it (default one second), so calls are spread out instead of sent in
/// a burst the provider would answer with HTTP 429.
///
/// ```
/// use std::time::Duration;
/// use dspy_core::layer::limit::RateLimitPolicy;
///
/// let policy = RateLimitPolicy::new()
///     .requests_per_minute(500)
///     .tokens_per_minute(200_000)
///     .burst(Duration::from_secs(2));
/// # let _ = policy;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct RateLimitPolicy {
    requests_per_minute: Option<u32>,
    tokens_per_minute: Option<u64>,
    burst: Duration,
}

impl Default for RateLimitPolicy {
    fn default() -> Self {
        RateLimitPolicy {
            requests_per_minute: None,
            tokens_per_minute: None,
            burst: Duration::from_secs(1),
        }
    }
}

impl RateLimitPolicy {
    /// No limits yet.
    pub fn new() -> RateLimitPolicy {
        RateLimitPolicy::default()
    }

    /// At most `n` requests per minute (0 means no request limit).
    pub fn requests_per_minute(mut self, n: u32) -> Self {
        self.requests_per_minute = (n > 0).then_some(n);
        self
    }

    /// At most `n` tokens (prompt plus completion) per minute (0 means no token limit).
    pub fn tokens_per_minute(mut self, n: u64) -> Self {
        self.tokens_per_minute = (n > 0).then_some(n);
        self
    }

    /// How much unused capacity may pile up, as time at the full rate.
    pub fn burst(mut self, burst: Duration) -> Self {
        self.burst = burst;
        self
    }
}

/// Spaces calls to stay under requests- and tokens-per-minute limits.
///
/// A call reserves its share up front (one request; its estimated tokens), waits until the
/// buckets cover it, then runs. After it, the token bucket is corrected with the reported
/// usage. Dropping a call while it waits returns its reservation.
///
/// One response is charged at most one minute's worth of tokens (`tokens_per_minute`, or the
/// burst capacity if that is larger): a reply claiming absurd usage (`u64::MAX` or 10^15
/// tokens) delays later calls by about a minute at most instead of stalling them for good. A
/// real answer never needs more, since providers reject requests above their per-minute limit.
#[derive(Debug, Clone)]
pub struct RateLimit<L> {
    inner: L,
    limits: Arc<Limits>,
}

#[derive(Debug)]
struct Limits {
    requests: Option<Bucket>,
    tokens: Option<Bucket>,
    /// The most tokens one response is charged: a minute's worth, or the bucket if larger.
    max_charge: u64,
    /// Running average of completion tokens, used when a request sets no `max_tokens`.
    completion_avg: AtomicU64,
}

impl<L> RateLimit<L> {
    /// Limits calls to `inner` as `policy` says.
    pub fn new(inner: L, policy: &RateLimitPolicy) -> RateLimit<L> {
        RateLimit {
            inner,
            limits: Arc::new(Limits::new(policy)),
        }
    }

    /// The wrapped LM.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }
}

impl Limits {
    fn new(policy: &RateLimitPolicy) -> Limits {
        let bucket = |per_minute: f64| Bucket::new(per_minute / 60.0, policy.burst);
        let tokens = policy.tokens_per_minute.map(|n| bucket(n as f64));
        let max_charge = match (&tokens, policy.tokens_per_minute) {
            // `as` saturates: a capacity beyond u64 gives u64::MAX.
            (Some(bucket), Some(per_minute)) => per_minute.max(bucket.capacity as u64),
            _ => u64::MAX,
        };
        Limits {
            requests: policy.requests_per_minute.map(|n| bucket(f64::from(n))),
            tokens,
            max_charge,
            completion_avg: AtomicU64::new(0),
        }
    }

    /// Tokens a request will likely use: ~4 characters per prompt token, plus its
    /// `max_tokens` or the average completion so far.
    fn estimate(&self, request: &LmRequest) -> f64 {
        let chars: usize = request.messages.iter().map(|m| m.content.len()).sum();
        let completion = request
            .max_tokens
            .map_or_else(|| self.completion_avg.load(Ordering::Relaxed), u64::from);
        (chars / 4) as f64 + completion as f64
    }

    /// What a response reporting `tokens` is charged (see [`RateLimit`]).
    fn charge(&self, tokens: u64) -> u64 {
        tokens.min(self.max_charge)
    }

    fn learn(&self, completion_tokens: u64) {
        let completion_tokens = self.charge(completion_tokens);
        let old = self.completion_avg.load(Ordering::Relaxed);
        let new = if old == 0 {
            completion_tokens
        } else {
            old.saturating_mul(7).saturating_add(completion_tokens) / 8
        };
        self.completion_avg.store(new, Ordering::Relaxed);
    }
}

/// A reservation not yet used: given back if the call is dropped while waiting.
struct Reservation<'a> {
    limits: &'a Limits,
    tokens: f64,
    armed: bool,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.armed {
            if let Some(bucket) = &self.limits.requests {
                bucket.give_back(1.0);
            }
            if let Some(bucket) = &self.limits.tokens {
                bucket.give_back(self.tokens);
            }
        }
    }
}

impl<L: LanguageModel> LanguageModel for RateLimit<L> {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            let limits = &*self.limits;
            let mut wait = Duration::ZERO;
            if let Some(bucket) = &limits.requests {
                wait = wait.max(bucket.reserve(1.0));
            }
            let mut estimate = 0.0;
            if let Some(bucket) = &limits.tokens {
                estimate = limits.estimate(&request).min(bucket.capacity);
                wait = wait.max(bucket.reserve(estimate));
            }
            let mut reservation = Reservation {
                limits,
                tokens: estimate,
                armed: true,
            };
            if !wait.is_zero() {
                tracing::trace!(wait_ms = wait.as_millis() as u64, "rate limit: waiting");
                tokio::time::sleep(wait).await;
            }
            reservation.armed = false;
            let result = self.inner.call(request).await;
            if let (Some(bucket), Ok(response)) = (&limits.tokens, &result) {
                let used = limits.charge(response.usage.total_tokens);
                if used > 0 {
                    bucket.take(used as f64 - estimate);
                    limits.learn(response.usage.completion_tokens);
                }
            }
            result
        })
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn supports_function_calling(&self) -> bool {
        self.inner.supports_function_calling()
    }
}

/// A token bucket that may go into debt: a reservation always succeeds and says how long to
/// wait for the bucket to cover it, which keeps callers in arrival order.
#[derive(Debug)]
struct Bucket {
    per_second: f64,
    capacity: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    level: f64,
    last: Instant,
}

impl Bucket {
    fn new(per_second: f64, burst: Duration) -> Bucket {
        let capacity = (per_second * burst.as_secs_f64()).max(1.0);
        Bucket {
            per_second,
            capacity,
            state: Mutex::new(BucketState {
                level: capacity,
                last: Instant::now(),
            }),
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut BucketState) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(state.last).as_secs_f64();
        state.level = (state.level + elapsed * self.per_second).min(self.capacity);
        state.last = now;
        f(&mut state)
    }

    /// Takes `amount` now and returns how long until the bucket is out of debt.
    fn reserve(&self, amount: f64) -> Duration {
        let level = self.with_state(|s| {
            s.level -= amount;
            s.level
        });
        if level >= 0.0 {
            Duration::ZERO
        } else {
            Duration::try_from_secs_f64(-level / self.per_second).unwrap_or(Duration::MAX)
        }
    }

    /// Takes (or, if negative, gives back) `amount` without waiting.
    fn take(&self, amount: f64) {
        self.with_state(|s| s.level = (s.level - amount).min(self.capacity));
    }

    fn give_back(&self, amount: f64) {
        self.take(-amount);
    }
}

/// Wraps LMs in [`RateLimit`]. LMs made by one layer share its buckets.
#[derive(Debug, Clone)]
pub struct RateLimitLayer {
    limits: Arc<Limits>,
}

impl RateLimitLayer {
    /// A layer limiting every LM it wraps, together, as `policy` says.
    pub fn new(policy: &RateLimitPolicy) -> RateLimitLayer {
        RateLimitLayer {
            limits: Arc::new(Limits::new(policy)),
        }
    }
}

impl<L> Layer<L> for RateLimitLayer {
    type Lm = RateLimit<L>;

    fn layer(&self, inner: L) -> RateLimit<L> {
        RateLimit {
            inner,
            limits: Arc::clone(&self.limits),
        }
    }
}
