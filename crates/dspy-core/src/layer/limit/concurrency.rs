//! [`ConcurrencyLimit`]: a semaphore around the calls.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::layer::Layer;
use crate::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};

/// Lets at most `max` calls run at once; the others wait in arrival order.
///
/// The permit is held for the wrapped call only and released when it ends or is dropped.
///
/// ```
/// use dspy_core::layer::limit::ConcurrencyLimit;
/// # use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};
/// # #[derive(Debug)] struct Echo;
/// # impl LanguageModel for Echo {
/// #     fn call(&self, _: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
/// #         Box::pin(async { Ok(LmResponse::text("echo", "")) })
/// #     }
/// #     fn model(&self) -> &str { "echo" }
/// # }
/// let lm = ConcurrencyLimit::new(Echo, 16);
/// assert_eq!(lm.available(), 16);
/// ```
#[derive(Debug, Clone)]
pub struct ConcurrencyLimit<L> {
    inner: L,
    semaphore: Arc<Semaphore>,
}

impl<L> ConcurrencyLimit<L> {
    /// At most `max` concurrent calls to `inner` (at least 1).
    pub fn new(inner: L, max: usize) -> ConcurrencyLimit<L> {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        ConcurrencyLimit::with_semaphore(inner, Arc::new(Semaphore::new(max)))
    }

    /// Limits `inner` with a semaphore shared with other LMs (one budget for several models).
    pub fn with_semaphore(inner: L, semaphore: Arc<Semaphore>) -> ConcurrencyLimit<L> {
        ConcurrencyLimit { inner, semaphore }
    }

    /// Calls that could start right now.
    pub fn available(&self) -> usize {
        self.semaphore.available_permits()
    }

    /// The wrapped LM.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }
}

impl<L: LanguageModel> LanguageModel for ConcurrencyLimit<L> {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            let Ok(_permit) = self.semaphore.acquire().await else {
                return Err(LmError::config(
                    "the concurrency limit's semaphore was closed; no more calls can start",
                ));
            };
            self.inner.call(request).await
        })
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn supports_function_calling(&self) -> bool {
        self.inner.supports_function_calling()
    }
}

/// Wraps LMs in [`ConcurrencyLimit`]. Each wrapped LM gets its own semaphore unless the layer
/// was made with [`shared`](ConcurrencyLimitLayer::shared).
#[derive(Debug, Clone)]
pub struct ConcurrencyLimitLayer {
    max: usize,
    shared: Option<Arc<Semaphore>>,
}

impl ConcurrencyLimitLayer {
    /// At most `max` concurrent calls per wrapped LM.
    pub fn new(max: usize) -> ConcurrencyLimitLayer {
        ConcurrencyLimitLayer { max, shared: None }
    }

    /// At most `max` concurrent calls across every LM this layer wraps.
    pub fn shared(max: usize) -> ConcurrencyLimitLayer {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        ConcurrencyLimitLayer {
            max,
            shared: Some(Arc::new(Semaphore::new(max))),
        }
    }
}

impl<L> Layer<L> for ConcurrencyLimitLayer {
    type Lm = ConcurrencyLimit<L>;

    fn layer(&self, inner: L) -> ConcurrencyLimit<L> {
        match &self.shared {
            Some(semaphore) => ConcurrencyLimit::with_semaphore(inner, Arc::clone(semaphore)),
            None => ConcurrencyLimit::new(inner, self.max),
        }
    }
}
