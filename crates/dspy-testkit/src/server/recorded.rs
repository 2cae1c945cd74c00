//! [`RecordedRequest`]: a request the server kept.

use serde_json::Value;

/// A request the mock server received, kept when
/// [`MockConfig::record_requests`](super::MockConfig::record_requests) is on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path and query, e.g. `/v1/chat/completions`.
    pub path: String,
    /// Headers in the order received, names lowercase (non-UTF-8 values lossily converted).
    pub headers: Vec<(String, String)>,
    /// The body (non-UTF-8 bytes lossily converted).
    pub body: String,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}
