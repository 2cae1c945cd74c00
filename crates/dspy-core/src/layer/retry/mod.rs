//! Retries with exponential backoff, full jitter, `Retry-After` and a shared budget.
//!
//! [`Retry`] calls the wrapped LM again when it fails with a retryable error
//! ([`LmError::is_retryable`]: transport, timeout, 429, 5xx, unreadable body), up to the
//! [`RetryPolicy`]'s attempts. Other errors come back at once, unchanged. When attempts (or the
//! shared [`RetryBudget`]) run out, the call fails with [`LmError::RetriesExhausted`] holding
//! the attempt count and the last error.
//!
//! A provider's `Retry-After` is honoured up to [`RetryPolicy::retry_after_cap`] (default 60 s);
//! a longer ask gets the policy's own backoff. An optional [`RetryPolicy::deadline`] bounds a
//! call's retries in time: a retry that would start past it is not made, and the call fails
//! with [`LmError::RetryDeadline`].
//!
//! ```
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Duration;
//! use dspy_core::layer::retry::{Retry, RetryPolicy};
//! use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};
//!
//! /// Fails twice with HTTP 503, then answers.
//! #[derive(Debug, Default)]
//! struct Flaky(AtomicU32);
//! impl LanguageModel for Flaky {
//!     fn call(&self, _: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
//!         let n = self.0.fetch_add(1, Ordering::SeqCst);
//!         Box::pin(async move {
//!             if n < 2 {
//!                 Err(LmError::Server { status: 503, message: "busy".into(), retry_after: None })
//!             } else {
//!                 Ok(LmResponse::text("flaky", "ok"))
//!             }
//!         })
//!     }
//!     fn model(&self) -> &str { "flaky" }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let lm = Retry::new(Flaky::default(), RetryPolicy::new().base_delay(Duration::from_millis(1)));
//! assert_eq!(lm.call(LmRequest::default()).await?.first_text(), Some("ok"));
//! assert_eq!(lm.get_ref().0.load(Ordering::SeqCst), 3);
//! # Ok::<(), LmError>(())
//! # }).unwrap();
//! ```

mod backoff;
mod budget;
mod layer;
mod policy;

pub use budget::RetryBudget;
pub use layer::RetryLayer;
pub use policy::{Jitter, RetryPolicy, DEFAULT_RETRY_AFTER_CAP};

use std::sync::Arc;
use std::time::Duration;

use backoff::JitterRng;
use tokio::time::Instant;

use crate::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};

/// Retries retryable failures of the wrapped LM; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Retry<L> {
    inner: L,
    policy: RetryPolicy,
    rng: Arc<JitterRng>,
}

impl<L> Retry<L> {
    /// Retries `inner`'s failures as `policy` says.
    pub fn new(inner: L, policy: RetryPolicy) -> Retry<L> {
        let rng = Arc::new(JitterRng::new(policy.seed));
        Retry { inner, policy, rng }
    }

    /// The policy in use.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The wrapped LM.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }
}

impl<L: LanguageModel> Retry<L> {
    async fn run(&self, request: LmRequest) -> Result<LmResponse, LmError> {
        let max = self.policy.max_attempts;
        let start = Instant::now();
        if let Some(budget) = &self.policy.budget {
            budget.deposit();
        }
        // The request is moved into the last attempt; earlier ones get a copy.
        let mut request = Some(request);
        let mut attempt: u32 = 1;
        loop {
            let this_request = if attempt < max {
                request.clone()
            } else {
                request.take()
            };
            let Some(this_request) = this_request else {
                // Unreachable: the request is only taken on the last attempt.
                return Err(LmError::config("retry layer lost its request"));
            };
            let error = match self.inner.call(this_request).await {
                Ok(response) => return Ok(response),
                Err(error) => error,
            };
            if !error.is_retryable() || max == 1 {
                return Err(error);
            }
            if attempt >= max {
                return Err(exhausted(attempt, error));
            }
            let wait = self.wait(&error, attempt);
            if let Some(deadline) = self.policy.deadline {
                if start.elapsed().saturating_add(wait) > deadline {
                    tracing::debug!(attempt, ?deadline, "retry deadline reached; not retrying");
                    return Err(LmError::RetryDeadline {
                        attempts: attempt,
                        deadline,
                        last: Box::new(error),
                    });
                }
            }
            if let Some(budget) = &self.policy.budget {
                if !budget.withdraw() {
                    tracing::debug!(attempt, "retry budget empty; not retrying");
                    return Err(exhausted(attempt, error));
                }
            }
            let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
            tracing::debug!(attempt, wait_ms, %error, "LM call failed; retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

impl<L> Retry<L> {
    /// The wait before retry `attempt`: the provider's ask when within the cap, else backoff.
    fn wait(&self, error: &LmError, attempt: u32) -> Duration {
        match error.retry_after() {
            Some(ask) if ask <= self.policy.retry_after_cap => ask,
            ask => {
                if let Some(ask) = ask {
                    let cap = self.policy.retry_after_cap;
                    tracing::debug!(?ask, ?cap, "Retry-After above the cap; using backoff");
                }
                backoff::delay(&self.policy, &self.rng, attempt)
            }
        }
    }
}

fn exhausted(attempts: u32, last: LmError) -> LmError {
    LmError::RetriesExhausted {
        attempts,
        last: Box::new(last),
    }
}

impl<L: LanguageModel> LanguageModel for Retry<L> {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(self.run(request))
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn supports_function_calling(&self) -> bool {
        self.inner.supports_function_calling()
    }
}
