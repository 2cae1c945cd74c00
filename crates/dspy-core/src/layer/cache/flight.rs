//! Single-flight: concurrent identical requests share one upstream call.
//!
//! The first caller for a key becomes the leader and registers a [`Flight`]; later callers
//! subscribe to it and wait. The leader publishes its outcome, and its [`Lead`] guard removes the
//! entry when dropped, whether it finished or was cancelled. A cancelled leader drops the last
//! sender, so its waiters wake up, see no outcome and try again (one of them leads next). No
//! lock is held across an await.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

use super::CacheKey;
use crate::lm::{LmError, LmResponse};

/// What a flight ends with, shared with every waiter.
pub(super) type Outcome = Result<Arc<LmResponse>, LmError>;

/// The calls in flight, by key.
#[derive(Debug, Default)]
pub(super) struct Flights {
    map: Mutex<HashMap<CacheKey, Arc<Flight>>>,
}

#[derive(Debug)]
struct Flight {
    tx: watch::Sender<Option<Outcome>>,
}

/// The caller's role for one key.
pub(super) enum Join<'a> {
    /// Nobody is calling for this key: make the call, then [`Lead::finish`].
    Leader(Lead<'a>),
    /// Someone is: wait for their outcome.
    Waiter(Waiter),
}

impl Flights {
    /// Joins the flight for `key`, or starts one.
    pub(super) fn join(&self, key: CacheKey) -> Join<'_> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        match map.entry(key) {
            Entry::Occupied(entry) => Join::Waiter(Waiter(entry.get().tx.subscribe())),
            Entry::Vacant(entry) => {
                let (tx, _) = watch::channel(None);
                let flight = Arc::new(Flight { tx });
                entry.insert(Arc::clone(&flight));
                Join::Leader(Lead {
                    flights: self,
                    key,
                    flight,
                })
            }
        }
    }

    /// Calls in flight (diagnostics and tests).
    pub(super) fn len(&self) -> usize {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// The leader's guard: removes the flight when dropped.
pub(super) struct Lead<'a> {
    flights: &'a Flights,
    key: CacheKey,
    flight: Arc<Flight>,
}

impl Lead<'_> {
    /// Publishes the outcome to the waiters and ends the flight.
    pub(super) fn finish(self, outcome: Outcome) {
        self.flight.tx.send_replace(Some(outcome));
        // Dropping `self` removes the entry.
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        let mut map = self
            .flights
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Entry::Occupied(entry) = map.entry(self.key) {
            if Arc::ptr_eq(entry.get(), &self.flight) {
                entry.remove();
            }
        }
    }
}

/// A caller waiting for a leader.
pub(super) struct Waiter(watch::Receiver<Option<Outcome>>);

impl Waiter {
    /// The leader's outcome, or `None` if the leader was cancelled before it had one.
    pub(super) async fn outcome(mut self) -> Option<Outcome> {
        match self.0.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone(),
            Err(_) => None,
        }
    }
}
