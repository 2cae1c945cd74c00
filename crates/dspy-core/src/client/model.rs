//! DSPy model strings (`"openai/gpt-4o-mini"`, `"anthropic/claude-3-5-haiku-latest"`) and the
//! providers they name.

use std::fmt;
use std::str::FromStr;

use crate::lm::LmError;

/// A provider: which wire protocol a model string selects, and where its settings come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// OpenAI (`openai/`), or any OpenAI-compatible server given a base URL.
    OpenAi,
    /// Anthropic's Messages API (`anthropic/`).
    Anthropic,
    /// Ollama's OpenAI-compatible endpoint (`ollama_chat/`, `ollama/`).
    Ollama,
    /// A vLLM server (`hosted_vllm/`, `vllm/`).
    Vllm,
    /// A LiteLLM proxy (`litellm_proxy/`).
    LiteLlmProxy,
}

/// The wire protocol a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// `POST {base}/chat/completions`, OpenAI style.
    OpenAiChat,
    /// `POST {base}/v1/messages`, Anthropic style.
    AnthropicMessages,
}

/// Every accepted prefix, with its provider.
const PREFIXES: &[(&str, Provider)] = &[
    ("openai", Provider::OpenAi),
    ("anthropic", Provider::Anthropic),
    ("ollama_chat", Provider::Ollama),
    ("ollama", Provider::Ollama),
    ("hosted_vllm", Provider::Vllm),
    ("vllm", Provider::Vllm),
    ("litellm_proxy", Provider::LiteLlmProxy),
];

impl Provider {
    /// The provider a model-string prefix names (`"openai"`, `"hosted_vllm"`, ...).
    pub fn from_prefix(prefix: &str) -> Option<Provider> {
        PREFIXES
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(prefix))
            .map(|&(_, provider)| provider)
    }

    /// The wire protocol.
    pub fn protocol(self) -> Protocol {
        match self {
            Provider::Anthropic => Protocol::AnthropicMessages,
            Provider::OpenAi | Provider::Ollama | Provider::Vllm | Provider::LiteLlmProxy => {
                Protocol::OpenAiChat
            }
        }
    }

    /// Environment variables holding the API key, first match wins.
    pub fn key_env_vars(self) -> &'static [&'static str] {
        match self {
            Provider::OpenAi => &["OPENAI_API_KEY"],
            Provider::Anthropic => &["ANTHROPIC_API_KEY"],
            Provider::Ollama => &["OLLAMA_API_KEY"],
            Provider::Vllm => &["HOSTED_VLLM_API_KEY", "VLLM_API_KEY"],
            Provider::LiteLlmProxy => &["LITELLM_PROXY_API_KEY"],
        }
    }

    /// Environment variables holding the base URL, first match wins.
    pub fn base_url_env_vars(self) -> &'static [&'static str] {
        match self {
            Provider::OpenAi => &["OPENAI_BASE_URL", "OPENAI_API_BASE"],
            Provider::Anthropic => &["ANTHROPIC_BASE_URL", "ANTHROPIC_API_BASE"],
            Provider::Ollama => &["OLLAMA_API_BASE", "OLLAMA_BASE_URL"],
            Provider::Vllm => &["HOSTED_VLLM_API_BASE", "VLLM_API_BASE", "VLLM_BASE_URL"],
            Provider::LiteLlmProxy => &["LITELLM_PROXY_API_BASE"],
        }
    }

    /// The base URL used when neither an argument nor the environment gives one.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Provider::OpenAi => Some("https://api.openai.com/v1"),
            Provider::Anthropic => Some("https://api.anthropic.com"),
            Provider::Ollama => Some("http://localhost:11434"),
            Provider::Vllm | Provider::LiteLlmProxy => None,
        }
    }

    /// True when the provider's own hosted API needs a key (the default base URL is in use).
    pub(crate) fn hosted_needs_key(self) -> bool {
        matches!(self, Provider::OpenAi | Provider::Anthropic)
    }

    /// The canonical prefix (`"openai"`, `"anthropic"`, `"ollama_chat"`, `"hosted_vllm"`, ...).
    pub fn prefix(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Ollama => "ollama_chat",
            Provider::Vllm => "hosted_vllm",
            Provider::LiteLlmProxy => "litellm_proxy",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// A parsed DSPy model string: `provider/name`, where `name` may itself contain `/`
/// (`hosted_vllm/meta-llama/Llama-3.1-8B-Instruct`). No prefix means OpenAI, as in DSPy.
///
/// ```
/// use dspy_core::client::{ModelSpec, Provider};
///
/// let spec: ModelSpec = "hosted_vllm/meta-llama/Llama-3.1-8B-Instruct".parse()?;
/// assert_eq!(spec.provider(), Provider::Vllm);
/// assert_eq!(spec.name(), "meta-llama/Llama-3.1-8B-Instruct");
/// assert_eq!(spec.prefix(), "hosted_vllm");
/// # Ok::<(), dspy_core::lm::LmError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelSpec {
    provider: Provider,
    prefix: String,
    name: String,
}

impl ModelSpec {
    /// Parses a model string; unknown providers and empty names are [`LmError::Config`] errors.
    pub fn parse(model: &str) -> Result<ModelSpec, LmError> {
        let model = model.trim();
        let (prefix, name) = match model.split_once('/') {
            Some((prefix, name)) => (prefix, name),
            None => ("openai", model),
        };
        let provider = Provider::from_prefix(prefix).ok_or_else(|| {
            let known: Vec<&str> = PREFIXES.iter().map(|(p, _)| *p).collect();
            LmError::config(format!(
                "unknown LM provider `{prefix}` in model `{model}`; known providers: {}. For any \
                 OpenAI-compatible server use `openai/<model>` with a base URL",
                known.join(", ")
            ))
        })?;
        if name.trim().is_empty() {
            return Err(LmError::config(format!(
                "model `{model}` has no model name after the provider; write e.g. `{prefix}/<model>`"
            )));
        }
        Ok(ModelSpec {
            provider,
            prefix: prefix.to_ascii_lowercase(),
            name: name.to_owned(),
        })
    }

    /// The provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The prefix as written, lowercased (`"vllm"` and `"hosted_vllm"` both name [`Provider::Vllm`]).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The model name sent to the provider (the part after the prefix).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The full DSPy-style string, `prefix/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.prefix, self.name)
    }
}

impl FromStr for ModelSpec {
    type Err = LmError;

    fn from_str(s: &str) -> Result<ModelSpec, LmError> {
        ModelSpec::parse(s)
    }
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.prefix, self.name)
    }
}

#[cfg(feature = "__http")]
/// The wire model name for a per-request override: drops `prefix/` when it names this client's
/// provider prefix, keeps anything else (`meta-llama/...` stays whole).
pub(crate) fn wire_model<'a>(override_name: &'a str, client_prefix: &str) -> &'a str {
    match override_name.split_once('/') {
        Some((prefix, rest)) if prefix.eq_ignore_ascii_case(client_prefix) => rest,
        _ => override_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_prefixes() {
        let spec = ModelSpec::parse("openai/gpt-4o-mini").unwrap();
        assert_eq!(spec.provider(), Provider::OpenAi);
        assert_eq!(spec.name(), "gpt-4o-mini");
        assert_eq!(spec.full_name(), "openai/gpt-4o-mini");

        let spec = ModelSpec::parse("anthropic/claude-3-5-haiku-latest").unwrap();
        assert_eq!(spec.provider(), Provider::Anthropic);
        assert_eq!(spec.provider().protocol(), Protocol::AnthropicMessages);

        let spec = ModelSpec::parse("ollama_chat/llama3.2").unwrap();
        assert_eq!(spec.provider(), Provider::Ollama);
        assert_eq!(spec.provider().protocol(), Protocol::OpenAiChat);

        let spec = ModelSpec::parse("vllm/Qwen/Qwen2.5-7B").unwrap();
        assert_eq!(spec.provider(), Provider::Vllm);
        assert_eq!(spec.name(), "Qwen/Qwen2.5-7B");
    }

    #[test]
    fn no_prefix_means_openai() {
        let spec = ModelSpec::parse("gpt-4o").unwrap();
        assert_eq!(spec.provider(), Provider::OpenAi);
        assert_eq!(spec.full_name(), "openai/gpt-4o");
    }

    #[test]
    fn unknown_provider_is_a_config_error() {
        let err = ModelSpec::parse("foo/bar").unwrap_err();
        assert!(matches!(err, LmError::Config { .. }));
        let text = err.to_string();
        assert!(text.contains("`foo`") && text.contains("openai"), "{text}");
        assert!(matches!(
            ModelSpec::parse("openai/ ").unwrap_err(),
            LmError::Config { .. }
        ));
    }

    #[cfg(feature = "__http")]
    #[test]
    fn wire_model_strips_only_own_prefix() {
        assert_eq!(wire_model("openai/gpt-4o", "openai"), "gpt-4o");
        assert_eq!(wire_model("meta-llama/L3", "hosted_vllm"), "meta-llama/L3");
        assert_eq!(wire_model("gpt-4o", "openai"), "gpt-4o");
    }
}
