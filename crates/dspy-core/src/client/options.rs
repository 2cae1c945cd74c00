//! What every client builder shares: [`HttpOptions`] (key, base URLs, deadline, headers, size
//! limits) and the [`http_setters!`] macro that writes their setters once for all builders.

use std::fmt;
use std::time::Duration;

use super::secret::{redact_url, ApiKey};

/// Default largest response body read (32 MiB); set with the builders' `max_response_bytes`.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 << 20;

/// Default prefix of an error body read for its message (64 KiB); the rest is not read. Set
/// with the builders' `max_error_body_bytes`.
pub const DEFAULT_MAX_ERROR_BODY_BYTES: usize = 64 << 10;

/// Default largest server-sent-events line, and event data, of a stream (1 MiB); set with the
/// builders' `max_sse_event_bytes`.
pub const DEFAULT_MAX_SSE_EVENT_BYTES: usize = 1 << 20;

/// The connection settings a builder was given; unset ones fall back to the environment and the
/// provider's defaults.
#[derive(Clone, Default)]
pub(crate) struct HttpOptions {
    /// The API key.
    pub(crate) api_key: Option<ApiKey>,
    /// Base URLs: one per client, several make a [`Fleet`](super::Fleet).
    pub(crate) base_urls: Vec<String>,
    /// The deadline of one call (default 600 s).
    pub(crate) timeout: Option<Duration>,
    /// Extra headers on every request; values are secrets.
    pub(crate) headers: Vec<(String, String)>,
    /// Largest success body read (default [`DEFAULT_MAX_RESPONSE_BYTES`]).
    pub(crate) max_response_bytes: Option<usize>,
    /// Prefix of an error body read (default [`DEFAULT_MAX_ERROR_BODY_BYTES`]).
    pub(crate) max_error_body_bytes: Option<usize>,
    /// Largest SSE line and event data (default [`DEFAULT_MAX_SSE_EVENT_BYTES`]).
    pub(crate) max_sse_event_bytes: Option<usize>,
    /// The HTTP client to use instead of the shared one.
    #[cfg(feature = "__http")]
    pub(crate) http: Option<reqwest::Client>,
}

impl HttpOptions {
    /// Adds the options to a builder's `Debug` output: header names only, the key and the
    /// credentials in base URLs redacted.
    pub(crate) fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>) {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        let base_urls: Vec<String> = self.base_urls.iter().map(|b| redact_url(b)).collect();
        out.field("api_key", &self.api_key)
            .field("base_urls", &base_urls)
            .field("timeout", &self.timeout)
            .field("headers", &header_names);
        if let Some(n) = self.max_response_bytes {
            out.field("max_response_bytes", &n);
        }
        if let Some(n) = self.max_error_body_bytes {
            out.field("max_error_body_bytes", &n);
        }
        if let Some(n) = self.max_sse_event_bytes {
            out.field("max_sse_event_bytes", &n);
        }
    }

    /// The options of one endpoint of a resolved model: ours, with its key and base URL.
    pub(crate) fn for_endpoint(&self, base: &str, api_key: Option<ApiKey>) -> HttpOptions {
        HttpOptions {
            api_key,
            base_urls: vec![base.to_owned()],
            ..self.clone()
        }
    }
}

/// Setters on a builder for the [`HttpOptions`] at a field path (`options`, `setup.http`).
///
/// Each setter has one body and one first doc line, here; a builder names the setters it offers
/// and may add provider-specific doc lines before each name:
///
/// ```ignore
/// impl MyBuilder {
///     http_setters! {
///         options;
///         /// Sent as `x-api-key`.
///         api_key;
///         timeout;
///     }
/// }
/// ```
macro_rules! http_setters {
    (@setter ($($f:ident).+) $(#[$doc:meta])* api_key) => {
        /// The API key, instead of the provider's environment variable.
        $(#[$doc])*
        pub fn api_key(mut self, key: impl Into<$crate::client::ApiKey>) -> Self {
            self.$($f).+.api_key = Some(key.into());
            self
        }
    };
    (@setter ($($f:ident).+) $(#[$doc:meta])* base_url) => {
        /// The base URL, instead of the provider's environment variable or default.
        $(#[$doc])*
        pub fn base_url(mut self, url: impl Into<String>) -> Self {
            self.$($f).+.base_urls = vec![url.into()];
            self
        }
    };
    (@setter ($($f:ident).+) $(#[$doc:meta])* base_urls) => {
        /// Several base URLs serving the same model: the result is a
        /// [`Fleet`]($crate::client::Fleet) over them.
        $(#[$doc])*
        pub fn base_urls<I, S>(mut self, urls: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.$($f).+.base_urls = urls.into_iter().map(Into::into).collect();
            self
        }
    };
    (@setter ($($f:ident).+) $(#[$doc:meta])* timeout) => {
        /// The deadline of one call, connection to last byte (default 600 s).
        $(#[$doc])*
        pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$($f).+.timeout = Some(timeout);
            self
        }
    };
    (@setter ($($f:ident).+) $(#[$doc:meta])* header) => {
        /// An extra header on every request. Values are treated as secrets.
        $(#[$doc])*
        pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.$($f).+.headers.push((name.into(), value.into()));
            self
        }
    };
    (@setter ($($f:ident).+) $(#[$doc:meta])* max_response_bytes) => {
        /// The largest response body read, in bytes (default 32 MiB,
        /// [`DEFAULT_MAX_RESPONSE_BYTES`]($crate::client::DEFAULT_MAX_RESPONSE_BYTES)). A larger
        /// one (by its `Content-Length` or as it arrives) fails the call with
        /// [`LmError::ResponseTooLarge`]($crate::lm::LmError::ResponseTooLarge), without
        /// reading the rest.
        $(#[$doc])*
        pub fn max_response_bytes(mut self, bytes: usize) -> Self {
            self.$($f).+.max_response_bytes = Some(bytes);
            self
        }
    };
    (@setter ($($f:ident).+) $(#[$doc:meta])* max_error_body_bytes) => {
        /// How much of an HTTP error's body is read for its message, in bytes (default 64 KiB,
        /// [`DEFAULT_MAX_ERROR_BODY_BYTES`]($crate::client::DEFAULT_MAX_ERROR_BODY_BYTES)); the
        /// rest is not read.
        $(#[$doc])*
        pub fn max_error_body_bytes(mut self, bytes: usize) -> Self {
            self.$($f).+.max_error_body_bytes = Some(bytes);
            self
        }
    };
    (@setter ($($f:ident).+) $(#[$doc:meta])* max_sse_event_bytes) => {
        /// The largest line, and event data, of a streamed answer's server-sent events, in bytes
        /// (default 1 MiB,
        /// [`DEFAULT_MAX_SSE_EVENT_BYTES`]($crate::client::DEFAULT_MAX_SSE_EVENT_BYTES)). A
        /// larger one ends the stream with
        /// [`LmError::ResponseTooLarge`]($crate::lm::LmError::ResponseTooLarge).
        $(#[$doc])*
        pub fn max_sse_event_bytes(mut self, bytes: usize) -> Self {
            self.$($f).+.max_sse_event_bytes = Some(bytes);
            self
        }
    };
    (@setter ($($f:ident).+) $(#[$doc:meta])* http_client) => {
        /// Uses this HTTP client instead of the process-wide shared one.
        $(#[$doc])*
        pub fn http_client(mut self, client: ::reqwest::Client) -> Self {
            self.$($f).+.http = Some(client);
            self
        }
    };
    ($($field:ident).+; $($setters:tt)+) => {
        $crate::client::options::http_setters!(@each ($($field).+) $($setters)+);
    };
    (@each $path:tt $(#[$doc:meta])* $setter:ident; $($rest:tt)*) => {
        $crate::client::options::http_setters!(@setter $path $(#[$doc])* $setter);
        $crate::client::options::http_setters!(@each $path $($rest)*);
    };
    (@each $path:tt) => {};
}
pub(crate) use http_setters;
