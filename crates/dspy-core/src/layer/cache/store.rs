//! [`ResponseCache`]: the memory and disk levels plus the calls in flight.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::flight::Flights;
use super::memory::MemoryLru;
use super::CacheKey;
#[cfg(feature = "disk-cache")]
use super::DiskCache;
#[cfg(feature = "redis-cache")]
use super::RedisCache;
use crate::lm::LmResponse;

/// DSPy's default for the in-memory level.
pub const DEFAULT_MEMORY_ENTRIES: usize = 1_000_000;

/// Where [`Cache`](super::Cache) layers keep answers: an in-memory LRU in front of an optional
/// on-disk cache, plus the calls in flight (for single-flight).
///
/// Cloning is cheap and shares everything: two layers built from clones of one `ResponseCache`
/// share hits and in-flight calls. Disk hits are promoted to memory.
///
/// ```
/// use dspy_core::layer::cache::ResponseCache;
///
/// let cache = ResponseCache::builder().memory_max_entries(10_000).build();
/// assert_eq!(cache.stats().misses, 0);
/// ```
#[derive(Debug, Clone)]
pub struct ResponseCache {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    memory: Option<MemoryLru>,
    #[cfg(feature = "disk-cache")]
    disk: Option<DiskCache>,
    #[cfg(feature = "redis-cache")]
    redis: Option<RedisCache>,
    flights: Flights,
    memory_hits: AtomicU64,
    disk_hits: AtomicU64,
    redis_hits: AtomicU64,
    coalesced: AtomicU64,
    misses: AtomicU64,
}

/// Counters of a [`ResponseCache`] since it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CacheStats {
    /// Answered from memory.
    pub memory_hits: u64,
    /// Answered from disk.
    pub disk_hits: u64,
    /// Answered from the shared Redis level.
    pub redis_hits: u64,
    /// Answered by waiting for an identical call already in flight.
    pub coalesced: u64,
    /// Sent to the LM.
    pub misses: u64,
    /// Disk lookups or writes that failed (each logged, none failed a call).
    pub disk_errors: u64,
    /// Redis lookups, writes or connections that failed (logged, none failed a call).
    pub redis_errors: u64,
}

impl CacheStats {
    /// Calls answered without the LM.
    pub fn hits(&self) -> u64 {
        self.memory_hits + self.disk_hits + self.redis_hits + self.coalesced
    }
}

impl Default for ResponseCache {
    /// Memory only, [`DEFAULT_MEMORY_ENTRIES`] entries.
    fn default() -> Self {
        ResponseCache::builder().build()
    }
}

impl ResponseCache {
    /// A memory-only cache of at most `max_entries` answers.
    pub fn in_memory(max_entries: usize) -> ResponseCache {
        ResponseCache::builder()
            .memory_max_entries(max_entries)
            .build()
    }

    /// Starts configuring a cache: memory on ([`DEFAULT_MEMORY_ENTRIES`]), no disk.
    pub fn builder() -> ResponseCacheBuilder {
        ResponseCacheBuilder {
            memory: Some(DEFAULT_MEMORY_ENTRIES),
            #[cfg(feature = "disk-cache")]
            disk: None,
            #[cfg(feature = "redis-cache")]
            redis: None,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> CacheStats {
        let s = &self.shared;
        CacheStats {
            memory_hits: s.memory_hits.load(Ordering::Relaxed),
            disk_hits: s.disk_hits.load(Ordering::Relaxed),
            redis_hits: s.redis_hits.load(Ordering::Relaxed),
            coalesced: s.coalesced.load(Ordering::Relaxed),
            misses: s.misses.load(Ordering::Relaxed),
            disk_errors: self.disk_errors(),
            redis_errors: self.redis_errors(),
        }
    }

    /// Distinct calls in flight right now (zero when idle: a cancelled call leaves nothing).
    pub fn in_flight(&self) -> usize {
        self.shared.flights.len()
    }

    /// Answers held in memory.
    pub fn memory_len(&self) -> usize {
        self.shared.memory.as_ref().map_or(0, MemoryLru::len)
    }

    /// Empties the memory level (the disk level is kept).
    pub fn clear_memory(&self) {
        if let Some(memory) = &self.shared.memory {
            memory.clear();
        }
    }

    /// The disk level, if any.
    #[cfg(feature = "disk-cache")]
    #[cfg_attr(docsrs, doc(cfg(feature = "disk-cache")))]
    pub fn disk(&self) -> Option<&DiskCache> {
        self.shared.disk.as_ref()
    }

    /// Blocks until answers stored so far are on disk (no-op without a disk level).
    pub fn flush(&self) {
        #[cfg(feature = "disk-cache")]
        if let Some(disk) = &self.shared.disk {
            disk.flush();
        }
    }

    /// The shared Redis level, if any.
    #[cfg(feature = "redis-cache")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis-cache")))]
    pub fn redis(&self) -> Option<&RedisCache> {
        self.shared.redis.as_ref()
    }

    fn redis_errors(&self) -> u64 {
        #[cfg(feature = "redis-cache")]
        if let Some(redis) = &self.shared.redis {
            return redis.errors();
        }
        0
    }

    /// Looks `key` up in the shared level and promotes a hit to memory.
    pub(super) async fn shared_get(&self, key: &CacheKey) -> Option<Arc<LmResponse>> {
        #[cfg(feature = "redis-cache")]
        if let Some(redis) = &self.shared.redis {
            let hit = Arc::new(redis.get(key).await?);
            self.shared.redis_hits.fetch_add(1, Ordering::Relaxed);
            if let Some(memory) = &self.shared.memory {
                memory.insert(*key, Arc::clone(&hit));
            }
            return Some(hit);
        }
        let _ = key;
        None
    }

    /// Stores a fresh answer in the shared level (after [`store`](Self::store), once waiters
    /// have their answer): bounded by the level's timeout, failures logged.
    pub(super) async fn store_shared(&self, key: &CacheKey, response: &Arc<LmResponse>) {
        #[cfg(feature = "redis-cache")]
        if let Some(redis) = &self.shared.redis {
            if !response.choices.is_empty() {
                redis.put(key, response).await;
            }
        }
        let _ = (key, response);
    }

    fn disk_errors(&self) -> u64 {
        #[cfg(feature = "disk-cache")]
        if let Some(disk) = &self.shared.disk {
            return disk.errors();
        }
        0
    }

    pub(super) fn flights(&self) -> &Flights {
        &self.shared.flights
    }

    pub(super) fn memory_get(&self, key: &CacheKey) -> Option<Arc<LmResponse>> {
        let hit = self.shared.memory.as_ref()?.get(key)?;
        self.shared.memory_hits.fetch_add(1, Ordering::Relaxed);
        Some(hit)
    }

    /// Looks `key` up on disk and promotes a hit to memory.
    pub(super) fn disk_get(&self, key: &CacheKey) -> Option<Arc<LmResponse>> {
        #[cfg(feature = "disk-cache")]
        if let Some(disk) = &self.shared.disk {
            let hit = Arc::new(disk.get(key)?);
            self.shared.disk_hits.fetch_add(1, Ordering::Relaxed);
            if let Some(memory) = &self.shared.memory {
                memory.insert(*key, Arc::clone(&hit));
            }
            return Some(hit);
        }
        let _ = key;
        None
    }

    pub(super) fn count_miss(&self) {
        self.shared.misses.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_coalesced(&self) {
        self.shared.coalesced.fetch_add(1, Ordering::Relaxed);
    }

    /// Stores a fresh answer in every level; an answer without completions is no answer and
    /// is never stored.
    pub(super) fn store(&self, key: CacheKey, response: &Arc<LmResponse>) {
        if response.choices.is_empty() {
            return;
        }
        if let Some(memory) = &self.shared.memory {
            memory.insert(key, Arc::clone(response));
        }
        #[cfg(feature = "disk-cache")]
        if let Some(disk) = &self.shared.disk {
            disk.put(key, Arc::clone(response));
        }
    }
}

/// Configures a [`ResponseCache`]; see [`ResponseCache::builder`].
#[derive(Debug)]
#[must_use]
pub struct ResponseCacheBuilder {
    memory: Option<usize>,
    #[cfg(feature = "disk-cache")]
    disk: Option<DiskCache>,
    #[cfg(feature = "redis-cache")]
    redis: Option<RedisCache>,
}

impl ResponseCacheBuilder {
    /// Keeps at most `n` answers in memory (least recently used go first).
    pub fn memory_max_entries(mut self, n: usize) -> Self {
        self.memory = Some(n);
        self
    }

    /// No memory level: every lookup goes to disk.
    pub fn no_memory(mut self) -> Self {
        self.memory = None;
        self
    }

    /// Adds a persistent level.
    #[cfg(feature = "disk-cache")]
    #[cfg_attr(docsrs, doc(cfg(feature = "disk-cache")))]
    pub fn disk(mut self, disk: DiskCache) -> Self {
        self.disk = Some(disk);
        self
    }

    /// Adds a level shared with other processes and machines, after memory and disk.
    #[cfg(feature = "redis-cache")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis-cache")))]
    pub fn redis(mut self, redis: RedisCache) -> Self {
        self.redis = Some(redis);
        self
    }

    /// Builds the cache.
    pub fn build(self) -> ResponseCache {
        ResponseCache {
            shared: Arc::new(Shared {
                memory: self.memory.map(MemoryLru::new),
                #[cfg(feature = "disk-cache")]
                disk: self.disk,
                #[cfg(feature = "redis-cache")]
                redis: self.redis,
                flights: Flights::default(),
                memory_hits: AtomicU64::new(0),
                disk_hits: AtomicU64::new(0),
                redis_hits: AtomicU64::new(0),
                coalesced: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            }),
        }
    }
}
