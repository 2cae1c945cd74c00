//! The inference thread and its queue.
//!
//! Policy: one worker thread owns the model and takes requests in arrival order (FIFO). Jobs
//! run one at a time; items (generation requests) go to a `serve` function in batches: it asks
//! for the next queued item whenever it has room, so items that arrive while a batch runs join
//! it, up to the next job, which waits until the batch is through. The queue is bounded; a
//! request that finds it full fails at once with [`LocalError::QueueFull`] (a retryable
//! rate-limit error to DSPy) instead of blocking the caller's async runtime. Callers await a oneshot reply, so any number of tasks can wait without
//! holding a runtime thread. A request whose caller has gone away is skipped. A panic inside
//! inference is caught, reported as an error, and the KV caches are reset.

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

/// What the queue holds: a job to run alone, or an item for the `serve` function.
enum Job<S, B> {
    Run(Box<dyn FnOnce(&mut S) + Send>),
    Item(B),
}

/// Serves items: takes the next with the function given (`None` while the queue is empty, or
/// once a job waits behind the batch; it may be asked again) and returns when it has none left.
pub(crate) type Serve<S, B> = fn(&mut S, &mut dyn FnMut() -> Option<B>);

/// A thread that owns a state `S`, runs jobs on it and serves items `B` in batches, in FIFO
/// order.
pub(crate) struct Worker<S, B = ()> {
    sender: Option<SyncSender<Job<S, B>>>,
    handle: Option<JoinHandle<()>>,
    capacity: usize,
}

impl<S, B> std::fmt::Debug for Worker<S, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl<S: Send + 'static, B: Send + 'static> Worker<S, B> {
    /// Starts the thread; `init` builds the state on it (so loading happens off the caller's
    /// thread too) and its error is returned here. `serve` handles items; `on_panic` mends the
    /// state after a job or `serve` panicked.
    pub(crate) fn start(
        name: &str,
        capacity: usize,
        init: impl FnOnce() -> Result<S, LocalError> + Send + 'static,
        on_panic: fn(&mut S),
        serve: Serve<S, B>,
    ) -> Result<Worker<S, B>, LocalError> {
        let (sender, receiver) = sync_channel::<Job<S, B>>(capacity.max(1));
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
                // A job taken off the queue while a batch was being served runs next.
                let mut held: Option<Job<S, B>> = None;
                loop {
                    let job = match held.take() {
                        Some(job) => job,
                        None => match receiver.recv() {
                            Ok(job) => job,
                            Err(_) => break,
                        },
                    };
                    let ok = match job {
                        Job::Run(f) => catch_unwind(AssertUnwindSafe(|| f(&mut state))).is_ok(),
                        Job::Item(first) => {
                            let mut first = Some(first);
                            let mut next = || {
                                if first.is_some() {
                                    return first.take();
                                }
                                if held.is_some() {
                                    return None;
                                }
                                match receiver.try_recv() {
                                    Ok(Job::Item(item)) => Some(item),
                                    Ok(job) => {
                                        held = Some(job);
                                        None
                                    }
                                    Err(_) => None,
                                }
                            };
                            catch_unwind(AssertUnwindSafe(|| serve(&mut state, &mut next))).is_ok()
                        }
                    };
                    if !ok {
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
        let job = Job::Run(Box::new(move |state: &mut S| {
            if reply.is_abandoned() {
                return;
            }
            // A panic in `f` drops `reply` unsent, which tells the caller the worker failed.
            let out = f(state);
            reply.send(out);
        }));
        self.send(job)?;
        Ok(waiting)
    }

    /// Queues the item `make` builds around its reply slot and returns a future of the reply.
    /// Fails at once when the queue is full.
    pub(crate) fn submit_item<T>(
        &self,
        make: impl FnOnce(Reply<T>) -> B,
    ) -> Result<Waiting<T>, LocalError> {
        let (reply, waiting) = oneshot();
        self.send(Job::Item(make(reply)))?;
        Ok(waiting)
    }

    fn send(&self, job: Job<S, B>) -> Result<(), LocalError> {
        let sender = self.sender.as_ref().ok_or(LocalError::WorkerGone)?;
        match sender.try_send(job) {
            Ok(()) => Ok(()),
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

impl<S, B> Drop for Worker<S, B> {
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

    fn no_items<S>(_: &mut S, _: &mut dyn FnMut() -> Option<()>) {}

    /// Serves `(value, reply)` items by pushing each batch's values as one entry of the state.
    type Item = (u32, Reply<Result<usize, LocalError>>);
    fn batches(state: &mut Vec<Vec<u32>>, next: &mut dyn FnMut() -> Option<Item>) {
        let mut batch = Vec::new();
        let mut replies = Vec::new();
        while let Some((v, reply)) = next() {
            if v == 666 {
                panic!("bad item");
            }
            batch.push(v);
            replies.push(reply);
        }
        state.push(batch);
        for r in replies {
            r.send(Ok(state.len()));
        }
    }

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
        let w = Worker::start("t", 4, || Ok(Vec::<u32>::new()), |_| {}, no_items).expect("starts");
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
        let e = Worker::<()>::start("t", 1, || Err(LocalError::WorkerGone), |_| {}, no_items);
        assert!(matches!(e, Err(LocalError::WorkerGone)));
    }

    #[test]
    fn a_panicking_job_fails_only_its_caller() {
        let w = Worker::start("t", 4, || Ok(0u32), |s| *s = 99, no_items).expect("starts");
        let bad = w.submit::<u32>(|_| panic!("boom")).expect("queued");
        assert!(matches!(block_on(bad), Err(LocalError::WorkerGone)));
        let good = w.submit(|s| Ok(*s)).expect("queued");
        assert_eq!(block_on(good).expect("answered").expect("ok"), 99);
    }

    #[test]
    fn thirty_two_concurrent_callers_are_all_answered_in_order() {
        let w = Arc::new(
            Worker::start("t", 64, || Ok(Vec::<usize>::new()), |_| {}, no_items).expect("starts"),
        );
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
        let w = Worker::start("t", 1, move || Ok(go_rx), |_| {}, no_items).expect("starts");
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

    #[test]
    fn queued_items_are_served_together_and_a_job_between_waits_its_turn() {
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let w =
            Worker::start("t", 16, || Ok(Vec::<Vec<u32>>::new()), |_| {}, batches).expect("starts");
        // Hold the worker in a job while the queue fills: items 1, 2, a job, item 3.
        let gate = w
            .submit(move |_: &mut Vec<Vec<u32>>| {
                let _ = go_rx.recv();
                Ok(0)
            })
            .expect("queued");
        let one = w.submit_item(|r| (1, r)).expect("queued");
        let two = w.submit_item(|r| (2, r)).expect("queued");
        let job = w
            .submit(|s: &mut Vec<Vec<u32>>| Ok(s.len()))
            .expect("queued");
        let three = w.submit_item(|r| (3, r)).expect("queued");
        go_tx.send(()).expect("worker alive");
        block_on(gate).expect("answered").expect("ok");
        assert_eq!(block_on(one).expect("answered").expect("ok"), 1);
        assert_eq!(block_on(two).expect("answered").expect("ok"), 1);
        // The job ran after the first batch, before item 3.
        assert_eq!(block_on(job).expect("answered").expect("ok"), 1);
        assert_eq!(block_on(three).expect("answered").expect("ok"), 2);
        let state = w
            .submit(|s: &mut Vec<Vec<u32>>| Ok(s.clone()))
            .expect("queued");
        assert_eq!(
            block_on(state).expect("answered").expect("ok"),
            vec![vec![1, 2], vec![3]]
        );
    }

    #[test]
    fn a_panicking_batch_fails_its_callers_and_the_worker_goes_on() {
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let w = Worker::start(
            "t",
            16,
            || Ok(Vec::<Vec<u32>>::new()),
            |s| s.clear(),
            batches,
        )
        .expect("starts");
        let gate = w
            .submit(move |s: &mut Vec<Vec<u32>>| {
                s.push(vec![0]);
                let _ = go_rx.recv();
                Ok(0)
            })
            .expect("queued");
        let fine = w.submit_item(|r| (1, r)).expect("queued");
        let bad = w.submit_item(|r| (666, r)).expect("queued");
        go_tx.send(()).expect("worker alive");
        block_on(gate).expect("answered").expect("ok");
        assert!(matches!(block_on(fine), Err(LocalError::WorkerGone)));
        assert!(matches!(block_on(bad), Err(LocalError::WorkerGone)));
        // `on_panic` cleared the state; the next item is served.
        let after = w.submit_item(|r| (5, r)).expect("queued");
        assert_eq!(block_on(after).expect("answered").expect("ok"), 1);
    }
}
