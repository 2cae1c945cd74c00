//! The mock's latency, to well under a millisecond.
//!
//! tokio's timer wheel rounds every sleep up to its next 1 ms tick, so a 20 ms mock answered in
//! 20–21 ms and a chain of 16 calls drifted by up to 16 ms: noise as large as the client
//! overhead a benchmark wants to see. A [`Clock`] keeps one thread per server that wakes each
//! waiting request at its deadline with the OS's high-resolution timeout.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// Below this, a wait is not worth a trip through the clock thread.
const MIN_WAIT: Duration = Duration::from_micros(20);

/// Wakes requests at their deadlines (one thread, shared by a server's connections).
#[derive(Debug)]
pub(super) struct Clock {
    waiters: Mutex<mpsc::Sender<Waiter>>,
}

#[derive(Debug)]
struct Waiter {
    deadline: Instant,
    seq: u64,
    wake: oneshot::Sender<()>,
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}

impl Eq for Waiter {}

impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiter {
    /// Earliest deadline first in a max-heap.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

impl Clock {
    /// Starts the clock thread; it ends when the clock is dropped.
    pub(super) fn start() -> Clock {
        let (tx, rx) = mpsc::channel::<Waiter>();
        let spawned = std::thread::Builder::new()
            .name("dspy-mock-clock".into())
            .spawn(move || run(rx));
        if let Err(e) = spawned {
            // `sleep_until` falls back to tokio's timer when the thread is missing.
            eprintln!("dspy-testkit: no clock thread ({e}); latency uses tokio's 1 ms timer");
        }
        Clock {
            waiters: Mutex::new(tx),
        }
    }

    /// Waits until `deadline`.
    pub(super) async fn sleep_until(&self, deadline: Instant) {
        if deadline.saturating_duration_since(Instant::now()) < MIN_WAIT {
            return;
        }
        let (wake, woken) = oneshot::channel();
        let sent = self
            .waiters
            .lock()
            .map(|tx| {
                tx.send(Waiter {
                    deadline,
                    seq: 0,
                    wake,
                })
                .is_ok()
            })
            .unwrap_or(false);
        if !sent || woken.await.is_err() {
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// The clock thread: sleeps until the next deadline or a new waiter, wakes what is due.
fn run(rx: mpsc::Receiver<Waiter>) {
    exact_timeouts();
    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    loop {
        let next = heap.peek().map(|w: &Waiter| w.deadline);
        let received = match next {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(at) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
        };
        match received {
            Ok(mut waiter) => {
                seq += 1;
                waiter.seq = seq;
                heap.push(waiter);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = Instant::now();
        while heap.peek().is_some_and(|w| w.deadline <= now) {
            if let Some(w) = heap.pop() {
                let _ = w.wake.send(()); // the request may have gone; nothing to do then
            }
        }
    }
}

/// Linux lets a sleeping thread wake up to 50 µs after its timeout by default (timer slack);
/// the clock asks for 1 ns so its wake-ups land at the deadline as closely as the OS can.
#[cfg(target_os = "linux")]
fn exact_timeouts() {
    let _ = nix::sys::prctl::set_timerslack(1); // only precision is lost if refused
}

#[cfg(not(target_os = "linux"))]
fn exact_timeouts() {}

#[cfg(test)]
mod tests {
    use super::*;

    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};

    /// How far ahead of now the waiters' deadlines start: the three must all be in the clock's
    /// heap before the latest one falls due, or it could be woken before an earlier one it never
    /// saw. Sending them takes microseconds; a second holds on any loaded machine.
    const LEAD: Duration = Duration::from_secs(1);

    /// Logs a waiter's wake-up from inside `oneshot::Sender::send`, i.e. on the clock thread, in
    /// the order the clock wakes them, with whether the wake-up came at or after the deadline.
    struct LogWake {
        ms: u64,
        deadline: Instant,
        log: mpsc::Sender<(u64, bool)>,
    }

    impl Wake for LogWake {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            let _ = self.log.send((self.ms, Instant::now() >= self.deadline));
        }
    }

    /// The clock thread itself (not the tokio fallback) wakes each waiter at or after its
    /// deadline, earliest deadline first, and stops when its sender is gone.
    ///
    /// The order is the one the clock thread sends in, not the one in which the woken threads
    /// get scheduled: each waiter's waker is registered before the clock gets the waiter, and
    /// the clock thread runs it inside `send`, so the log is written by the clock thread itself.
    #[test]
    fn the_clock_thread_wakes_waiters_in_deadline_order() {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || run(rx));
        let (log_tx, log_rx) = mpsc::channel();
        let start = Instant::now() + LEAD;
        let mut receivers = Vec::new();
        for ms in [15u64, 5, 10] {
            let deadline = start + Duration::from_millis(ms);
            let (wake, mut woken) = oneshot::channel();
            let waker = Waker::from(Arc::new(LogWake {
                ms,
                deadline,
                log: log_tx.clone(),
            }));
            let polled = Pin::new(&mut woken).poll(&mut Context::from_waker(&waker));
            assert!(polled.is_pending(), "nothing sent before the clock has it");
            tx.send(Waiter {
                deadline,
                seq: 0,
                wake,
            })
            .expect("clock thread runs");
            receivers.push(woken);
        }
        drop(log_tx);
        // Only a guard against hanging on a broken clock: the waits end long before this.
        let no_hang = LEAD + Duration::from_secs(60);
        let order: Vec<_> = (0..3)
            .map(|_| log_rx.recv_timeout(no_hang).expect("woken"))
            .collect();
        assert_eq!(
            order,
            [(5, true), (10, true), (15, true)],
            "(ms, not before the deadline) in the clock's wake-up order"
        );
        for mut woken in receivers {
            assert_eq!(woken.try_recv(), Ok(()), "woken by the clock, not dropped");
        }
        drop(tx);
        thread.join().expect("the clock thread ends");
    }

    /// Linux would otherwise let each wake-up land up to 50 µs late.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_clock_thread_asks_for_exact_timeouts() {
        let slack = std::thread::spawn(|| {
            exact_timeouts();
            nix::sys::prctl::get_timerslack()
        })
        .join()
        .expect("thread ends");
        assert_eq!(slack.expect("prctl answers"), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sleep_until_returns_after_the_deadline() {
        let clock = Clock::start();
        let deadline = Instant::now() + Duration::from_millis(5);
        clock.sleep_until(deadline).await;
        assert!(Instant::now() >= deadline);
    }
}
