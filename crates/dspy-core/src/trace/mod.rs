//! Traces: a record of every predictor call made while a future runs, which optimizers use to
//! turn successful runs into demos (DSPy's `settings.trace`).
//!
//! Tracing is off unless a future runs inside [`with_trace`]; then each
//! [`Predict`](crate::predict::Predict) call appends a [`TraceEntry`]. Map an entry's
//! [`PredictorId`] back to a dotted name with
//! [`ModuleExt::predictor_name`](crate::module::ModuleExt::predictor_name).
//!
//! ```
//! use dspy_core::trace;
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let (value, entries) = trace::with_trace(async { 42 }).await;
//! assert_eq!(value, 42);
//! assert!(entries.is_empty());
//! # });
//! ```

use std::future::Future;
use std::sync::{Arc, Mutex};

use dspy_adapters::Values;

use crate::example::Prediction;
use crate::predict::PredictorId;

/// Most entries one trace keeps; older ones are dropped (DSPy's `max_trace_size`).
pub const MAX_TRACE_SIZE: usize = 10_000;

/// One predictor call: who was called, with what, and what it returned.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEntry {
    /// The predictor that ran.
    pub predictor: PredictorId,
    /// The inputs it was called with (after defaults were filled in).
    pub inputs: Values,
    /// What it returned.
    pub prediction: Prediction,
}

type Buffer = Arc<Mutex<Vec<TraceEntry>>>;

tokio::task_local! {
    static TRACE: Buffer;
}

/// Runs `fut`, collecting a [`TraceEntry`] for every predictor call it makes. With nested
/// traces, each call goes to the innermost one only.
pub async fn with_trace<F: Future>(fut: F) -> (F::Output, Vec<TraceEntry>) {
    let buffer: Buffer = Arc::default();
    let output = TRACE.scope(buffer.clone(), fut).await;
    let entries = std::mem::take(&mut *buffer.lock().unwrap_or_else(|e| e.into_inner()));
    (output, entries)
}

/// True inside [`with_trace`].
pub fn is_tracing() -> bool {
    TRACE.try_with(|_| ()).is_ok()
}

/// Appends `entry` to the current trace, if any.
pub(crate) fn record(entry: TraceEntry) {
    let _ = TRACE.try_with(|buffer| {
        let mut entries = buffer.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_TRACE_SIZE {
            entries.remove(0);
        }
        entries.push(entry);
    });
}
