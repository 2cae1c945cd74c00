//! [`Lm`]: a model string with DSPy's defaults, like `dspy.LM("openai/gpt-4o-mini")`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{ApiKey, ClientBuilder};
use crate::layer::cache::ResponseCache;
use crate::layer::retry::RetryPolicy;
use crate::layer::trace::TraceLayer;
use crate::layer::usage::UsageTracker;
use crate::layer::LmBuilder;
use crate::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};

/// Most answers the memory cache keeps (DSPy's in-memory LRU holds a million).
pub const DEFAULT_MEMORY_ENTRIES: usize = 1_000_000;

/// Retries after a failed attempt (DSPy's `num_retries`).
pub const DEFAULT_NUM_RETRIES: u32 = 3;

/// A language model as `dspy.LM(model)` gives it: the provider's client behind a response
/// cache (in memory, and on disk with the `disk-cache` feature, as DSPy caches on disk by
/// default), 3 retries with exponential backoff and jitter on rate limits, timeouts and server
/// errors, and usage tracking. Temperature and `max_tokens` are left to the provider unless
/// set, as in DSPy. [`from_model`](super::from_model) stays for a bare client.
///
/// ```no_run
/// use dspy_core::lm::{LanguageModel, Lm};
///
/// let lm = Lm::new("openai/gpt-4o-mini")?; // reads OPENAI_API_KEY
/// let fresh = Lm::builder("openai/gpt-4o-mini").cache(false).temperature(0.7).build()?;
/// assert_eq!(lm.model(), "openai/gpt-4o-mini");
/// # Ok::<(), dspy_core::lm::LmError>(())
/// ```
///
/// One call skips the cache with [`CacheMode::Bypass`](crate::lm::CacheMode) on its request
/// (`LmConfig::cache(false)` on a predictor).
#[derive(Clone)]
pub struct Lm {
    stack: SharedLm,
    model: String,
    usage: UsageTracker,
    cache: Option<ResponseCache>,
}

impl Lm {
    /// `model` (`"openai/gpt-4o-mini"`, `"anthropic/claude-3-5-haiku-latest"`, ...) with DSPy's
    /// defaults; keys and base URLs come from the environment as for
    /// [`from_model`](super::from_model), whose errors it returns.
    pub fn new(model: &str) -> Result<Lm, LmError> {
        Lm::builder(model).build()
    }

    /// Options over DSPy's defaults for `model`.
    pub fn builder(model: impl Into<String>) -> LmOptions {
        LmOptions::from_client(ClientBuilder::new(model))
    }

    /// The usage (tokens, calls, cache hits) of every call so far.
    pub fn usage(&self) -> &UsageTracker {
        &self.usage
    }

    /// The response cache, unless turned off.
    pub fn response_cache(&self) -> Option<&ResponseCache> {
        self.cache.as_ref()
    }

    /// The model as a [`SharedLm`], for settings and predictors.
    pub fn shared(&self) -> SharedLm {
        Arc::new(self.clone())
    }
}

impl LanguageModel for Lm {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        self.stack.call(request)
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn supports_function_calling(&self) -> bool {
        self.stack.supports_function_calling()
    }
}

impl fmt::Debug for Lm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lm")
            .field("model", &self.model)
            .field("cache", &self.cache.is_some())
            .finish_non_exhaustive()
    }
}

/// Where an [`Lm`]'s disk cache lives.
#[derive(Debug, Clone)]
enum DiskChoice {
    /// `$DSPY_RS_CACHEDIR/lm-cache.sqlite`, else `~/.cache/dspy-rs/lm-cache.sqlite`.
    Default,
    /// This file.
    #[cfg_attr(not(feature = "disk-cache"), allow(dead_code))]
    At(PathBuf),
    /// Memory only.
    Off,
}

/// Options of an [`Lm`]: DSPy's defaults until changed.
#[derive(Clone)]
#[must_use]
pub struct LmOptions {
    client: ClientBuilder,
    cache: bool,
    disk: DiskChoice,
    memory_entries: usize,
    retry: RetryPolicy,
    temperature: Option<f64>,
    max_tokens: Option<u32>,
    record_text: bool,
    redis: RedisChoice,
}

/// Where the shared Redis level comes from.
#[derive(Debug, Clone)]
enum RedisChoice {
    /// `$DSPY_RS_REDIS_URL` when set (and the `redis-cache` feature is on), else none.
    FromEnv,
    /// This server (a password in the URL is never shown).
    #[cfg_attr(not(feature = "redis-cache"), allow(dead_code))]
    At(ApiKey),
    /// None.
    Off,
}

impl LmOptions {
    /// DSPy's defaults over a client builder set up as you need (headers, several base URLs,
    /// ...).
    pub fn from_client(client: ClientBuilder) -> LmOptions {
        LmOptions {
            client,
            cache: true,
            disk: DiskChoice::Default,
            memory_entries: DEFAULT_MEMORY_ENTRIES,
            retry: RetryPolicy::num_retries(DEFAULT_NUM_RETRIES),
            temperature: None,
            max_tokens: None,
            record_text: false,
            redis: RedisChoice::FromEnv,
        }
    }

    /// The API key, instead of the provider's environment variable.
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.client = self.client.api_key(key);
        self
    }

    /// The server's base URL, instead of the environment's or the provider's.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.client = self.client.base_url(url);
        self
    }

    /// The longest one HTTP attempt may take.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.client = self.client.timeout(timeout);
        self
    }

    /// Whether answers are cached at all (DSPy's `cache=`; default true).
    pub fn cache(mut self, enabled: bool) -> Self {
        self.cache = enabled;
        self
    }

    /// Keeps the disk cache in this file (needs the `disk-cache` feature to take effect).
    pub fn disk_cache_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.disk = DiskChoice::At(path.into());
        self
    }

    /// Caches in memory only.
    pub fn no_disk_cache(mut self) -> Self {
        self.disk = DiskChoice::Off;
        self
    }

    /// Shares answers with every process using the Redis server at `url`
    /// (`redis://[:password@]host[:port][/db]`), after the memory and disk levels. Needs the
    /// `redis-cache` feature (`redis` on the `dspy` crate); without it `build` fails. By
    /// default the server in `$DSPY_RS_REDIS_URL` is used when that variable is set.
    pub fn redis_cache(mut self, url: impl Into<String>) -> Self {
        self.redis = RedisChoice::At(ApiKey::new(url.into()));
        self
    }

    /// No Redis level, even when `$DSPY_RS_REDIS_URL` is set.
    pub fn no_redis_cache(mut self) -> Self {
        self.redis = RedisChoice::Off;
        self
    }

    /// Most answers kept in memory.
    pub fn memory_entries(mut self, n: usize) -> Self {
        self.memory_entries = n;
        self
    }

    /// Retries after a failed attempt (DSPy's `num_retries`; default 3).
    pub fn num_retries(mut self, n: u32) -> Self {
        self.retry = RetryPolicy::num_retries(n);
        self
    }

    /// The whole retry policy (backoff, deadline, budget).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The temperature of calls that set none.
    pub fn temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// The `max_tokens` of calls that set none.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Puts prompt and completion text into the call's trace span (`gen_ai.input.messages`,
    /// `gen_ai.output.messages`; see [`layer::trace`](crate::layer::trace)). Off by default:
    /// the text may hold user data.
    pub fn record_text(mut self, on: bool) -> Self {
        self.record_text = on;
        self
    }

    /// Builds the client and its layers.
    pub fn build(self) -> Result<Lm, LmError> {
        let client = self.client.build()?;
        let model = client.model().to_string();
        let usage = UsageTracker::new();
        let cache = if self.cache {
            Some(response_cache(
                &self.disk,
                &self.redis,
                self.memory_entries,
            )?)
        } else {
            None
        };
        let mut stack = LmBuilder::from_shared(client)
            .retry(self.retry)
            .track_usage(usage.clone())
            .trace(TraceLayer::new().with_text(self.record_text));
        if let Some(cache) = &cache {
            stack = stack.cache(cache.clone());
        }
        let mut stack = stack.build();
        // Outermost: the defaults fill a request before the trace span and the cache see it,
        // so they are part of the cache key, as `dspy.LM`'s kwargs are.
        if self.temperature.is_some() || self.max_tokens.is_some() {
            stack = Arc::new(Defaults {
                inner: stack,
                temperature: self.temperature,
                max_tokens: self.max_tokens,
            });
        }
        Ok(Lm {
            stack,
            model,
            usage,
            cache,
        })
    }
}

impl fmt::Debug for LmOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LmOptions")
            .field("cache", &self.cache)
            .field("disk", &self.disk)
            .field("temperature", &self.temperature)
            .field("max_tokens", &self.max_tokens)
            .field("record_text", &self.record_text)
            .finish_non_exhaustive()
    }
}

/// The memory cache, over a disk cache and a Redis level when their features are on and they
/// are wanted.
fn response_cache(
    disk: &DiskChoice,
    redis: &RedisChoice,
    memory_entries: usize,
) -> Result<ResponseCache, LmError> {
    #[allow(unused_mut)]
    let mut builder = ResponseCache::builder().memory_max_entries(memory_entries);
    #[cfg(feature = "redis-cache")]
    {
        let url = match redis {
            RedisChoice::FromEnv => std::env::var("DSPY_RS_REDIS_URL")
                .ok()
                .filter(|url| !url.trim().is_empty())
                .map(ApiKey::new),
            RedisChoice::At(url) => Some(url.clone()),
            RedisChoice::Off => None,
        };
        if let Some(url) = url {
            let redis = crate::layer::cache::RedisCache::open(url.expose()).map_err(|error| {
                let from = match redis {
                    RedisChoice::FromEnv => "$DSPY_RS_REDIS_URL",
                    _ => "redis_cache(..)",
                };
                LmError::config(format!(
                    "{error} (from {from}); fix it, or build with `no_redis_cache()`"
                ))
            })?;
            builder = builder.redis(redis);
        }
    }
    #[cfg(not(feature = "redis-cache"))]
    if let RedisChoice::At(_) = redis {
        return Err(LmError::config(
            "a Redis cache needs the `redis` feature of the `dspy` crate (`redis-cache` of dspy-core)",
        ));
    }
    #[cfg(feature = "disk-cache")]
    {
        let path = match disk {
            DiskChoice::Default => Some(default_disk_path()),
            DiskChoice::At(path) => Some(path.clone()),
            DiskChoice::Off => None,
        };
        if let Some(path) = path {
            builder = builder.disk(crate::layer::cache::DiskCache::open(path));
        }
    }
    #[cfg(not(feature = "disk-cache"))]
    let _ = disk;
    Ok(builder.build())
}

/// `$DSPY_RS_CACHEDIR/lm-cache.sqlite`, else `~/.cache/dspy-rs/lm-cache.sqlite` (our own file:
/// Python DSPy's `~/.dspy_cache` holds another format).
#[cfg(feature = "disk-cache")]
fn default_disk_path() -> PathBuf {
    let dir = std::env::var_os("DSPY_RS_CACHEDIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/dspy-rs")))
        .unwrap_or_else(|| std::env::temp_dir().join("dspy-rs"));
    dir.join("lm-cache.sqlite")
}

/// Fills the temperature and `max_tokens` of requests that set none.
#[derive(Debug)]
struct Defaults {
    inner: SharedLm,
    temperature: Option<f64>,
    max_tokens: Option<u32>,
}

impl LanguageModel for Defaults {
    fn call(&self, mut request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        request.params.temperature = request.params.temperature.or(self.temperature);
        request.params.max_tokens = request.params.max_tokens.or(self.max_tokens);
        self.inner.call(request)
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn supports_function_calling(&self) -> bool {
        self.inner.supports_function_calling()
    }
}
