//! A deadline per call.
//!
//! [`Timeout`] fails a call that takes longer than its deadline with [`LmError::Timeout`]
//! (retryable, so a [`Retry`](super::retry::Retry) outside it tries again). The wrapped call is
//! dropped at the deadline, which every layer here handles without leaving state behind.
//!
//! ```
//! use std::time::Duration;
//! use dspy_core::layer::timeout::Timeout;
//! use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};
//!
//! #[derive(Debug)]
//! struct Slow;
//! impl LanguageModel for Slow {
//!     fn call(&self, _: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
//!         Box::pin(async {
//!             tokio::time::sleep(Duration::from_secs(60)).await;
//!             Ok(LmResponse::text("slow", "late"))
//!         })
//!     }
//!     fn model(&self) -> &str { "slow" }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
//! let lm = Timeout::new(Slow, Duration::from_secs(5));
//! let error = lm.call(LmRequest::default()).await.unwrap_err();
//! assert_eq!(error, LmError::Timeout(Duration::from_secs(5)));
//! # });
//! ```

mod layer;

pub use layer::TimeoutLayer;

use std::time::Duration;

use crate::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};

/// Fails calls that take longer than a deadline; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Timeout<L> {
    inner: L,
    deadline: Duration,
}

impl<L> Timeout<L> {
    /// Gives each call to `inner` at most `deadline`.
    pub fn new(inner: L, deadline: Duration) -> Timeout<L> {
        Timeout { inner, deadline }
    }

    /// The deadline.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// The wrapped LM.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }
}

impl<L: LanguageModel> LanguageModel for Timeout<L> {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            match tokio::time::timeout(self.deadline, self.inner.call(request)).await {
                Ok(result) => result,
                Err(_) => Err(LmError::Timeout(self.deadline)),
            }
        })
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn supports_function_calling(&self) -> bool {
        self.inner.supports_function_calling()
    }
}
