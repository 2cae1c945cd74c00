//! Where a client's API key and base URL come from: arguments first, then the provider's
//! environment variables, then the provider's defaults.

use std::fmt;

use super::model::Provider;
use super::secret::{redact_url, ApiKey};
use crate::lm::LmError;

/// An API key and base URLs, resolved.
#[derive(Clone)]
pub(crate) struct Resolved {
    /// The key, if any (local servers usually need none).
    pub(crate) api_key: Option<ApiKey>,
    /// One or more base URLs (more than one makes a [`Fleet`](super::Fleet)).
    pub(crate) base_urls: Vec<String>,
}

impl fmt::Debug for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base_urls: Vec<String> = self.base_urls.iter().map(|b| redact_url(b)).collect();
        f.debug_struct("Resolved")
            .field("api_key", &self.api_key)
            .field("base_urls", &base_urls)
            .finish()
    }
}

/// Reads a process environment variable; empty values count as unset.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Resolves the key and base URLs of `model` (used in messages) for `provider`.
///
/// A missing key is an error only for the provider's own hosted API (its default base URL);
/// OpenAI-compatible servers at other addresses are called without one.
pub(crate) fn resolve(
    provider: Provider,
    model: &str,
    api_key: Option<ApiKey>,
    base_urls: Vec<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Resolved, LmError> {
    let api_key = api_key.filter(|k| !k.is_empty()).or_else(|| {
        provider
            .key_env_vars()
            .iter()
            .find_map(|name| env(name))
            .map(ApiKey::new)
    });

    let mut base_urls: Vec<String> = base_urls
        .into_iter()
        .map(|b| b.trim().to_owned())
        .filter(|b| !b.is_empty())
        .collect();
    if base_urls.is_empty() {
        let from_env = provider
            .base_url_env_vars()
            .iter()
            .find_map(|name| env(name));
        match from_env.or_else(|| provider.default_base_url().map(str::to_owned)) {
            Some(base) => base_urls.push(base.trim().to_owned()),
            None => {
                return Err(LmError::config(format!(
                    "no base URL for model `{model}`: set the {} environment variable or pass a \
                     base URL to the builder",
                    provider.base_url_env_vars().join(" or ")
                )))
            }
        }
    }

    let uses_hosted_api = provider.default_base_url().is_some_and(|default| {
        base_urls
            .iter()
            .any(|b| b.trim_end_matches('/') == default.trim_end_matches('/'))
    });
    if api_key.is_none() && provider.hosted_needs_key() && uses_hosted_api {
        return Err(LmError::config(format!(
            "no API key for model `{model}`: set the {} environment variable or pass `.api_key(..)` \
             to the builder",
            provider.key_env_vars().join(" or ")
        )));
    }
    Ok(Resolved { api_key, base_urls })
}

/// A test environment holding just `pairs`.
#[cfg(test)]
pub(crate) fn env_of(
    pairs: &'static [(&'static str, &'static str)],
) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_from_env_and_default_base() {
        let env = env_of(&[("OPENAI_API_KEY", "sk-env")]);
        let r = resolve(Provider::OpenAi, "openai/x", None, vec![], &env).unwrap();
        assert_eq!(r.api_key.unwrap().expose(), "sk-env");
        assert_eq!(r.base_urls, vec!["https://api.openai.com/v1"]);
    }

    #[test]
    fn arguments_win_over_env() {
        let env = env_of(&[
            ("OPENAI_API_KEY", "sk-env"),
            ("OPENAI_BASE_URL", "http://env"),
        ]);
        let r = resolve(
            Provider::OpenAi,
            "openai/x",
            Some(ApiKey::new("sk-arg")),
            vec!["http://arg/v1".into()],
            &env,
        )
        .unwrap();
        assert_eq!(r.api_key.unwrap().expose(), "sk-arg");
        assert_eq!(r.base_urls, vec!["http://arg/v1"]);
    }

    #[test]
    fn base_from_either_env_name() {
        let env = env_of(&[("OPENAI_API_BASE", "http://legacy/v1")]);
        let r = resolve(Provider::OpenAi, "openai/x", None, vec![], &env).unwrap();
        assert_eq!(r.base_urls, vec!["http://legacy/v1"]);
        assert!(r.api_key.is_none(), "custom servers need no key");
    }

    #[test]
    fn missing_key_names_the_env_var() {
        let env = env_of(&[]);
        let err = resolve(Provider::OpenAi, "openai/gpt-4o-mini", None, vec![], &env).unwrap_err();
        assert!(matches!(err, LmError::Config { .. }));
        assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
        let err = resolve(Provider::Anthropic, "anthropic/c", None, vec![], &env).unwrap_err();
        assert!(err.to_string().contains("ANTHROPIC_API_KEY"), "{err}");
    }

    #[test]
    fn debug_hides_the_key_and_url_credentials() {
        let env = env_of(&[("OPENAI_API_KEY", "sk-env-secret")]);
        let r = resolve(
            Provider::OpenAi,
            "openai/x",
            None,
            vec!["https://u:url-secret@h/v1?api-key=query-secret&v=1".into()],
            &env,
        )
        .unwrap();
        let debug = format!("{r:?}");
        for secret in ["sk-env-secret", "url-secret", "query-secret"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(
            debug.contains("https://[redacted]@h/v1?api-key=[redacted]&v=1"),
            "{debug}"
        );
    }

    #[test]
    fn vllm_needs_a_base_url() {
        let env = env_of(&[]);
        let err = resolve(Provider::Vllm, "hosted_vllm/m", None, vec![], &env).unwrap_err();
        assert!(err.to_string().contains("HOSTED_VLLM_API_BASE"), "{err}");
        let env = env_of(&[("HOSTED_VLLM_API_BASE", "http://127.0.0.1:8000/v1")]);
        let r = resolve(Provider::Vllm, "hosted_vllm/m", None, vec![], &env).unwrap();
        assert_eq!(r.base_urls, vec!["http://127.0.0.1:8000/v1"]);
    }

    #[test]
    fn ollama_defaults_to_localhost_without_key() {
        let env = env_of(&[]);
        let r = resolve(Provider::Ollama, "ollama_chat/llama3.2", None, vec![], &env).unwrap();
        assert_eq!(r.base_urls, vec!["http://localhost:11434"]);
        assert!(r.api_key.is_none());
    }
}
