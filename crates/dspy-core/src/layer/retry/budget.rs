//! [`RetryBudget`]: a token bucket of retries shared across calls.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::time::Instant;

/// Caps retries across every call that shares it, so an outage does not multiply load.
///
/// A token bucket: it starts full with `capacity` tokens, each retry takes one, each first
/// attempt puts back `deposit_per_call` (e.g. `0.2` allows retries for 20 % of traffic), and it
/// refills at `refill_per_second`, never beyond `capacity`. A retry the bucket cannot pay for
/// is not made: the call ends with
/// [`LmError::RetriesExhausted`](crate::lm::LmError::RetriesExhausted).
///
/// Clones share one bucket.
///
/// ```
/// use dspy_core::layer::retry::{RetryBudget, RetryPolicy};
///
/// let budget = RetryBudget::new(10.0).deposit_per_call(0.2).refill_per_second(1.0);
/// let policy = RetryPolicy::new().budget(budget.clone());
/// assert_eq!(budget.available(), 10.0);
/// # let _ = policy;
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    shared: Arc<Shared>,
}

struct Shared {
    capacity: f64,
    deposit: f64,
    refill: f64,
    state: Mutex<State>,
}

struct State {
    tokens: f64,
    last: Instant,
}

impl RetryBudget {
    /// A full bucket of `capacity` retries, with no deposits and no refill.
    pub fn new(capacity: f64) -> RetryBudget {
        RetryBudget::build(capacity.max(0.0), 0.0, 0.0)
    }

    /// Tokens each first attempt puts back.
    #[must_use]
    pub fn deposit_per_call(self, tokens: f64) -> RetryBudget {
        RetryBudget::build(self.shared.capacity, tokens.max(0.0), self.shared.refill)
    }

    /// Tokens added per second.
    #[must_use]
    pub fn refill_per_second(self, tokens: f64) -> RetryBudget {
        RetryBudget::build(self.shared.capacity, self.shared.deposit, tokens.max(0.0))
    }

    fn build(capacity: f64, deposit: f64, refill: f64) -> RetryBudget {
        RetryBudget {
            shared: Arc::new(Shared {
                capacity,
                deposit,
                refill,
                state: Mutex::new(State {
                    tokens: capacity,
                    last: Instant::now(),
                }),
            }),
        }
    }

    /// Retries the bucket can pay for now.
    pub fn available(&self) -> f64 {
        let mut state = self.lock();
        self.refill(&mut state);
        state.tokens
    }

    /// Records a first attempt.
    pub(super) fn deposit(&self) {
        if self.shared.deposit > 0.0 {
            let mut state = self.lock();
            state.tokens = (state.tokens + self.shared.deposit).min(self.shared.capacity);
        }
    }

    /// Takes one retry's token, if there is one.
    pub(super) fn withdraw(&self) -> bool {
        let mut state = self.lock();
        self.refill(&mut state);
        if state.tokens >= 1.0 {
            state.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn refill(&self, state: &mut State) {
        if self.shared.refill > 0.0 {
            let now = Instant::now();
            let secs = now.saturating_duration_since(state.last).as_secs_f64();
            state.tokens = (state.tokens + secs * self.shared.refill).min(self.shared.capacity);
            state.last = now;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("capacity", &self.shared.capacity)
            .field("deposit_per_call", &self.shared.deposit)
            .field("refill_per_second", &self.shared.refill)
            .field("available", &self.lock().tokens)
            .finish()
    }
}
