//! [`PredictorId`]: tells predictor calls in a trace apart.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Identifies one [`Predict`](super::Predict) value while the process runs (DSPy keys traces
/// by the predictor object itself).
///
/// Every new predictor, clones included, gets a fresh id, so the predictors of a cloned
/// program (an optimizer's teacher, say) are told apart from the original's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PredictorId(u64);

static NEXT: AtomicU64 = AtomicU64::new(1);

impl PredictorId {
    pub(crate) fn fresh() -> PredictorId {
        PredictorId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl fmt::Display for PredictorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}
