//! [`AnthropicClient`]: Anthropic's Messages API (`POST /v1/messages`).

mod wire;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::try_join_all;
use futures_util::stream::Stream;
use reqwest::header::{HeaderMap, HeaderValue};

use super::credentials::{self, process_env};
use super::http::{self, Endpoint, Route};
use super::model::{wire_model, Provider};
use super::secret::ApiKey;
use crate::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};

/// The `anthropic-version` header sent with every request.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// `max_tokens` when the request doesn't set it (the API requires one).
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// A client for Anthropic's Messages API.
///
/// System messages are joined into the `system` field; tools are sent with `input_schema` and
/// `tool_use` blocks come back as [`ToolCall`](crate::lm::ToolCall)s. `n > 1` is sent as `n`
/// concurrent requests. A JSON-schema [`ResponseFormat`](crate::lm::ResponseFormat) (when no
/// tools are given) becomes a forced tool whose input is returned as the completion text;
/// `seed` and a plain JSON-object format are not supported by the API and are not sent.
///
/// ```no_run
/// use dspy_core::client::AnthropicClient;
/// use dspy_core::lm::{LanguageModel, LmRequest};
/// use dspy_core::adapters::Message;
///
/// # async fn run() -> Result<(), dspy_core::lm::LmError> {
/// // Reads ANTHROPIC_API_KEY.
/// let lm = AnthropicClient::builder("claude-3-5-haiku-latest").build()?;
/// let answer = lm
///     .call(LmRequest::new(vec![Message::system("Be brief."), Message::user("Hi!")]))
///     .await?;
/// println!("{}", answer.first_text().unwrap_or_default());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AnthropicClient {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    prefix: String,
    wire_name: String,
    endpoint: Endpoint,
    max_tokens: u32,
}

impl AnthropicClient {
    /// A builder for `model` (e.g. `claude-3-5-haiku-latest`).
    ///
    /// The API key and base URL default to `ANTHROPIC_API_KEY` and `ANTHROPIC_BASE_URL` (or
    /// `ANTHROPIC_API_BASE`), then to `https://api.anthropic.com`, which needs a key.
    pub fn builder(model: impl Into<String>) -> AnthropicBuilder {
        AnthropicBuilder::new(model.into())
    }

    /// The Messages URL (without credentials).
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.label()
    }

    /// Streams the text as it is generated (`content_block_delta` text deltas), ending at
    /// `message_stop`; `n` is ignored (one completion).
    ///
    /// HTTP errors come out as the first item; a connection that drops before `message_stop`
    /// ends the stream with [`LmError::Transport`]. Nothing follows an error item.
    pub fn stream(
        &self,
        request: LmRequest,
    ) -> impl Stream<Item = Result<String, LmError>> + Send + 'static {
        let inner = self.inner.clone();
        let endpoint = inner.endpoint.label().clone();
        let timeout = inner.endpoint.timeout();
        let key = inner.endpoint.key().cloned();
        let forced = wire::forced_tool(&request).is_some();
        let open: BoxFuture<'static, _> = Box::pin(async move {
            let body = inner.encode(&request, true)?;
            inner.endpoint.open(body).await
        });
        http::text_stream(open, endpoint, timeout, move |event| {
            wire::decode_stream_event(event, forced, key.as_ref())
        })
    }
}

impl Inner {
    fn encode(&self, request: &LmRequest, stream: bool) -> Result<Vec<u8>, LmError> {
        let model = match &request.model {
            Some(name) => wire_model(name, &self.prefix),
            None => &self.wire_name,
        };
        let body = wire::MessagesBody {
            model,
            request,
            max_tokens: self.max_tokens,
            stream,
        };
        serde_json::to_vec(&body)
            .map_err(|e| LmError::config(format!("could not encode the request as JSON: {e}")))
    }

    async fn call_once(&self, body: Vec<u8>, forced: Option<&str>) -> Result<LmResponse, LmError> {
        let key = self.endpoint.key();
        self.endpoint
            .post(body, |bytes| {
                wire::decode_response(bytes, &self.wire_name, forced, key)
            })
            .await
    }
}

impl LanguageModel for AnthropicClient {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            let inner = &*self.inner;
            let body = inner.encode(&request, false)?;
            let forced = wire::forced_tool(&request).map(|(name, _)| name);
            let n = request.n.unwrap_or(1).max(1) as usize;
            if n == 1 {
                return inner.call_once(body, forced).await;
            }
            let calls = (0..n).map(|_| inner.call_once(body.clone(), forced));
            let mut answers = try_join_all(calls).await?.into_iter();
            let mut first = answers.next().unwrap_or_default();
            for answer in answers {
                first.choices.extend(answer.choices);
                first.usage += answer.usage;
            }
            Ok(first)
        })
    }

    fn model(&self) -> &str {
        &self.inner.name
    }
}

impl fmt::Debug for AnthropicClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicClient")
            .field("model", &self.inner.name)
            .field("endpoint", &self.inner.endpoint)
            .field("max_tokens", &self.inner.max_tokens)
            .finish()
    }
}

/// Settings for an [`AnthropicClient`]; from [`AnthropicClient::builder`].
#[derive(Clone)]
#[must_use]
pub struct AnthropicBuilder {
    model: String,
    name: Option<String>,
    api_key: Option<ApiKey>,
    base_url: Option<String>,
    timeout: Duration,
    max_tokens: u32,
    headers: Vec<(String, String)>,
    http: Option<reqwest::Client>,
    read_env: bool,
}

impl AnthropicBuilder {
    fn new(model: String) -> AnthropicBuilder {
        AnthropicBuilder {
            model,
            name: None,
            api_key: None,
            base_url: None,
            timeout: http::DEFAULT_TIMEOUT,
            max_tokens: DEFAULT_MAX_TOKENS,
            headers: Vec::new(),
            http: None,
            read_env: true,
        }
    }

    /// Settings already resolved by [`ClientBuilder`](crate::client::ClientBuilder): no environment.
    pub(crate) fn resolved(mut self, name: String) -> AnthropicBuilder {
        self.name = Some(name);
        self.read_env = false;
        self
    }

    /// The API key (sent as `x-api-key`).
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The base URL (default `https://api.anthropic.com`); `/v1/messages` is appended (just
    /// `/messages` when it already ends in `/v1`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The deadline of one call, connection to last byte (default 600 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// `max_tokens` for requests that don't set it (default [`DEFAULT_MAX_TOKENS`]).
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = max_tokens;
        self
    }

    /// An extra header on every request (e.g. `anthropic-beta`). Values are treated as secrets.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Uses this HTTP client instead of the process-wide shared one.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The DSPy-style name [`LanguageModel::model`] returns (default `anthropic/<model>`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Builds the client. Fails with [`LmError::Config`] when Anthropic's API is used without a
    /// key, or the base URL or a header is invalid.
    pub fn build(self) -> Result<AnthropicClient, LmError> {
        let prefix = match &self.name {
            Some(name) => name.split_once('/').map_or("", |(p, _)| p).to_owned(),
            None => Provider::Anthropic.prefix().to_owned(),
        };
        let model = wire_model(&self.model, &prefix).to_owned();
        let name = self.name.unwrap_or_else(|| format!("{prefix}/{model}"));
        let no_env = |_: &str| None;
        let env: &dyn Fn(&str) -> Option<String> =
            if self.read_env { &process_env } else { &no_env };
        let resolved = credentials::resolve(
            Provider::Anthropic,
            &name,
            self.api_key,
            self.base_url.into_iter().collect(),
            env,
        )?;
        let base = resolved.base_urls.first().cloned().unwrap_or_default();
        let mut headers = HeaderMap::new();
        if let Some(key) = &resolved.api_key {
            headers.insert("x-api-key", http::secret_header(key.expose())?);
        }
        headers.insert(
            "anthropic-version",
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        http::extra_headers(&mut headers, &self.headers)?;
        let endpoint = Endpoint::new(
            &base,
            Route::AnthropicMessages,
            headers,
            self.timeout,
            resolved.api_key,
            self.http,
        )?;
        Ok(AnthropicClient {
            inner: Arc::new(Inner {
                name,
                prefix,
                wire_name: model,
                endpoint,
                max_tokens: self.max_tokens,
            }),
        })
    }
}

impl fmt::Debug for AnthropicBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("AnthropicBuilder")
            .field("model", &self.model)
            .field("name", &self.name)
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_tokens", &self.max_tokens)
            .field("headers", &header_names)
            .finish()
    }
}
