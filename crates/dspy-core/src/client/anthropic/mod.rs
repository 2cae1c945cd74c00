//! [`AnthropicClient`]: Anthropic's Messages API (`POST /v1/messages`).

mod wire;

use std::fmt;
use std::sync::Arc;

use futures_util::future::try_join_all;
use futures_util::stream::Stream;
use reqwest::header::{HeaderMap, HeaderValue};

use super::connection::{encode_json, ClientSetup, Connection};
use super::http::{self, Route};
use super::model::Provider;
use super::options::{http_setters, HttpOptions};
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
    /// Names and endpoint.
    connection: Connection,
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
        self.inner.connection.endpoint.label()
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
        let forced = wire::forced_tool(&request).is_some();
        let body = self.inner.encode(&request, true);
        self.inner.connection.stream(body, move |event, key| {
            wire::decode_stream_event(event, forced, key)
        })
    }
}

impl Inner {
    fn encode(&self, request: &LmRequest, stream: bool) -> Result<Vec<u8>, LmError> {
        encode_json(&wire::MessagesBody {
            model: self.connection.model_for(request),
            request,
            max_tokens: self.max_tokens,
            stream,
        })
    }

    async fn call_once(&self, body: Vec<u8>, forced: Option<&str>) -> Result<LmResponse, LmError> {
        let decode = |bytes: &[u8], model: &str, key: Option<&ApiKey>| {
            wire::decode_response(bytes, model, forced, key)
        };
        self.connection.post(body, decode).await
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
        &self.inner.connection.name
    }
}

impl fmt::Debug for AnthropicClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("AnthropicClient");
        self.inner.connection.debug_fields(&mut out);
        out.field("max_tokens", &self.inner.max_tokens).finish()
    }
}

/// Settings for an [`AnthropicClient`]; from [`AnthropicClient::builder`].
#[derive(Clone)]
#[must_use]
pub struct AnthropicBuilder {
    setup: ClientSetup,
    max_tokens: u32,
}

impl AnthropicBuilder {
    fn new(model: String) -> AnthropicBuilder {
        AnthropicBuilder {
            setup: ClientSetup::new(model, Provider::Anthropic),
            max_tokens: DEFAULT_MAX_TOKENS,
        }
    }

    /// Settings already resolved by [`ClientBuilder`](crate::client::ClientBuilder): no environment.
    pub(crate) fn resolved(mut self, name: String, options: HttpOptions) -> AnthropicBuilder {
        self.setup.resolved(Provider::Anthropic, name, options);
        self
    }

    http_setters! {
        setup.http;
        /// Sent as `x-api-key`.
        api_key;
        /// The default is `https://api.anthropic.com`; `/v1/messages` is appended (just
        /// `/messages` when it already ends in `/v1`).
        base_url;
        timeout;
        /// E.g. `anthropic-beta`.
        header;
        http_client;
        max_response_bytes;
        max_error_body_bytes;
        max_sse_event_bytes;
    }

    /// `max_tokens` for requests that don't set it (default [`DEFAULT_MAX_TOKENS`]).
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = max_tokens;
        self
    }

    /// The DSPy-style name [`LanguageModel::model`] returns (default `anthropic/<model>`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.setup.name = Some(name.into());
        self
    }

    /// Builds the client. Fails with [`LmError::Config`] when Anthropic's API is used without a
    /// key, or the base URL or a header is invalid.
    pub fn build(self) -> Result<AnthropicClient, LmError> {
        let connection = self.setup.connect(Route::AnthropicMessages, |key| {
            let mut headers = HeaderMap::new();
            if let Some(key) = key {
                headers.insert("x-api-key", http::secret_header(key.expose())?);
            }
            headers.insert(
                "anthropic-version",
                HeaderValue::from_static(ANTHROPIC_VERSION),
            );
            Ok(headers)
        })?;
        Ok(AnthropicClient {
            inner: Arc::new(Inner {
                connection,
                max_tokens: self.max_tokens,
            }),
        })
    }
}

impl fmt::Debug for AnthropicBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("AnthropicBuilder");
        self.setup.debug_fields(&mut out);
        out.field("max_tokens", &self.max_tokens).finish()
    }
}
