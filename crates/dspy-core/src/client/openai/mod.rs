//! [`OpenAiClient`]: chat completions against OpenAI or any OpenAI-compatible server (vLLM,
//! SGLang, llama.cpp server, Ollama, LiteLLM proxy).

mod wire;

use std::fmt;
use std::sync::Arc;

use futures_util::stream::Stream;
use reqwest::header::{HeaderMap, AUTHORIZATION};

use super::connection::{encode_json, ClientSetup, Connection};
use super::http::{self, Route};
use super::model::Provider;
use super::options::{http_setters, HttpOptions};
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
    /// Names and endpoint.
    connection: Connection,
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
        self.inner.connection.endpoint.label()
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
        let body = self.inner.encode(&request, true);
        self.inner
            .connection
            .stream(body, wire::decode_stream_event)
    }
}

impl Inner {
    fn encode(&self, request: &LmRequest, stream: bool) -> Result<Vec<u8>, LmError> {
        encode_json(&wire::ChatBody {
            model: self.connection.model_for(request),
            request,
            max_tokens_param: self.max_tokens_param,
            stream,
        })
    }
}

impl LanguageModel for OpenAiClient {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            let body = self.inner.encode(&request, false)?;
            self.inner
                .connection
                .post(body, wire::decode_response)
                .await
        })
    }

    fn model(&self) -> &str {
        &self.inner.connection.name
    }
}

impl fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("OpenAiClient");
        self.inner.connection.debug_fields(&mut out);
        out.field("max_tokens_param", &self.inner.max_tokens_param)
            .finish()
    }
}

/// Settings for an [`OpenAiClient`]; from [`OpenAiClient::builder`].
#[derive(Clone)]
#[must_use]
pub struct OpenAiBuilder {
    setup: ClientSetup,
    max_tokens_param: Option<MaxTokensParam>,
}

impl OpenAiBuilder {
    fn new(model: String) -> OpenAiBuilder {
        OpenAiBuilder {
            setup: ClientSetup::new(model, Provider::OpenAi),
            max_tokens_param: None,
        }
    }

    /// Settings already resolved by [`ClientBuilder`](crate::client::ClientBuilder): no environment.
    pub(crate) fn resolved(
        mut self,
        provider: Provider,
        name: String,
        options: HttpOptions,
    ) -> OpenAiBuilder {
        self.setup.resolved(provider, name, options);
        self
    }

    http_setters! {
        setup.http;
        /// Sent as `Authorization: Bearer ...`.
        api_key;
        /// E.g. `http://127.0.0.1:8000/v1`; `/chat/completions` is appended, and a URL without a
        /// path gets `/v1` first.
        base_url;
        timeout;
        /// E.g. `OpenAI-Organization` or a proxy token.
        header;
        http_client;
        max_response_bytes;
        max_error_body_bytes;
        max_sse_event_bytes;
    }

    /// Which field carries `max_tokens`. Default: `max_completion_tokens` for
    /// `api.openai.com`, `max_tokens` for every other server.
    pub fn max_tokens_param(mut self, param: MaxTokensParam) -> Self {
        self.max_tokens_param = Some(param);
        self
    }

    /// The DSPy-style name [`LanguageModel::model`] returns (default `openai/<model>`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.setup.name = Some(name.into());
        self
    }

    /// Builds the client. Fails with [`LmError::Config`] when OpenAI's own API is used without
    /// a key, or the base URL or a header is invalid.
    pub fn build(self) -> Result<OpenAiClient, LmError> {
        let connection = self.setup.connect(Route::ChatCompletions, |key| {
            let mut headers = HeaderMap::new();
            if let Some(key) = key {
                headers.insert(
                    AUTHORIZATION,
                    http::secret_header(&format!("Bearer {}", key.expose()))?,
                );
            }
            Ok(headers)
        })?;
        let max_tokens_param = self.max_tokens_param.unwrap_or_else(|| {
            if connection.base.contains("://api.openai.com") {
                MaxTokensParam::MaxCompletionTokens
            } else {
                MaxTokensParam::MaxTokens
            }
        });
        Ok(OpenAiClient {
            inner: Arc::new(Inner {
                connection,
                max_tokens_param,
            }),
        })
    }
}

impl fmt::Debug for OpenAiBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("OpenAiBuilder");
        self.setup.debug_fields(&mut out);
        out.field("max_tokens_param", &self.max_tokens_param)
            .finish()
    }
}
