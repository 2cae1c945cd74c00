//! [`History`]: the bounded ring of entries.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::inspect::render;
use super::HistoryEntry;

/// DSPy's `max_history_size`.
pub const DEFAULT_HISTORY_SIZE: usize = 10_000;

/// The most recent calls, oldest first, up to a capacity; clones share the entries.
///
/// See the [module docs](super) for an example.
#[derive(Debug, Clone)]
pub struct History {
    shared: Arc<Mutex<Ring>>,
}

#[derive(Debug)]
struct Ring {
    entries: VecDeque<Arc<HistoryEntry>>,
    capacity: usize,
}

impl Default for History {
    fn default() -> Self {
        History::new()
    }
}

impl History {
    /// Keeps the last [`DEFAULT_HISTORY_SIZE`] calls.
    pub fn new() -> History {
        History::with_capacity(DEFAULT_HISTORY_SIZE)
    }

    /// Keeps the last `capacity` calls; 0 records nothing (DSPy's `disable_history`).
    pub fn with_capacity(capacity: usize) -> History {
        History {
            shared: Arc::new(Mutex::new(Ring {
                entries: VecDeque::new(),
                capacity,
            })),
        }
    }

    /// How many calls are kept at most.
    pub fn capacity(&self) -> usize {
        self.lock().capacity
    }

    /// Calls kept now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `entry`, dropping the oldest beyond capacity.
    pub fn push(&self, entry: HistoryEntry) {
        let entry = Arc::new(entry);
        let mut ring = self.lock();
        if ring.capacity == 0 {
            return;
        }
        while ring.entries.len() >= ring.capacity {
            ring.entries.pop_front();
        }
        ring.entries.push_back(entry);
    }

    /// The last `n` entries, oldest first.
    pub fn last(&self, n: usize) -> Vec<Arc<HistoryEntry>> {
        let ring = self.lock();
        let skip = ring.entries.len().saturating_sub(n);
        ring.entries.iter().skip(skip).cloned().collect()
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.lock().entries.clear();
    }

    /// The last `n` entries as DSPy's `inspect_history(n)` prints them, without colors.
    pub fn inspect(&self, n: usize) -> String {
        render(&self.last(n), false)
    }

    /// Like [`inspect`](History::inspect), with DSPy's ANSI colors when `colors` is true.
    pub fn render(&self, n: usize, colors: bool) -> String {
        render(&self.last(n), colors)
    }

    /// Prints the last `n` entries to stdout, in color when stdout is a terminal.
    pub fn print(&self, n: usize) {
        let stdout = std::io::stdout();
        let colors = stdout.is_terminal();
        let text = render(&self.last(n), colors);
        let mut out = stdout.lock();
        // Printing is best effort, like Python's `print` to a closed pipe.
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    pub(super) fn is_recording(&self) -> bool {
        self.lock().capacity > 0
    }

    fn lock(&self) -> MutexGuard<'_, Ring> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
