//! [`from_model`] and [`ClientBuilder`]: a client from a DSPy model string.

use std::fmt;
#[cfg(feature = "__http")]
use std::sync::Arc;
use std::time::Duration;

use super::credentials::{self, process_env};
use super::fleet::{Fleet, DEFAULT_COOLDOWN};
use super::model::{ModelSpec, Protocol};
use super::options::{http_setters, HttpOptions};
use crate::lm::{LmError, SharedLm};

#[cfg(feature = "openai")]
use super::openai::{MaxTokensParam, OpenAiClient};

#[cfg(feature = "anthropic")]
use super::anthropic::AnthropicClient;

/// The LM a DSPy model string names, configured from the environment.
///
/// Like `dspy.LM("openai/gpt-4o-mini")`: `openai/...` reads `OPENAI_API_KEY` and
/// `OPENAI_BASE_URL`/`OPENAI_API_BASE`; `anthropic/...` reads `ANTHROPIC_API_KEY`;
/// `ollama_chat/...` talks to `OLLAMA_API_BASE` (default `http://localhost:11434`);
/// `hosted_vllm/...` (or `vllm/...`) needs `HOSTED_VLLM_API_BASE`; `litellm_proxy/...` needs
/// `LITELLM_PROXY_API_BASE`. A model without a prefix is OpenAI's. Use [`ClientBuilder`] to pass
/// keys and base URLs as arguments.
///
/// Fails with [`LmError::Config`] for an unknown provider, a missing key (naming the variable
/// to set) or base URL, or a provider whose cargo feature (`openai`, `anthropic`) is off.
///
/// ```no_run
/// let lm = dspy_core::lm::from_model("openai/gpt-4o-mini")?;
/// assert_eq!(lm.model(), "openai/gpt-4o-mini");
/// # Ok::<(), dspy_core::lm::LmError>(())
/// ```
pub fn from_model(model: &str) -> Result<SharedLm, LmError> {
    ClientBuilder::new(model).build()
}

/// A client for a DSPy model string, with arguments that win over the environment.
///
/// ```no_run
/// use std::time::Duration;
/// use dspy_core::client::ClientBuilder;
///
/// // An OpenAI-compatible server (vLLM, SGLang, llama.cpp, LiteLLM proxy...).
/// let local = ClientBuilder::new("openai/Qwen2.5-7B-Instruct")
///     .base_url("http://127.0.0.1:8000/v1")
///     .timeout(Duration::from_secs(60))
///     .build()?;
///
/// // Two replicas of one model: a round-robin `Fleet` with failover.
/// let replicas = ClientBuilder::new("hosted_vllm/meta-llama/Llama-3.1-8B-Instruct")
///     .base_urls(["http://127.0.0.1:8000/v1", "http://127.0.0.1:8001/v1"])
///     .build()?;
///
/// let claude = ClientBuilder::new("anthropic/claude-3-5-haiku-latest")
///     .api_key("sk-ant-...")
///     .build()?;
/// # Ok::<(), dspy_core::lm::LmError>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    model: String,
    options: HttpOptions,
    cooldown: Duration,
    max_tokens: Option<u32>,
    #[cfg(feature = "openai")]
    max_tokens_param: Option<MaxTokensParam>,
}

impl ClientBuilder {
    /// A builder for `model`, e.g. `"openai/gpt-4o-mini"`.
    pub fn new(model: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            model: model.into(),
            options: HttpOptions::default(),
            cooldown: DEFAULT_COOLDOWN,
            max_tokens: None,
            #[cfg(feature = "openai")]
            max_tokens_param: None,
        }
    }

    http_setters! {
        options;
        api_key;
        base_url;
        base_urls;
        timeout;
        header;
        max_response_bytes;
        max_error_body_bytes;
        max_sse_event_bytes;
    }

    /// How long a failing endpoint of a multi-URL [`Fleet`] is skipped.
    pub fn fleet_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Anthropic only: `max_tokens` for requests that don't set it (default 4096).
    pub fn default_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// OpenAI-compatible only: which field carries `max_tokens`.
    #[cfg(feature = "openai")]
    #[cfg_attr(docsrs, doc(cfg(feature = "openai")))]
    pub fn max_tokens_param(mut self, param: MaxTokensParam) -> Self {
        self.max_tokens_param = Some(param);
        self
    }

    /// Builds the client (a [`Fleet`] when several base URLs were given).
    pub fn build(self) -> Result<SharedLm, LmError> {
        self.build_with_env(&process_env)
    }

    fn build_with_env(self, env: &dyn Fn(&str) -> Option<String>) -> Result<SharedLm, LmError> {
        let spec = ModelSpec::parse(&self.model)?;
        let name = spec.full_name();
        let resolved = credentials::resolve(
            spec.provider(),
            &name,
            self.options.api_key.clone(),
            self.options.base_urls.clone(),
            env,
        )?;
        let mut members = Vec::with_capacity(resolved.base_urls.len());
        for base in &resolved.base_urls {
            let options = self.options.for_endpoint(base, resolved.api_key.clone());
            members.push(self.client(&spec, &name, options)?);
        }
        if members.len() == 1 {
            if let Some(only) = members.pop() {
                return Ok(only);
            }
        }
        let fleet = Fleet::new(members)?.cooldown(self.cooldown).name(name);
        Ok(std::sync::Arc::new(fleet))
    }

    /// The client of one endpoint; `options` hold its resolved key and base URL.
    fn client(
        &self,
        spec: &ModelSpec,
        name: &str,
        options: HttpOptions,
    ) -> Result<SharedLm, LmError> {
        match spec.provider().protocol() {
            Protocol::OpenAiChat => self.openai(spec, name, options),
            Protocol::AnthropicMessages => self.anthropic(spec, name, options),
        }
    }

    #[cfg(feature = "openai")]
    fn openai(
        &self,
        spec: &ModelSpec,
        name: &str,
        options: HttpOptions,
    ) -> Result<SharedLm, LmError> {
        let mut builder =
            OpenAiClient::builder(spec.name()).resolved(spec.provider(), name.to_owned(), options);
        if let Some(param) = self.max_tokens_param {
            builder = builder.max_tokens_param(param);
        }
        Ok(Arc::new(builder.build()?))
    }

    #[cfg(not(feature = "openai"))]
    fn openai(&self, _: &ModelSpec, name: &str, _: HttpOptions) -> Result<SharedLm, LmError> {
        Err(missing_feature(name, "openai"))
    }

    #[cfg(feature = "anthropic")]
    fn anthropic(
        &self,
        spec: &ModelSpec,
        name: &str,
        options: HttpOptions,
    ) -> Result<SharedLm, LmError> {
        let mut builder = AnthropicClient::builder(spec.name()).resolved(name.to_owned(), options);
        if let Some(max_tokens) = self.max_tokens {
            builder = builder.max_tokens(max_tokens);
        }
        Ok(Arc::new(builder.build()?))
    }

    #[cfg(not(feature = "anthropic"))]
    fn anthropic(&self, _: &ModelSpec, name: &str, _: HttpOptions) -> Result<SharedLm, LmError> {
        Err(missing_feature(name, "anthropic"))
    }
}

#[cfg(not(all(feature = "openai", feature = "anthropic")))]
fn missing_feature(model: &str, feature: &str) -> LmError {
    LmError::config(format!(
        "model `{model}` needs the `{feature}` cargo feature of dspy-core (or dspy); enable it in \
         Cargo.toml"
    ))
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("ClientBuilder");
        out.field("model", &self.model);
        self.options.debug_fields(&mut out);
        out.field("cooldown", &self.cooldown).finish()
    }
}

#[cfg(all(test, feature = "openai", feature = "anthropic"))]
mod tests {
    use super::super::credentials::env_of;
    use super::*;

    #[test]
    fn openai_from_env() {
        let env = env_of(&[("OPENAI_API_KEY", "sk-from-env-123")]);
        let lm = ClientBuilder::new("openai/gpt-4o-mini")
            .build_with_env(&env)
            .unwrap();
        assert_eq!(lm.model(), "openai/gpt-4o-mini");
        let debug = format!("{lm:?}");
        assert!(
            debug.contains("https://api.openai.com/v1/chat/completions"),
            "{debug}"
        );
        assert!(debug.contains("MaxCompletionTokens"), "{debug}");
        assert!(!debug.contains("sk-from-env-123"), "{debug}");
    }

    #[test]
    fn anthropic_and_local_servers() {
        let env = env_of(&[("ANTHROPIC_API_KEY", "sk-ant-xyz")]);
        let lm = ClientBuilder::new("anthropic/claude-3-5-haiku-latest")
            .build_with_env(&env)
            .unwrap();
        assert_eq!(lm.model(), "anthropic/claude-3-5-haiku-latest");
        assert!(format!("{lm:?}").contains("AnthropicClient"));

        let none = env_of(&[]);
        let lm = ClientBuilder::new("ollama_chat/llama3.2")
            .build_with_env(&none)
            .unwrap();
        let debug = format!("{lm:?}");
        assert!(
            debug.contains("http://localhost:11434/v1/chat/completions"),
            "{debug}"
        );
        assert!(debug.contains("MaxTokens"), "{debug}");

        let lm = ClientBuilder::new("vllm/meta-llama/L3")
            .base_url("http://127.0.0.1:8000/v1")
            .build_with_env(&none)
            .unwrap();
        assert_eq!(lm.model(), "vllm/meta-llama/L3");
    }

    #[test]
    fn errors_name_what_to_set() {
        let none = env_of(&[]);
        let err = ClientBuilder::new("openai/gpt-4o-mini")
            .build_with_env(&none)
            .unwrap_err();
        assert!(matches!(err, LmError::Config { .. }));
        assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
        let err = ClientBuilder::new("hosted_vllm/x")
            .build_with_env(&none)
            .unwrap_err();
        assert!(err.to_string().contains("HOSTED_VLLM_API_BASE"), "{err}");
        let err = ClientBuilder::new("cohere/command")
            .build_with_env(&none)
            .unwrap_err();
        assert!(err.to_string().contains("unknown LM provider"), "{err}");
    }

    #[test]
    fn several_base_urls_make_a_fleet() {
        let none = env_of(&[]);
        let lm = ClientBuilder::new("openai/m")
            .base_urls(["http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"])
            .build_with_env(&none)
            .unwrap();
        assert_eq!(lm.model(), "openai/m");
        let debug = format!("{lm:?}");
        assert!(debug.starts_with("Fleet"), "{debug}");
        assert!(debug.contains("127.0.0.1:2"), "{debug}");
    }
}
