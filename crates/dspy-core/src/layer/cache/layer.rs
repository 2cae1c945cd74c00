//! [`CacheLayer`].

use super::{Cache, ResponseCache};
use crate::layer::Layer;

/// Wraps LMs in [`Cache`], all sharing one [`ResponseCache`].
#[derive(Debug, Clone, Default)]
pub struct CacheLayer {
    cache: ResponseCache,
}

impl CacheLayer {
    /// A layer caching in `cache`.
    pub fn new(cache: ResponseCache) -> CacheLayer {
        CacheLayer { cache }
    }
}

impl<L> Layer<L> for CacheLayer {
    type Lm = Cache<L>;

    fn layer(&self, inner: L) -> Cache<L> {
        Cache::new(inner, self.cache.clone())
    }
}
