//! HTTP error statuses to [`LmError`], with the provider's message (never the API key).

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::retry_after;
use crate::client::secret::{scrub, ApiKey};
use crate::lm::LmError;

/// Longest provider message kept in an error, in bytes.
const MAX_MESSAGE: usize = 600;

/// Phrases providers use when the prompt does not fit the context window.
const CONTEXT_PHRASES: &[&str] = &[
    "context_length_exceeded",
    "maximum context length",
    "context length",
    "context window",
    "context_window",
    "prompt is too long",
    "exceed_context_size",
    "available context size",
    "input is too long",
];

/// The error for a response with a non-success `status`.
pub(crate) fn classify(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    key: Option<&ApiKey>,
) -> LmError {
    let message = scrub(key, provider_message(status, body));
    let retry_after = || retry_after::from_headers(headers, SystemTime::now());
    from_status(status, message, body, retry_after)
}

/// Like [`classify`], for an error reported inside a stream or a 200 body (no headers).
pub(crate) fn classify_reported(status: u16, error: &Value, key: Option<&ApiKey>) -> LmError {
    let message = scrub(key, message_of(error).unwrap_or_else(|| error.to_string()));
    let message = truncate(message);
    let raw = error.to_string();
    from_status(status, message, raw.as_bytes(), || None)
}

fn from_status(
    status: u16,
    message: String,
    body: &[u8],
    retry_after: impl FnOnce() -> Option<Duration>,
) -> LmError {
    match status {
        429 => LmError::RateLimited {
            retry_after: retry_after(),
        },
        401 | 403 => LmError::Auth { status, message },
        500..=599 => LmError::Server {
            status,
            message,
            retry_after: retry_after(),
        },
        400..=499 if mentions_context_length(&message, body) => LmError::ContextLength { message },
        400..=499 => LmError::InvalidRequest { status, message },
        _ => LmError::Decode {
            message: format!("unexpected HTTP status {status}: {message}"),
        },
    }
}

fn mentions_context_length(message: &str, body: &[u8]) -> bool {
    let check = |text: &str| {
        let lower = text.to_ascii_lowercase();
        CONTEXT_PHRASES.iter().any(|p| lower.contains(p))
    };
    check(message) || check(&String::from_utf8_lossy(&body[..body.len().min(4096)]))
}

/// The provider's own words: `error.message` (OpenAI, Anthropic), `error` (string), `message`,
/// `detail` (FastAPI servers), else the body text itself.
fn provider_message(status: u16, body: &[u8]) -> String {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(value) => message_of(&value).unwrap_or_else(|| value.to_string()),
        Err(_) => String::from_utf8_lossy(body).trim().to_owned(),
    };
    if text.is_empty() {
        return format!("HTTP {status} with an empty body");
    }
    truncate(text)
}

fn message_of(value: &Value) -> Option<String> {
    let as_text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    let error = value.get("error");
    error
        .and_then(|e| e.get("message"))
        .and_then(as_text)
        .or_else(|| error.filter(|e| e.is_string()).and_then(as_text))
        .or_else(|| value.get("message").and_then(as_text))
        .or_else(|| value.get("detail").and_then(as_text))
}

fn truncate(mut text: String) -> String {
    if text.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

#[cfg(feature = "anthropic")]
/// The status an Anthropic error `type` stands for (used for errors inside streams).
pub(crate) fn anthropic_error_status(kind: &str) -> u16 {
    match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn classify_body(status: u16, body: &str) -> LmError {
        classify(status, &HeaderMap::new(), body.as_bytes(), None)
    }

    #[test]
    fn maps_statuses() {
        assert!(matches!(
            classify_body(429, ""),
            LmError::RateLimited { retry_after: None }
        ));
        assert!(matches!(
            classify_body(401, "{}"),
            LmError::Auth { status: 401, .. }
        ));
        assert!(matches!(
            classify_body(403, "no"),
            LmError::Auth { status: 403, .. }
        ));
        assert!(matches!(
            classify_body(503, "down"),
            LmError::Server { status: 503, .. }
        ));
        assert!(matches!(
            classify_body(529, r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#),
            LmError::Server { status: 529, ref message, .. } if message == "Overloaded"
        ));
        assert!(matches!(
            classify_body(404, r#"{"error":{"message":"no such model"}}"#),
            LmError::InvalidRequest { status: 404, ref message } if message == "no such model"
        ));
        assert!(matches!(classify_body(302, ""), LmError::Decode { .. }));
    }

    #[test]
    fn detects_context_length() {
        let openai = r#"{"error":{"message":"This model's maximum context length is 8192 tokens.","code":"context_length_exceeded"}}"#;
        assert!(matches!(
            classify_body(400, openai),
            LmError::ContextLength { .. }
        ));
        let anthropic = r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 201000 tokens > 200000 maximum"}}"#;
        assert!(matches!(
            classify_body(400, anthropic),
            LmError::ContextLength { .. }
        ));
        let code_only = r#"{"error":{"message":"too long","code":"context_length_exceeded"}}"#;
        assert!(matches!(
            classify_body(400, code_only),
            LmError::ContextLength { .. }
        ));
        assert!(matches!(
            classify_body(400, r#"{"error":{"message":"bad temperature"}}"#),
            LmError::InvalidRequest { status: 400, .. }
        ));
    }

    #[test]
    fn message_shapes() {
        assert_eq!(provider_message(400, br#"{"error":"plain"}"#), "plain");
        assert_eq!(provider_message(400, br#"{"detail":"fastapi"}"#), "fastapi");
        assert_eq!(provider_message(400, br#"{"message":"m"}"#), "m");
        assert_eq!(provider_message(400, b"  text body "), "text body");
        assert_eq!(provider_message(502, b""), "HTTP 502 with an empty body");
        let long = "é".repeat(1000);
        let cut = provider_message(400, long.as_bytes());
        assert!(cut.len() <= MAX_MESSAGE + 3 && cut.ends_with("..."));
    }

    #[test]
    fn retry_after_on_429_and_5xx() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(
            classify(429, &h, b"", None).retry_after(),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            classify(503, &h, b"", None).retry_after(),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn scrubs_the_key() {
        let key = ApiKey::new("sk-live-abcdef");
        let err = classify(
            401,
            &HeaderMap::new(),
            br#"{"error":{"message":"Incorrect API key provided: sk-live-abcdef"}}"#,
            Some(&key),
        );
        assert!(!err.to_string().contains("sk-live-abcdef"));
        assert!(!format!("{err:?}").contains("sk-live-abcdef"));
    }
}
