//! HTTP machinery shared by the provider clients: one pooled `reqwest::Client` for the process,
//! endpoints with their headers, and the mapping of HTTP failures to [`LmError`].

mod retry_after;
pub(crate) mod sse;
pub(crate) mod status;
mod stream;
pub(crate) mod tokens;

pub(crate) use stream::{text_stream, StreamStep};

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};

use super::secret::ApiKey;
use crate::lm::{LmError, ResponseLimit};

/// Default deadline of one call (the OpenAI SDK's).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The process-wide client: every provider client shares its connection pool.
static SHARED: OnceLock<reqwest::Client> = OnceLock::new();

/// The shared `reqwest::Client` (keep-alive pool, `TCP_NODELAY`), built on first use.
pub(crate) fn shared_client() -> Result<reqwest::Client, LmError> {
    if let Some(client) = SHARED.get() {
        return Ok(client.clone());
    }
    let client = build_client()?;
    Ok(SHARED.get_or_init(|| client).clone())
}

fn build_client() -> Result<reqwest::Client, LmError> {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(concat!("dspy-rs/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| LmError::config(format!("could not set up the HTTP client: {}", chain(&e))))
}

/// Which API path a base URL leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// `{base}/chat/completions`; a base without a path gets `/v1`.
    #[cfg(feature = "openai")]
    ChatCompletions,
    /// `{base}/v1/messages`; a base already ending in `/v1` gets `/messages`.
    #[cfg(feature = "anthropic")]
    AnthropicMessages,
}

/// How much of a response an [`Endpoint`] reads, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyLimits {
    /// A success body; more is [`LmError::ResponseTooLarge`].
    pub(crate) response: usize,
    /// The prefix of an error body read for its message; the rest is not read.
    pub(crate) error_body: usize,
    /// One server-sent-events line, and one event's data; more is
    /// [`LmError::ResponseTooLarge`].
    pub(crate) sse_event: usize,
}

/// One API endpoint: URL, fixed headers, deadline, key (for scrubbing), size limits, and the
/// HTTP client.
pub(crate) struct Endpoint {
    http: reqwest::Client,
    url: reqwest::Url,
    label: Arc<str>,
    headers: HeaderMap,
    timeout: Duration,
    key: Option<ApiKey>,
    limits: BodyLimits,
}

impl Endpoint {
    /// An endpoint at `base` for `route`. `headers` must already hold the authentication header.
    pub(crate) fn new(
        base: &str,
        route: Route,
        mut headers: HeaderMap,
        timeout: Duration,
        key: Option<ApiKey>,
        limits: BodyLimits,
        http: Option<reqwest::Client>,
    ) -> Result<Endpoint, LmError> {
        let url = route_url(base, route)?;
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let http = match http {
            Some(http) => http,
            None => shared_client()?,
        };
        Ok(Endpoint {
            http,
            label: label_of(&url).into(),
            url,
            headers,
            timeout,
            key,
            limits,
        })
    }

    /// The URL without credentials or query, for messages.
    pub(crate) fn label(&self) -> &Arc<str> {
        &self.label
    }

    /// The deadline of one call.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The API key, to scrub it from provider messages.
    pub(crate) fn key(&self) -> Option<&ApiKey> {
        self.key.as_ref()
    }

    /// How much of a response is read.
    pub(crate) fn limits(&self) -> BodyLimits {
        self.limits
    }

    /// POSTs a JSON `body` and decodes a successful answer with `decode`.
    pub(crate) async fn post<T>(
        &self,
        body: Vec<u8>,
        decode: impl FnOnce(&[u8]) -> Result<T, LmError>,
    ) -> Result<T, LmError> {
        let response = self.open(body).await?;
        let bytes = self.read_body(response).await?;
        decode(&bytes)
    }

    /// A success body, at most `limits.response` bytes: a larger `Content-Length` fails before
    /// reading, a longer body as soon as it passes the limit.
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, LmError> {
        let max = self.limits.response;
        let too_large = || LmError::ResponseTooLarge {
            limit: ResponseLimit::Body,
            max_bytes: max,
        };
        let declared = response.content_length();
        if declared.is_some_and(|n| n > max as u64) {
            return Err(too_large());
        }
        // Never trust a declared length for more than a modest first allocation.
        let first = declared.map_or(0, |n| usize::try_from(n).unwrap_or(max));
        let mut body = Vec::with_capacity(first.min(max).min(1 << 20));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| body_error(e, &self.label, self.timeout))?
        {
            if chunk.len() > max - body.len() {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// POSTs a JSON `body`; returns the response once its status is a success.
    pub(crate) async fn open(&self, body: Vec<u8>) -> Result<reqwest::Response, LmError> {
        let response = self
            .http
            .post(self.url.clone())
            .headers(self.headers.clone())
            .timeout(self.timeout)
            .body(body)
            .send()
            .await
            .map_err(|e| request_error(e, &self.label, self.timeout))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = read_prefix(response, self.limits.error_body).await;
        Err(status::classify(
            status.as_u16(),
            &headers,
            &body,
            self.key.as_ref(),
        ))
    }
}

/// The first `max` bytes of an error body: it is only used for the message, and a cut-off one
/// still says enough. The rest is never read (the connection is closed, not reused).
async fn read_prefix(mut response: reqwest::Response, max: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < max {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let take = chunk.len().min(max - body.len());
                body.extend_from_slice(&chunk[..take]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    body
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("Endpoint")
            .field("url", &self.label)
            .field("headers", &header_names)
            .field("timeout", &self.timeout)
            .field("api_key", &self.key)
            .field("limits", &self.limits)
            .finish()
    }
}

fn route_url(base: &str, route: Route) -> Result<reqwest::Url, LmError> {
    let mut url = reqwest::Url::parse(base.trim()).map_err(|e| {
        LmError::config(format!(
            "invalid base URL `{}`: {e}; write e.g. `http://127.0.0.1:8000/v1`",
            redact_userinfo(base)
        ))
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(LmError::config(format!(
            "base URL `{}` must start with http:// or https://",
            redact_userinfo(base)
        )));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    let full = match route {
        #[cfg(feature = "openai")]
        Route::ChatCompletions if path.ends_with("/chat/completions") => path,
        #[cfg(feature = "openai")]
        Route::ChatCompletions if path.is_empty() => "/v1/chat/completions".to_owned(),
        #[cfg(feature = "openai")]
        Route::ChatCompletions => format!("{path}/chat/completions"),
        #[cfg(feature = "anthropic")]
        Route::AnthropicMessages if path.ends_with("/messages") => path,
        #[cfg(feature = "anthropic")]
        Route::AnthropicMessages if path.ends_with("/v1") => format!("{path}/messages"),
        #[cfg(feature = "anthropic")]
        Route::AnthropicMessages => format!("{path}/v1/messages"),
    };
    url.set_path(&full);
    Ok(url)
}

/// `scheme://host:port/path`, without user, password, query or fragment.
fn label_of(url: &reqwest::Url) -> String {
    let mut label = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        label.push_str(&format!(":{port}"));
    }
    label.push_str(url.path());
    label
}

fn redact_userinfo(base: &str) -> String {
    match (base.find("://"), base.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://[redacted]{}", &base[..scheme_end], &base[at..])
        }
        _ => base.to_owned(),
    }
}

/// A header value that `Debug` prints as `Sensitive`.
pub(crate) fn secret_header(value: &str) -> Result<HeaderValue, LmError> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        LmError::config("the API key contains characters that are not allowed in an HTTP header")
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Adds user-given headers; values are marked sensitive (they may hold tokens).
pub(crate) fn extra_headers(
    headers: &mut HeaderMap,
    extra: &[(String, String)],
) -> Result<(), LmError> {
    for (name, value) in extra {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| LmError::config(format!("invalid HTTP header name `{name}`")))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| LmError::config(format!("invalid value for HTTP header `{name}`")))?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    Ok(())
}

/// A failure before the response headers arrived.
pub(crate) fn request_error(err: reqwest::Error, endpoint: &str, timeout: Duration) -> LmError {
    if err.is_timeout() {
        return LmError::Timeout(timeout);
    }
    LmError::Transport {
        endpoint: endpoint.to_owned(),
        message: chain(&err.without_url()),
    }
}

/// A failure while reading a response body that had started arriving.
pub(crate) fn body_error(err: reqwest::Error, endpoint: &str, timeout: Duration) -> LmError {
    if err.is_timeout() {
        return LmError::Timeout(timeout);
    }
    LmError::Decode {
        message: format!(
            "the response body from {endpoint} was cut off: {}",
            chain(&err.without_url())
        ),
    }
}

/// An error and its sources, joined by `: ` (reqwest's top-level message alone says little).
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(next) = source {
        let part = next.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = next.source();
    }
    text
}

#[cfg(all(test, feature = "openai", feature = "anthropic"))]
mod tests {
    use super::*;

    fn url(base: &str, route: Route) -> String {
        route_url(base, route).unwrap().to_string()
    }

    #[test]
    fn routes() {
        use Route::*;
        assert_eq!(
            url("https://api.openai.com/v1", ChatCompletions),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(
            url("http://127.0.0.1:8000/v1/", ChatCompletions),
            "http://127.0.0.1:8000/v1/chat/completions"
        );
        assert_eq!(
            url("http://localhost:11434", ChatCompletions),
            "http://localhost:11434/v1/chat/completions"
        );
        assert_eq!(
            url("http://h/v1/chat/completions", ChatCompletions),
            "http://h/v1/chat/completions"
        );
        assert_eq!(
            url("https://api.anthropic.com", AnthropicMessages),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            url("http://h:1/v1", AnthropicMessages),
            "http://h:1/v1/messages"
        );
        assert!(matches!(
            route_url("ftp://x", ChatCompletions),
            Err(LmError::Config { .. })
        ));
        assert!(matches!(
            route_url("not a url", ChatCompletions),
            Err(LmError::Config { .. })
        ));
    }

    #[test]
    fn labels_hide_credentials() {
        let u = route_url(
            "http://user:pw@127.0.0.1:9/v1?key=abc",
            Route::ChatCompletions,
        )
        .unwrap();
        assert_eq!(label_of(&u), "http://127.0.0.1:9/v1/chat/completions");
        assert_eq!(redact_userinfo("http://u:p@h/x"), "http://[redacted]@h/x");
    }
}
