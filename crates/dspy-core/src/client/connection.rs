//! What the provider clients share: [`ClientSetup`], the settings their builders hold, and
//! [`Connection`], the names and endpoint a built client calls through.

use std::fmt;
use std::sync::Arc;

use futures_util::stream::Stream;
use reqwest::header::HeaderMap;
use serde::Serialize;

use super::credentials::{self, process_env};
use super::http::sse::SseEvent;
use super::http::{self, BodyLimits, Endpoint, Route, StreamStep};
use super::model::{wire_model, Provider};
use super::options::{
    HttpOptions, DEFAULT_MAX_ERROR_BODY_BYTES, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_SSE_EVENT_BYTES,
};
use super::secret::{header_secrets, redact_url, url_secrets, ApiKey};
use crate::lm::{BoxFuture, LmError, LmRequest, LmResponse};

/// What the provider builders share: the model, its DSPy-style name, where the key and base URL
/// come from, and the [`HttpOptions`].
#[derive(Clone)]
pub(crate) struct ClientSetup {
    /// The model as given to `builder(..)`.
    model: String,
    /// The DSPy-style name, when set (default `<provider prefix>/<model>`).
    pub(crate) name: Option<String>,
    provider: Provider,
    /// False once a [`ClientBuilder`](super::ClientBuilder) resolved the settings.
    read_env: bool,
    pub(crate) http: HttpOptions,
}

impl ClientSetup {
    /// Settings for `model` of `provider`, read from the environment where not given.
    pub(crate) fn new(model: String, provider: Provider) -> ClientSetup {
        ClientSetup {
            model,
            name: None,
            provider,
            read_env: true,
            http: HttpOptions::default(),
        }
    }

    /// Settings already resolved by [`ClientBuilder`](super::ClientBuilder): no environment.
    pub(crate) fn resolved(&mut self, provider: Provider, name: String, http: HttpOptions) {
        self.provider = provider;
        self.name = Some(name);
        self.read_env = false;
        self.http = http;
    }

    /// Resolves the names, key and base URL and opens the endpoint at `route`.
    ///
    /// `auth_headers` gives the provider's own headers for the resolved key (if any); the extra
    /// headers are added after them, so they can replace them.
    pub(crate) fn connect(
        self,
        route: Route,
        auth_headers: impl FnOnce(Option<&ApiKey>) -> Result<HeaderMap, LmError>,
    ) -> Result<Connection, LmError> {
        let prefix = match &self.name {
            Some(name) => name.split_once('/').map_or("", |(p, _)| p).to_owned(),
            None => self.provider.prefix().to_owned(),
        };
        let wire_name = wire_model(&self.model, &prefix).to_owned();
        let name = self.name.unwrap_or_else(|| format!("{prefix}/{wire_name}"));
        let no_env = |_: &str| None;
        let env: &dyn Fn(&str) -> Option<String> =
            if self.read_env { &process_env } else { &no_env };
        let options = self.http;
        let resolved = credentials::resolve(
            self.provider,
            &name,
            options.api_key,
            options.base_urls,
            env,
        )?;
        let base = resolved.base_urls.first().cloned().unwrap_or_default();
        check_base_url(&base)?;
        let mut headers = auth_headers(resolved.api_key.as_ref())?;
        http::extra_headers(&mut headers, &options.headers)?;
        // Provider messages lose the key, the extra header values and the URL's credentials.
        let mut secrets: Vec<String> = options
            .headers
            .iter()
            .flat_map(|(_, value)| header_secrets(value))
            .collect();
        secrets.extend(url_secrets(&base));
        let scrubber = ApiKey::scrubber(resolved.api_key.as_ref(), secrets);
        let limits = BodyLimits {
            response: options
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            error_body: options
                .max_error_body_bytes
                .unwrap_or(DEFAULT_MAX_ERROR_BODY_BYTES),
            sse_event: options
                .max_sse_event_bytes
                .unwrap_or(DEFAULT_MAX_SSE_EVENT_BYTES),
        };
        let endpoint = Endpoint::new(
            &base,
            route,
            headers,
            options.timeout.unwrap_or(http::DEFAULT_TIMEOUT),
            scrubber,
            limits,
            options.http,
        )?;
        Ok(Connection {
            name,
            prefix,
            wire_name,
            base,
            endpoint: Arc::new(endpoint),
        })
    }

    /// Adds the settings to a builder's `Debug` output (see [`HttpOptions::debug_fields`]).
    pub(crate) fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>) {
        out.field("model", &self.model)
            .field("name", &self.name)
            .field("provider", &self.provider);
        self.http.debug_fields(out);
    }
}

/// A provider client's names and endpoint, from [`ClientSetup::connect`]: what its calls share.
pub(crate) struct Connection {
    /// DSPy-style name, e.g. `openai/gpt-4o-mini`.
    pub(crate) name: String,
    /// The prefix of `name`, stripped from per-request model overrides.
    prefix: String,
    /// Model name on the wire.
    wire_name: String,
    /// The base URL in use (OpenAI picks its `max_tokens` field by it).
    #[cfg_attr(not(feature = "openai"), allow(dead_code))]
    pub(crate) base: String,
    /// Shared with the streams a client opens.
    pub(crate) endpoint: Arc<Endpoint>,
}

impl Connection {
    /// The model name to send for `request`: its override (without this client's prefix), or
    /// the client's own.
    pub(crate) fn model_for<'a>(&'a self, request: &'a LmRequest) -> &'a str {
        match &request.model {
            Some(name) => wire_model(name, &self.prefix),
            None => &self.wire_name,
        }
    }

    /// POSTs `body` and decodes the answer with `decode(bytes, wire model name, key to scrub)`.
    ///
    /// An answer without a single completion (`"choices": []`) is an [`LmError::Decode`]: the
    /// server said nothing, and callers (and caches) must not take that for an answer.
    pub(crate) async fn post(
        &self,
        body: Vec<u8>,
        decode: impl FnOnce(&[u8], &str, Option<&ApiKey>) -> Result<LmResponse, LmError>,
    ) -> Result<LmResponse, LmError> {
        let key = self.endpoint.key();
        let response = self
            .endpoint
            .post(body, |bytes| decode(bytes, &self.wire_name, key))
            .await?;
        if response.choices.is_empty() {
            return Err(LmError::Decode {
                message: format!(
                    "the response from {} has no completions (empty `choices`); the server \
                     answered without generating anything, check its logs or retry",
                    self.endpoint.label()
                ),
            });
        }
        Ok(response)
    }

    /// The text deltas of one streamed call: POSTs `body` (an error making it is the first item)
    /// and reads each server-sent event with `decode(event, key to scrub)`.
    pub(crate) fn stream(
        &self,
        body: Result<Vec<u8>, LmError>,
        mut decode: impl FnMut(&SseEvent, Option<&ApiKey>) -> StreamStep + Send + 'static,
    ) -> impl Stream<Item = Result<String, LmError>> + Send + 'static {
        let endpoint = Arc::clone(&self.endpoint);
        let label = endpoint.label().clone();
        let timeout = endpoint.timeout();
        let max_event = endpoint.limits().sse_event;
        let key = endpoint.key().cloned();
        let open: BoxFuture<'static, _> = Box::pin(async move { endpoint.open(body?).await });
        http::text_stream(open, label, timeout, max_event, move |event| {
            decode(event, key.as_ref())
        })
    }

    /// Adds the client's name and endpoint to its `Debug` output.
    pub(crate) fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>) {
        out.field("model", &self.name)
            .field("endpoint", &self.endpoint);
    }
}

/// Fails with a [`LmError::Config`] for a base URL that does not parse or is not http(s), with
/// its credentials and key-like parameters redacted from the message.
fn check_base_url(base: &str) -> Result<(), LmError> {
    let url = reqwest::Url::parse(base.trim()).map_err(|e| {
        LmError::config(format!(
            "invalid base URL `{}`: {e}; write e.g. `http://127.0.0.1:8000/v1`",
            redact_url(base)
        ))
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(LmError::config(format!(
            "base URL `{}` must start with http:// or https://",
            redact_url(base)
        )));
    }
    Ok(())
}

/// A request body as JSON bytes.
pub(crate) fn encode_json(body: &impl Serialize) -> Result<Vec<u8>, LmError> {
    serde_json::to_vec(body)
        .map_err(|e| LmError::config(format!("could not encode the request as JSON: {e}")))
}
