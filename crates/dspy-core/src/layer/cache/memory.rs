//! The in-memory LRU level.

use std::sync::{Arc, Mutex, PoisonError};

use hashlink::LruCache;

use super::CacheKey;
use crate::lm::LmResponse;

/// A bounded, least-recently-used map from keys to responses. The lock is held only for the
/// map operation itself; responses are shared as `Arc`s so no clone happens under it.
#[derive(Debug)]
pub(super) struct MemoryLru {
    map: Mutex<LruCache<CacheKey, Arc<LmResponse>>>,
}

impl MemoryLru {
    pub(super) fn new(max_entries: usize) -> MemoryLru {
        MemoryLru {
            map: Mutex::new(LruCache::new(max_entries.max(1))),
        }
    }

    pub(super) fn get(&self, key: &CacheKey) -> Option<Arc<LmResponse>> {
        // A panic elsewhere while holding the lock cannot leave the LRU half-updated in a way
        // that matters for a cache, so a poisoned lock is simply reused.
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key).cloned()
    }

    pub(super) fn insert(&self, key: CacheKey, value: Arc<LmResponse>) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.insert(key, value);
    }

    pub(super) fn len(&self) -> usize {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub(super) fn clear(&self) {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
