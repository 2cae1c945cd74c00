//! [`ConcurrencyProbe`]: wraps an LM and records how many of its calls overlapped.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};

/// Wraps an LM; each call gives way to the scheduler a few times before it is answered, so
/// calls a caller runs concurrently really overlap, and the most calls in flight at once is
/// recorded. For checking concurrency limits (`num_threads`, `candidate_concurrency`, ...).
///
/// ```
/// use std::sync::Arc;
/// use dspy_core::adapters::Message;
/// use dspy_core::lm::{LanguageModel, LmRequest};
/// use dspy_testkit::{ConcurrencyProbe, ScriptedLm};
///
/// let probe = ConcurrencyProbe::new(Arc::new(ScriptedLm::new(["a", "b"])));
/// let ask = || probe.call(LmRequest::new(vec![Message::user("?")]));
/// futures::executor::block_on(futures::future::join(ask(), ask()));
/// assert_eq!((probe.calls(), probe.peak()), (2, 2));
/// ```
#[derive(Debug)]
pub struct ConcurrencyProbe {
    inner: SharedLm,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    calls: AtomicUsize,
}

impl ConcurrencyProbe {
    /// A probe around `inner`.
    pub fn new(inner: SharedLm) -> Arc<ConcurrencyProbe> {
        Arc::new(ConcurrencyProbe {
            inner,
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
        })
    }

    /// The most calls that were in flight at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Calls made so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl LanguageModel for ConcurrencyProbe {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            for _ in 0..3 {
                GiveWay(false).await;
            }
            let out = self.inner.call(request).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            out
        })
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn supports_function_calling(&self) -> bool {
        self.inner.supports_function_calling()
    }
}

/// Pending once (waking itself at once), then ready: lets every other ready task run first.
struct GiveWay(bool);

impl Future for GiveWay {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
