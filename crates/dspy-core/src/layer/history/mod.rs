//! A bounded record of recent calls, and DSPy's `inspect_history` printer.
//!
//! [`RecordHistory`] appends one [`HistoryEntry`] per answered call (messages, settings,
//! the response with its usage and `cached` flag, latency, timestamp) to a [`History`] that
//! keeps the most recent 10,000 (DSPy's default). [`History::inspect`] renders the last `n`
//! entries exactly as DSPy's `inspect_history` prints them; [`History::print`] writes them to
//! stdout, in color when stdout is a terminal.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use dspy_core::adapters::Message;
//! use dspy_core::layer::history::{History, HistoryEntry};
//! use dspy_core::lm::{LmRequest, LmResponse};
//!
//! let history = History::new();
//! history.push(HistoryEntry::new(
//!     "openai/gpt-4o-mini",
//!     LmRequest::new(vec![Message::system("Be brief."), Message::user("Hi!")]),
//!     LmResponse::text("gpt-4o-mini", "Hello."),
//!     Duration::from_millis(120),
//!     UNIX_EPOCH + Duration::from_secs(1_700_000_000),
//! ));
//! assert_eq!(
//!     history.inspect(1),
//!     "\n\n\n\n[2023-11-14T22:13:20.000000]\n\n\
//!      System message:\n\nBe brief.\n\n\n\
//!      User message:\n\nHi!\n\n\n\
//!      Response:\n\nHello.\n\n\n\n\n\n"
//! );
//! ```

mod entry;
mod inspect;
mod layer;
mod ring;

pub use entry::HistoryEntry;
pub use layer::{HistoryLayer, RecordHistory};
pub use ring::{History, DEFAULT_HISTORY_SIZE};
