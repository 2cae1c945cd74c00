//! The shared level: a Redis server that several processes or machines use as one cache.
//!
//! Answers are stored under `{prefix}{key}` (the request's SHA-256, hex) as the same JSON the
//! disk cache keeps, with an optional time to live. Every lookup, write and connection attempt
//! is bounded by [`RedisCacheOptions::timeout`]; a failure (server down, timeout, an unreadable
//! value) is logged and counts as a miss or a dropped write, and after a failure the level rests
//! for [`RedisCacheOptions::cooldown`] so a missing server costs nothing per call. A fresh
//! answer is written before the call returns (so nothing is lost when the process exits), which
//! adds one round trip to each miss. The URL's password never reaches logs, errors or `Debug`
//! output.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;
use tokio::sync::OnceCell;

use super::{CacheError, CacheKey};
use crate::lm::LmResponse;

/// Settings of a [`RedisCache`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisCacheOptions {
    /// Prepended to every key (default `dspy-rs:lm:`), so one server can hold other data.
    pub key_prefix: String,
    /// How long an answer is kept, in whole seconds of at least one (`None`, the default:
    /// until Redis evicts it under its own `maxmemory` policy).
    pub ttl: Option<Duration>,
    /// The longest a lookup, a write or the first connection may take (default 1 s).
    pub timeout: Duration,
    /// After a failure, how long the level is skipped before it is tried again (default 5 s).
    pub cooldown: Duration,
    /// Answers larger than this (their JSON) are not stored (default 16 MiB); of a stored value
    /// at most this many bytes (and one more) are read, and a larger one is a miss.
    pub max_value_bytes: usize,
}

impl Default for RedisCacheOptions {
    fn default() -> Self {
        RedisCacheOptions {
            key_prefix: "dspy-rs:lm:".into(),
            ttl: None,
            timeout: Duration::from_secs(1),
            cooldown: Duration::from_secs(5),
            max_value_bytes: 16 << 20,
        }
    }
}

/// A response cache level on a Redis server; add it with
/// [`ResponseCacheBuilder::redis`](super::ResponseCacheBuilder::redis) or
/// `Lm::builder(..).redis_cache(url)`.
///
/// Opening only checks the URL; the connection is made on first use (and remade after a
/// failure). Cloning shares the connection.
///
/// ```
/// use dspy_core::layer::cache::{RedisCache, ResponseCache};
///
/// let redis = RedisCache::open("redis://127.0.0.1:6379/0")?;
/// let cache = ResponseCache::builder().redis(redis).build();
/// # Ok::<(), dspy_core::layer::cache::CacheError>(())
/// ```
#[derive(Clone)]
pub struct RedisCache {
    shared: Arc<Shared>,
}

struct Shared {
    client: redis::Client,
    /// `host:port/db`, without credentials, for messages.
    server: String,
    connection: OnceCell<ConnectionManager>,
    options: RedisCacheOptions,
    errors: AtomicU64,
    resting_until: Mutex<Option<Instant>>,
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache")
            .field("server", &self.shared.server)
            .field("options", &self.shared.options)
            .field("errors", &self.errors())
            .finish_non_exhaustive()
    }
}

impl RedisCache {
    /// A level on the server at `url` (`redis://[:password@]host[:port][/db]`, `rediss://`
    /// for TLS is not built in) with default options.
    pub fn open(url: &str) -> Result<RedisCache, CacheError> {
        RedisCache::with_options(url, RedisCacheOptions::default())
    }

    /// A level on the server at `url` with `options`.
    pub fn with_options(url: &str, options: RedisCacheOptions) -> Result<RedisCache, CacheError> {
        if let Some(ttl) = options.ttl {
            // Redis keeps expiries in milliseconds below 2^63; a year is far inside.
            if ttl < Duration::from_secs(1) || ttl.as_secs() > 100 * 365 * 24 * 3600 {
                return Err(CacheError::RedisUrl {
                    message: format!(
                        "the time to live {ttl:?} is not between 1 second and 100 years"
                    ),
                });
            }
        }
        let client = redis::Client::open(url).map_err(|error| CacheError::RedisUrl {
            message: error.to_string().replace(url, "<url>"),
        })?;
        let info = client.get_connection_info();
        let server = format!("{}/{}", info.addr(), info.redis_settings().db());
        Ok(RedisCache {
            shared: Arc::new(Shared {
                client,
                server,
                connection: OnceCell::new(),
                options,
                errors: AtomicU64::new(0),
                resting_until: Mutex::new(None),
            }),
        })
    }

    /// The server, as `host:port/db` (no credentials).
    pub fn server(&self) -> &str {
        &self.shared.server
    }

    /// Lookups and writes that failed so far (each logged, none failed a call).
    pub fn errors(&self) -> u64 {
        self.shared.errors.load(Ordering::Relaxed)
    }

    /// The stored answer for `key`, if any; failures are misses.
    pub(super) async fn get(&self, key: &CacheKey) -> Option<LmResponse> {
        let mut connection = self.connection().await?;
        let name = self.key_name(key);
        // GETRANGE reads at most one byte past the limit: a longer value is skipped unread.
        let limit = self.shared.options.max_value_bytes;
        let end = isize::try_from(limit).unwrap_or(isize::MAX);
        let bytes = match self
            .bounded(async { connection.getrange::<_, Vec<u8>>(&name, 0, end).await })
            .await
        {
            Some(Ok(bytes)) => bytes,
            Some(Err(error)) => return self.failed("lookup", &error),
            None => return self.failed("lookup", &"timed out"),
        };
        if bytes.is_empty() || bytes.len() > limit {
            return None;
        }
        match serde_json::from_slice::<LmResponse>(&bytes) {
            Ok(response) if !response.choices.is_empty() => Some(response),
            Ok(_) | Err(_) => {
                tracing::warn!(key = %name, "unreadable answer in the Redis cache; ignoring it");
                None
            }
        }
    }

    /// Stores `response` under `key`; failures are logged and dropped.
    pub(super) async fn put(&self, key: &CacheKey, response: &LmResponse) {
        let Ok(bytes) = serde_json::to_vec(response) else {
            return;
        };
        if bytes.len() > self.shared.options.max_value_bytes {
            return;
        }
        let Some(mut connection) = self.connection().await else {
            return;
        };
        let name = self.key_name(key);
        let ttl = self.shared.options.ttl;
        let write = async {
            match ttl {
                Some(ttl) => {
                    connection
                        .set_ex::<_, _, ()>(&name, bytes, ttl.as_secs().max(1))
                        .await
                }
                None => connection.set::<_, _, ()>(&name, bytes).await,
            }
        };
        match self.bounded(write).await {
            Some(Ok(())) => {}
            Some(Err(error)) => {
                self.failed::<()>("write", &error);
            }
            None => {
                self.failed::<()>("write", &"timed out");
            }
        }
    }

    fn key_name(&self, key: &CacheKey) -> String {
        format!("{}{key}", self.shared.options.key_prefix)
    }

    /// The connection, made on first use; `None` while resting after a failure.
    async fn connection(&self) -> Option<ConnectionManager> {
        if self.resting() {
            return None;
        }
        let shared = &self.shared;
        let timeout = shared.options.timeout;
        let made = shared
            .connection
            .get_or_try_init(|| async {
                // Callers that waited behind a failed attempt do not try again while resting.
                if self.resting() {
                    return Err("resting after a failure".to_string());
                }
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(0);
                let connect = ConnectionManager::new_with_config(shared.client.clone(), config);
                match tokio::time::timeout(timeout, connect).await {
                    Ok(Ok(connection)) => Ok(connection),
                    Ok(Err(error)) => Err(error.to_string()),
                    Err(_) => Err("timed out".to_string()),
                }
            })
            .await;
        match made {
            Ok(connection) => Some(connection.clone()),
            Err(error) if error.starts_with("resting") => None,
            Err(error) => self.failed("connection", &error),
        }
    }

    async fn bounded<T>(&self, work: impl std::future::Future<Output = T>) -> Option<T> {
        tokio::time::timeout(self.shared.options.timeout, work)
            .await
            .ok()
    }

    fn resting(&self) -> bool {
        let resting = self
            .shared
            .resting_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        resting.is_some_and(|until| Instant::now() < until)
    }

    /// Counts and logs a failure, rests the level, and answers `None`.
    fn failed<T>(&self, what: &str, error: &dyn fmt::Display) -> Option<T> {
        self.shared.errors.fetch_add(1, Ordering::Relaxed);
        let mut resting = self
            .shared
            .resting_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let already = resting.is_some_and(|until| Instant::now() < until);
        *resting = Some(Instant::now() + self.shared.options.cooldown);
        if !already {
            tracing::warn!(
                server = %self.shared.server,
                %error,
                cooldown = ?self.shared.options.cooldown,
                "Redis response cache {what} failed; calls go to the LM while it rests"
            );
        }
        None
    }
}
