//! Limits on how hard an LM is driven: concurrent calls, requests and tokens per minute.
//!
//! - [`ConcurrencyLimit`]: at most `n` calls in flight; the rest wait their turn (FIFO).
//! - [`RateLimit`]: requests per minute and/or tokens per minute, as token buckets. A call's
//!   tokens are estimated up front from its size (characters / 4 plus `max_tokens`, or the
//!   average completion seen so far) and corrected with the usage the provider reports, at
//!   most one minute's worth of tokens per response (absurd reported usage cannot stall it).
//!
//! Both are cancellation-safe: a dropped call gives its permit back, and a call dropped while
//! waiting for the rate limiter gives its reservation back.

mod concurrency;
mod rate;

pub use concurrency::{ConcurrencyLimit, ConcurrencyLimitLayer};
pub use rate::{RateLimit, RateLimitLayer, RateLimitPolicy};
