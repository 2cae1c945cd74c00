//! [`OpenAiClient`]: chat completions against OpenAI or any OpenAI-compatible server (vLLM,
//! SGLang, llama.cpp server, Ollama, LiteLLM proxy).

mod wire;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::Stream;
use reqwest::header::{HeaderMap, AUTHORIZATION};

use super::credentials::{self, process_env};
use super::http::{self, Endpoint, Route};
use super::model::{wire_model, Provider};
use super::secret::ApiKey;
use crate::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};

/// Which JSON field carries [`LmRequest::max_tokens`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MaxTokensParam {
    /// `max_tokens`: what OpenAI-compatible servers read.
    MaxTokens,
    /// `max_completion_tokens`: what OpenAI's newer (reasoning) models require.
    MaxCompletionTokens,
}

/// A client for `POST {base_url}/chat/completions`.
///
/// Cheap to clone (one `Arc`); all clients share one pooled HTTP connection pool unless given
/// their own `reqwest::Client`. `Debug` never prints the API key.
///
/// ```no_run
/// use dspy_core::client::OpenAiClient;
/// use dspy_core::lm::{LanguageModel, LmRequest};
/// use dspy_core::adapters::Message;
///
/// # async fn run() -> Result<(), dspy_core::lm::LmError> {
/// // A local vLLM / llama.cpp / SGLang server: no key needed.
/// let lm = OpenAiClient::builder("meta-llama/Llama-3.1-8B-Instruct")
///     .base_url("http://127.0.0.1:8000/v1")
///     .build()?;
/// let answer = lm.call(LmRequest::new(vec![Message::user("Hi!")]).max_tokens(50)).await?;
/// println!("{}", answer.first_text().unwrap_or_default());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct OpenAiClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// DSPy-style name, e.g. `openai/gpt-4o-mini`.
    name: String,
    /// The prefix of `name`, stripped from per-request model overrides.
    prefix: String,
    /// Model name on the wire.
    wire_name: String,
    endpoint: Endpoint,
    max_tokens_param: MaxTokensParam,
}

impl OpenAiClient {
    /// A builder for `model` (the provider's name for it, e.g. `gpt-4o-mini`).
    ///
    /// The API key and base URL default to `OPENAI_API_KEY` and `OPENAI_BASE_URL` (or
    /// `OPENAI_API_BASE`), then to `https://api.openai.com/v1`, which needs a key.
    pub fn builder(model: impl Into<String>) -> OpenAiBuilder {
        OpenAiBuilder::new(model.into())
    }

    /// The chat-completions URL (without credentials).
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.label()
    }

    /// The field `max_tokens` is sent as.
    pub fn max_tokens_param(&self) -> MaxTokensParam {
        self.inner.max_tokens_param
    }

    /// Streams the first choice's text as it is generated (`"stream": true`), ending at the
    /// server's `[DONE]`.
    ///
    /// HTTP errors come out as the first item; a connection that drops before `[DONE]` ends the
    /// stream with [`LmError::Transport`]. Nothing follows an error item.
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// # use dspy_core::client::OpenAiClient;
    /// # use dspy_core::lm::LmRequest;
    /// # use dspy_core::adapters::Message;
    /// # async fn run(lm: OpenAiClient) -> Result<(), dspy_core::lm::LmError> {
    /// let mut deltas = std::pin::pin!(lm.stream(LmRequest::new(vec![Message::user("Count to 3")])));
    /// while let Some(delta) = deltas.next().await {
    ///     print!("{}", delta?);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn stream(
        &self,
        request: LmRequest,
    ) -> impl Stream<Item = Result<String, LmError>> + Send + 'static {
        let inner = self.inner.clone();
        let endpoint = inner.endpoint.label().clone();
        let timeout = inner.endpoint.timeout();
        let key = inner.endpoint.key().cloned();
        let open: BoxFuture<'static, _> = Box::pin(async move {
            let body = inner.encode(&request, true)?;
            inner.endpoint.open(body).await
        });
        http::text_stream(open, endpoint, timeout, move |event| {
            wire::decode_stream_event(event, key.as_ref())
        })
    }
}

impl Inner {
    fn encode(&self, request: &LmRequest, stream: bool) -> Result<Vec<u8>, LmError> {
        let model = match &request.model {
            Some(name) => wire_model(name, &self.prefix),
            None => &self.wire_name,
        };
        let body = wire::ChatBody {
            model,
            request,
            max_tokens_param: self.max_tokens_param,
            stream,
        };
        serde_json::to_vec(&body)
            .map_err(|e| LmError::config(format!("could not encode the request as JSON: {e}")))
    }
}

impl LanguageModel for OpenAiClient {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            let inner = &*self.inner;
            let body = inner.encode(&request, false)?;
            let key = inner.endpoint.key();
            inner
                .endpoint
                .post(body, |bytes| {
                    wire::decode_response(bytes, &inner.wire_name, key)
                })
                .await
        })
    }

    fn model(&self) -> &str {
        &self.inner.name
    }
}

impl fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("model", &self.inner.name)
            .field("endpoint", &self.inner.endpoint)
            .field("max_tokens_param", &self.inner.max_tokens_param)
            .finish()
    }
}

/// Settings for an [`OpenAiClient`]; from [`OpenAiClient::builder`].
#[derive(Clone)]
#[must_use]
pub struct OpenAiBuilder {
    model: String,
    name: Option<String>,
    provider: Provider,
    api_key: Option<ApiKey>,
    base_url: Option<String>,
    timeout: Duration,
    max_tokens_param: Option<MaxTokensParam>,
    headers: Vec<(String, String)>,
    http: Option<reqwest::Client>,
    read_env: bool,
}

impl OpenAiBuilder {
    fn new(model: String) -> OpenAiBuilder {
        OpenAiBuilder {
            model,
            name: None,
            provider: Provider::OpenAi,
            api_key: None,
            base_url: None,
            timeout: http::DEFAULT_TIMEOUT,
            max_tokens_param: None,
            headers: Vec::new(),
            http: None,
            read_env: true,
        }
    }

    /// Settings already resolved by [`ClientBuilder`](crate::client::ClientBuilder): no environment.
    pub(crate) fn resolved(mut self, provider: Provider, name: String) -> OpenAiBuilder {
        self.provider = provider;
        self.name = Some(name);
        self.read_env = false;
        self
    }

    /// The API key (sent as `Authorization: Bearer ...`).
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The base URL, e.g. `http://127.0.0.1:8000/v1`; `/chat/completions` is appended, and a
    /// URL without a path gets `/v1` first.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The deadline of one call, connection to last byte (default 600 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Which field carries `max_tokens`. Default: `max_completion_tokens` for
    /// `api.openai.com`, `max_tokens` for every other server.
    pub fn max_tokens_param(mut self, param: MaxTokensParam) -> Self {
        self.max_tokens_param = Some(param);
        self
    }

    /// An extra header on every request (`OpenAI-Organization`, a proxy token, ...). Values are
    /// treated as secrets.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Uses this HTTP client instead of the process-wide shared one.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The DSPy-style name [`LanguageModel::model`] returns (default `openai/<model>`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Builds the client. Fails with [`LmError::Config`] when OpenAI's own API is used without
    /// a key, or the base URL or a header is invalid.
    pub fn build(self) -> Result<OpenAiClient, LmError> {
        let prefix = match &self.name {
            Some(name) => name.split_once('/').map_or("", |(p, _)| p).to_owned(),
            None => self.provider.prefix().to_owned(),
        };
        let model = wire_model(&self.model, &prefix).to_owned();
        let name = self.name.unwrap_or_else(|| format!("{prefix}/{model}"));
        let no_env = |_: &str| None;
        let env: &dyn Fn(&str) -> Option<String> =
            if self.read_env { &process_env } else { &no_env };
        let resolved = credentials::resolve(
            self.provider,
            &name,
            self.api_key,
            self.base_url.into_iter().collect(),
            env,
        )?;
        let base = resolved.base_urls.first().cloned().unwrap_or_default();
        let max_tokens_param = self.max_tokens_param.unwrap_or_else(|| {
            if base.contains("://api.openai.com") {
                MaxTokensParam::MaxCompletionTokens
            } else {
                MaxTokensParam::MaxTokens
            }
        });
        let mut headers = HeaderMap::new();
        if let Some(key) = &resolved.api_key {
            headers.insert(
                AUTHORIZATION,
                http::secret_header(&format!("Bearer {}", key.expose()))?,
            );
        }
        http::extra_headers(&mut headers, &self.headers)?;
        let endpoint = Endpoint::new(
            &base,
            Route::ChatCompletions,
            headers,
            self.timeout,
            resolved.api_key,
            self.http,
        )?;
        Ok(OpenAiClient {
            inner: Arc::new(Inner {
                name,
                prefix,
                wire_name: model,
                endpoint,
                max_tokens_param,
            }),
        })
    }
}

impl fmt::Debug for OpenAiBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("OpenAiBuilder")
            .field("model", &self.model)
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_tokens_param", &self.max_tokens_param)
            .field("headers", &header_names)
            .finish()
    }
}
