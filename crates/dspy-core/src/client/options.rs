//! What every client builder shares: [`HttpOptions`] (key, base URLs, deadline, headers) and the
//! [`http_setters!`] macro that writes their setters once for all builders.

use std::fmt;
use std::time::Duration;

use super::secret::ApiKey;

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
    /// The HTTP client to use instead of the shared one.
    #[cfg(feature = "__http")]
    pub(crate) http: Option<reqwest::Client>,
}

impl HttpOptions {
    /// Adds the options to a builder's `Debug` output: header names only, the key redacted.
    pub(crate) fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>) {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        out.field("api_key", &self.api_key)
            .field("base_urls", &self.base_urls)
            .field("timeout", &self.timeout)
            .field("headers", &header_names);
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
