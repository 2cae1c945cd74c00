//! [`TimeoutLayer`].

use std::time::Duration;

use super::Timeout;
use crate::layer::Layer;

/// Wraps LMs in [`Timeout`] with one deadline.
#[derive(Debug, Clone, Copy)]
pub struct TimeoutLayer {
    deadline: Duration,
}

impl TimeoutLayer {
    /// A layer giving each call at most `deadline`.
    pub fn new(deadline: Duration) -> TimeoutLayer {
        TimeoutLayer { deadline }
    }
}

impl<L> Layer<L> for TimeoutLayer {
    type Lm = Timeout<L>;

    fn layer(&self, inner: L) -> Timeout<L> {
        Timeout::new(inner, self.deadline)
    }
}
