//! API keys that never show up in logs, errors or `Debug` output.

use std::fmt;

/// An API key.
///
/// `Debug` and `Display` print `[redacted]`; the only way to read the key is [`ApiKey::expose`],
/// which the clients call when they build the authentication header. Clients also remove the key
/// from any provider message they put into an [`LmError`](crate::lm::LmError).
///
/// ```
/// use dspy_core::client::ApiKey;
///
/// let key = ApiKey::new("sk-test-123");
/// assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
/// assert_eq!(key.to_string(), "[redacted]");
/// assert_eq!(key.expose(), "sk-test-123");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(Box<str>);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into().into_boxed_str())
    }

    /// The key itself. Only pass it to the provider.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for the empty key (treated as no key).
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// `text` with every occurrence of the key replaced by `[redacted]`.
    #[cfg(feature = "__http")]
    pub(crate) fn scrub(&self, text: String) -> String {
        let key = self.0.trim();
        if key.is_empty() || !text.contains(key) {
            text
        } else {
            text.replace(key, "[redacted]")
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> ApiKey {
        ApiKey::new(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> ApiKey {
        ApiKey::new(key)
    }
}

/// Removes `key` from `text`, if there is a key.
#[cfg(feature = "__http")]
pub(crate) fn scrub(key: Option<&ApiKey>, text: String) -> String {
    match key {
        Some(key) => key.scrub(text),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts() {
        let key = ApiKey::new("sk-secret");
        assert!(!format!("{key:?} {key} {:?}", Some(&key)).contains("sk-secret"));
        assert!(ApiKey::new("  ").is_empty());
    }

    #[cfg(feature = "__http")]
    #[test]
    fn scrubs() {
        let key = ApiKey::new("sk-secret");
        assert_eq!(
            key.scrub("bad key sk-secret given".into()),
            "bad key [redacted] given"
        );
        assert_eq!(scrub(None, "sk-secret".into()), "sk-secret");
    }
}
