//! Retries with exponential backoff, full jitter, `Retry-After` and a shared budget.
//!
//! [`Retry`] calls the wrapped LM again when it fails with a retryable error
//! ([`LmError::is_retryable`]: transport, timeout, 429, 5xx, unreadable body), up to the
//! [`RetryPolicy`]'s attempts. Other errors come back at once, unchanged. When attempts (or the
//! shared [`RetryBudget`]) run out, the call fails with [`LmError::RetriesExhausted`] holding
//! the attempt count and the last error.
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
pub use policy::{Jitter, RetryPolicy};

use std::sync::Arc;

use backoff::JitterRng;

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
            if let Some(budget) = &self.policy.budget {
                if !budget.withdraw() {
                    tracing::debug!(attempt, "retry budget empty; not retrying");
                    return Err(exhausted(attempt, error));
                }
            }
            let wait = error
                .retry_after()
                .unwrap_or_else(|| backoff::delay(&self.policy, &self.rng, attempt));
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, %error, "LM call failed; retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
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
}
