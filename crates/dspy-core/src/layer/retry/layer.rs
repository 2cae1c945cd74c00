//! [`RetryLayer`].

use std::sync::Arc;

use super::backoff::JitterRng;
use super::{Retry, RetryPolicy};
use crate::layer::Layer;

/// Wraps LMs in [`Retry`] with one policy. LMs made by one layer share its jitter generator
/// and budget.
#[derive(Debug, Clone)]
pub struct RetryLayer {
    policy: RetryPolicy,
    rng: Arc<JitterRng>,
}

impl RetryLayer {
    /// A layer retrying as `policy` says.
    pub fn new(policy: RetryPolicy) -> RetryLayer {
        let rng = Arc::new(JitterRng::new(policy.seed));
        RetryLayer { policy, rng }
    }
}

impl<L> Layer<L> for RetryLayer {
    type Lm = Retry<L>;

    fn layer(&self, inner: L) -> Retry<L> {
        Retry {
            inner,
            policy: self.policy.clone(),
            rng: Arc::clone(&self.rng),
        }
    }
}
