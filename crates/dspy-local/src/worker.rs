//! The inference thread and its queue.
//!
//! Policy: one worker thread owns the model and serves requests one at a time in arrival order
//! (FIFO). The queue is bounded; a request that finds it full fails at once with
//! [`LocalError::QueueFull`] (a retryable rate-limit error to DSPy) instead of blocking the
//! caller's async runtime. Callers await a oneshot reply, so any number of tasks can wait without
//! holding a runtime thread. A request whose caller has gone away is skipped. A panic inside
//! inference is caught, reported as an error, and the KV cache is reset.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use crate::error::LocalError;

/// A one-shot reply slot shared by the worker and one waiting caller.
#[derive(Debug)]
struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
    /// The worker dropped the sender without answering.
    closed: bool,
    /// The caller stopped waiting.
    abandoned: bool,
}

/// The worker's end of a reply slot.
#[derive(Debug)]
pub(crate) struct Reply<T> {
    slot: Arc<Mutex<Slot<T>>>,
    sent: bool,
}

impl<T> Reply<T> {
    /// True when the caller no longer waits for the answer.
    pub(crate) fn is_abandoned(&self) -> bool {
        self.slot.lock().map_or(true, |s| s.abandoned)
    }

    /// Delivers the answer and wakes the caller.
    pub(crate) fn send(mut self, value: T) {
        self.sent = true;
        if let Ok(mut s) = self.slot.lock() {
            s.value = Some(value);
            if let Some(w) = s.waker.take() {
                w.wake();
            }
        }
    }
}

impl<T> Drop for Reply<T> {
    fn drop(&mut self) {
        if !self.sent {
            if let Ok(mut s) = self.slot.lock() {
                s.closed = true;
                if let Some(w) = s.waker.take() {
                    w.wake();
                }
            }
        }
    }
}

/// The caller's end: a future of the worker's answer.
#[derive(Debug)]
pub(crate) struct Waiting<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for Waiting<T> {
    type Output = Result<T, LocalError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Ok(mut s) = self.slot.lock() else {
            return Poll::Ready(Err(LocalError::WorkerGone));
        };
        if let Some(v) = s.value.take() {
            return Poll::Ready(Ok(v));
        }
        if s.closed {
            return Poll::Ready(Err(LocalError::WorkerGone));
        }
        match &s.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => s.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for Waiting<T> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.slot.lock() {
            s.abandoned = true;
        }
    }
}

fn oneshot<T>() -> (Reply<T>, Waiting<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        waker: None,
        closed: false,
        abandoned: false,
    }));
    (
        Reply {
            slot: slot.clone(),
            sent: false,
        },
        Waiting { slot },
    )
}

type Job<S> = Box<dyn FnOnce(&mut S) + Send>;

/// A thread that owns a state `S` and runs jobs on it in FIFO order.
pub(crate) struct Worker<S> {
    sender: Option<SyncSender<Job<S>>>,
    handle: Option<JoinHandle<()>>,
    capacity: usize,
}

impl<S> std::fmt::Debug for Worker<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl<S: Send + 'static> Worker<S> {
    /// Starts the thread; `init` builds the state on it (so loading happens off the caller's
    /// thread too) and its error is returned here.
    pub(crate) fn start(
        name: &str,
        capacity: usize,
        init: impl FnOnce() -> Result<S, LocalError> + Send + 'static,
        on_panic: fn(&mut S),
    ) -> Result<Worker<S>, LocalError> {
        let (sender, receiver) = sync_channel::<Job<S>>(capacity.max(1));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), LocalError>>();
        let handle = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let mut state = match catch_unwind(AssertUnwindSafe(init)) {
                    Ok(Ok(s)) => {
                        let _ = ready_tx.send(Ok(()));
                        s
                    }
                    Ok(Err(e)) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                    Err(_) => {
                        let _ = ready_tx.send(Err(LocalError::Compute {
                            message: "loading the model panicked".into(),
                        }));
                        return;
                    }
                };
                while let Ok(job) = receiver.recv() {
                    if catch_unwind(AssertUnwindSafe(|| job(&mut state))).is_err() {
                        on_panic(&mut state);
                    }
                }
            })
            .map_err(|e| LocalError::Compute {
                message: format!("could not start the inference thread: {e}"),
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Worker {
                sender: Some(sender),
                handle: Some(handle),
                capacity: capacity.max(1),
            }),
            Ok(Err(e)) => {
                let _ = handle.join();
                Err(e)
            }
            Err(_) => {
                let _ = handle.join();
                Err(LocalError::WorkerGone)
            }
        }
    }

    /// Queues `f` and returns a future of its result. Fails at once when the queue is full.
    pub(crate) fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut S) -> Result<T, LocalError> + Send + 'static,
    ) -> Result<Waiting<Result<T, LocalError>>, LocalError> {
        let (reply, waiting) = oneshot();
        let job: Job<S> = Box::new(move |state: &mut S| {
            if reply.is_abandoned() {
                return;
            }
            // A panic in `f` drops `reply` unsent, which tells the caller the worker failed.
            let out = f(state);
            reply.send(out);
        });
        let sender = self.sender.as_ref().ok_or(LocalError::WorkerGone)?;
        match sender.try_send(job) {
            Ok(()) => Ok(waiting),
            Err(TrySendError::Full(_)) => Err(LocalError::QueueFull {
                capacity: self.capacity,
            }),
            Err(TrySendError::Disconnected(_)) => Err(LocalError::WorkerGone),
        }
    }

    /// Queue capacity.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }
}

impl<S> Drop for Worker<S> {
    fn drop(&mut self) {
        // Closing the channel ends the thread after the jobs already queued.
        self.sender.take();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(f: F) -> F::Output {
        struct ThreadWaker(std::thread::Thread);
        impl std::task::Wake for ThreadWaker {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park();
        }
    }

    #[test]
    fn runs_jobs_in_order_and_reports_init_errors() {
        let w = Worker::start("t", 4, || Ok(Vec::<u32>::new()), |_| {}).expect("starts");
        let a = w.submit(|s| {
            s.push(1);
            Ok(s.clone())
        });
        let b = w.submit(|s| {
            s.push(2);
            Ok(s.clone())
        });
        assert_eq!(
            block_on(a.expect("queued")).expect("ok").expect("ok"),
            vec![1]
        );
        assert_eq!(
            block_on(b.expect("queued")).expect("ok").expect("ok"),
            vec![1, 2]
        );
        let e = Worker::<()>::start("t", 1, || Err(LocalError::WorkerGone), |_| {});
        assert!(matches!(e, Err(LocalError::WorkerGone)));
    }

    #[test]
    fn a_panicking_job_fails_only_its_caller() {
        let w = Worker::start("t", 4, || Ok(0u32), |s| *s = 99).expect("starts");
        let bad = w.submit::<u32>(|_| panic!("boom")).expect("queued");
        assert!(matches!(block_on(bad), Err(LocalError::WorkerGone)));
        let good = w.submit(|s| Ok(*s)).expect("queued");
        assert_eq!(block_on(good).expect("answered").expect("ok"), 99);
    }

    #[test]
    fn thirty_two_concurrent_callers_are_all_answered_in_order() {
        let w =
            Arc::new(Worker::start("t", 64, || Ok(Vec::<usize>::new()), |_| {}).expect("starts"));
        let callers: Vec<_> = (0..32)
            .map(|i| {
                let w = w.clone();
                std::thread::spawn(move || {
                    let f = w
                        .submit(move |seen: &mut Vec<usize>| {
                            seen.push(i);
                            std::thread::sleep(std::time::Duration::from_millis(1));
                            Ok(seen.len())
                        })
                        .expect("queued");
                    block_on(f).expect("answered").expect("ok")
                })
            })
            .collect();
        let mut positions: Vec<usize> = callers
            .into_iter()
            .map(|h| h.join().expect("caller thread"))
            .collect();
        positions.sort_unstable();
        assert_eq!(positions, (1..=32).collect::<Vec<_>>());
    }

    #[test]
    fn a_full_queue_says_so() {
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let w = Worker::start("t", 1, move || Ok(go_rx), |_| {}).expect("starts");
        // The first job blocks the worker; the second fills the queue; the third is refused.
        let first = w
            .submit(|rx: &mut std::sync::mpsc::Receiver<()>| {
                let _ = rx.recv();
                Ok(())
            })
            .expect("queued");
        let mut queued = Vec::new();
        let mut refused = false;
        for _ in 0..3 {
            match w.submit(|_| Ok(())) {
                Ok(f) => queued.push(f),
                Err(LocalError::QueueFull { capacity: 1 }) => refused = true,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert!(refused);
        go_tx.send(()).expect("worker alive");
        block_on(first).expect("answered").expect("ok");
        for f in queued {
            block_on(f).expect("answered").expect("ok");
        }
    }
}
