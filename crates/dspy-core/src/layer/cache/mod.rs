//! Response caching: an in-memory LRU, a persistent SQLite file and a shared Redis server,
//! with single-flight.
//!
//! [`Cache`] answers a request from a [`ResponseCache`] when it has seen the same request
//! before, as DSPy does: the key ([`CacheKey`]) is a SHA-256 of the whole request (model,
//! messages, every setting, `rollout_id`), never of secrets or endpoints.
//!
//! - **Hits** come back with `cached = true` and zero usage, so usage accounting stays exact.
//! - **Per call**, [`LmRequest::cache`](crate::lm::LmRequest::cache) picks
//!   [`CacheMode::Enabled`] (default),
//!   [`Refresh`](crate::lm::CacheMode::Refresh) (call and overwrite) or
//!   [`Bypass`](crate::lm::CacheMode::Bypass) (DSPy's `cache=False`). A different `rollout_id`
//!   is a different key: the DSPy way to ask for a fresh sample of the same prompt.
//! - **Single-flight**: identical requests that arrive while one is in flight wait for it and
//!   share its answer (or its error) instead of calling the LM again.
//! - **Errors are never stored**, nor answers without completions (`choices` empty): those go
//!   back to their caller only, and callers waiting on the same request call the LM themselves.
//! - **Cancellation-safe**: dropping a call at any point leaves no in-flight entry behind;
//!   callers waiting on a cancelled call take over.
//! - **Never fails a call**: with the `disk-cache` feature, `DiskCache` logs problems with
//!   the file (corrupt, locked, full disk) and treats them as misses; a read-only file still
//!   answers hits. Its size is bounded (`DiskCacheOptions::max_entries` and `max_bytes`,
//!   least recently used answers go first). With `redis-cache`, `RedisCache` adds a level
//!   that several processes or machines share; a server that is down or slow (every
//!   operation is bounded by a timeout) is logged and treated as a miss.
//!
//! ```
//! use dspy_core::adapters::Message;
//! use dspy_core::layer::cache::{Cache, ResponseCache};
//! use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};
//!
//! #[derive(Debug)]
//! struct Echo;
//! impl LanguageModel for Echo {
//!     fn call(&self, r: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
//!         Box::pin(async move { Ok(LmResponse::text("echo", r.messages[0].content.clone())) })
//!     }
//!     fn model(&self) -> &str { "echo" }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let cache = ResponseCache::in_memory(1000);
//! let lm = Cache::new(Echo, cache.clone());
//! let request = LmRequest::new(vec![Message::user("hi")]);
//! assert!(!lm.call(request.clone()).await?.cached);
//! assert!(lm.call(request).await?.cached);
//! assert_eq!(cache.stats().misses, 1);
//! # Ok::<(), LmError>(())
//! # }).unwrap();
//! ```

#[cfg(feature = "disk-cache")]
mod disk;
#[cfg(any(feature = "disk-cache", feature = "redis-cache"))]
mod error;
mod flight;
mod key;
mod layer;
mod memory;
#[cfg(feature = "redis-cache")]
mod redis;
mod store;

use std::sync::Arc;

#[cfg(feature = "disk-cache")]
#[cfg_attr(docsrs, doc(cfg(feature = "disk-cache")))]
pub use disk::{DiskCache, DiskCacheOptions};
#[cfg(any(feature = "disk-cache", feature = "redis-cache"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "disk-cache", feature = "redis-cache"))))]
pub use error::CacheError;
pub use key::CacheKey;
pub use layer::CacheLayer;
#[cfg(feature = "redis-cache")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis-cache")))]
pub use redis::{RedisCache, RedisCacheOptions};
pub use store::{CacheStats, ResponseCache, ResponseCacheBuilder, DEFAULT_MEMORY_ENTRIES};

use flight::Join;

use crate::lm::{BoxFuture, CacheMode, LanguageModel, LmError, LmRequest, LmResponse, Usage};

/// Answers repeated requests from a [`ResponseCache`]; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Cache<L> {
    inner: L,
    cache: ResponseCache,
}

impl<L> Cache<L> {
    /// Caches `inner`'s answers in `cache`.
    pub fn new(inner: L, cache: ResponseCache) -> Cache<L> {
        Cache { inner, cache }
    }

    /// The cache in use.
    pub fn cache(&self) -> &ResponseCache {
        &self.cache
    }

    /// The wrapped LM.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }
}

impl<L: LanguageModel> Cache<L> {
    async fn cached_call(&self, request: LmRequest) -> Result<LmResponse, LmError> {
        let key = CacheKey::for_request(&request, self.inner.model());
        loop {
            if let Some(hit) = self.cache.memory_get(&key) {
                return Ok(as_cached(&hit));
            }
            match self.cache.flights().join(key) {
                Join::Waiter(waiter) => match waiter.outcome().await {
                    Some(Ok(response)) => {
                        self.cache.count_coalesced();
                        return Ok(as_cached(&response));
                    }
                    Some(Err(error)) => return Err(error),
                    // The leader was cancelled: look again, maybe lead.
                    None => continue,
                },
                Join::Leader(lead) => {
                    // The previous leader may have stored its answer between our memory
                    // lookup and joining.
                    let local = self
                        .cache
                        .memory_get(&key)
                        .or_else(|| self.cache.disk_get(&key));
                    let hit = match local {
                        Some(hit) => Some(hit),
                        None => self.cache.shared_get(&key).await,
                    };
                    if let Some(hit) = hit {
                        lead.finish(Ok(Arc::clone(&hit)));
                        return Ok(as_cached(&hit));
                    }
                    self.cache.count_miss();
                    return match self.inner.call(request).await {
                        // No completions is no answer: not stored, not shared with waiters
                        // (dropping the lead sends them to call the LM themselves).
                        Ok(response) if response.choices.is_empty() => {
                            drop(lead);
                            Ok(response)
                        }
                        Ok(response) => {
                            let shared = Arc::new(response);
                            self.cache.store(key, &shared);
                            lead.finish(Ok(Arc::clone(&shared)));
                            self.cache.store_shared(&key, &shared).await;
                            Ok(Arc::unwrap_or_clone(shared))
                        }
                        Err(error) => {
                            lead.finish(Err(error.clone()));
                            Err(error)
                        }
                    };
                }
            }
        }
    }
}

impl<L: LanguageModel> LanguageModel for Cache<L> {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            match request.cache {
                CacheMode::Bypass => self.inner.call(request).await,
                CacheMode::Refresh => {
                    let key = CacheKey::for_request(&request, self.inner.model());
                    self.cache.count_miss();
                    let response = Arc::new(self.inner.call(request).await?);
                    self.cache.store(key, &response);
                    self.cache.store_shared(&key, &response).await;
                    Ok(Arc::unwrap_or_clone(response))
                }
                _ => self.cached_call(request).await,
            }
        })
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn supports_function_calling(&self) -> bool {
        self.inner.supports_function_calling()
    }
}

/// A stored answer as a hit: `cached = true`, no usage (DSPy reports empty usage for hits).
fn as_cached(response: &LmResponse) -> LmResponse {
    let mut hit = response.clone();
    hit.cached = true;
    hit.usage = Usage::default();
    hit
}
