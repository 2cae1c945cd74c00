//! What a program asks an LM for.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use dspy_adapters::Message;

use super::params::{deref_to_params, generation_setters, GenerationParams};

/// One LM call: messages plus sampling and output settings.
///
/// The sampling settings live in [`params`](LmRequest::params), which the request dereferences
/// to (`request.temperature`, `request.extra`). Fields left `None` take the client's defaults.
/// The request (minus secrets, which never live here) is what the cache hashes, so two equal
/// requests are the same call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LmRequest {
    /// The conversation, as an adapter formatted it.
    pub messages: Vec<Message>,
    /// Overrides the client's model name for this call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Sampling settings: temperature, `max_tokens`, `n`, seed, rollout id and provider
    /// `extra`s (also readable as fields of the request itself, which dereferences to them).
    #[serde(flatten)]
    pub params: GenerationParams,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub stop: Vec<String>,
    /// Structured-output request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// Tools the model may call.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tools: Vec<ToolSpec>,
    /// How a response cache layer treats this call (DSPy's per-call `cache=`). Not sent to the
    /// provider and not part of the cache key.
    #[serde(skip_serializing_if = "CacheMode::is_enabled", default)]
    pub cache: CacheMode,
}

impl LmRequest {
    /// A request for these messages with default settings.
    pub fn new(messages: Vec<Message>) -> LmRequest {
        LmRequest {
            messages,
            ..LmRequest::default()
        }
    }

    generation_setters!();

    /// Sets the stop sequences.
    pub fn stop(mut self, stop: Vec<String>) -> Self {
        self.stop = stop;
        self
    }

    /// Sets how a cache layer treats this call.
    pub fn cache(mut self, mode: CacheMode) -> Self {
        self.cache = mode;
        self
    }

    /// Sets the structured-output format.
    pub fn response_format(mut self, format: ResponseFormat) -> Self {
        self.response_format = Some(format);
        self
    }
}

deref_to_params!(LmRequest);

/// Structured output the provider should enforce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResponseFormat {
    /// Any JSON object.
    JsonObject,
    /// A JSON object matching `schema`.
    JsonSchema {
        /// Schema name (DSPy uses `DSPyProgramOutputs`).
        name: String,
        /// The JSON Schema.
        schema: Value,
        /// Whether the provider must follow the schema strictly.
        strict: bool,
    },
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// Tool name.
    pub name: String,
    /// What the tool does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the arguments object.
    pub parameters: Value,
}

/// How a cache layer treats one request (DSPy's per-call `cache=True/False`).
///
/// The mode travels on the request so any program can ask for a fresh answer without holding
/// the cache; clients ignore it and cache layers never hash it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CacheMode {
    /// Look the answer up, call the LM on a miss and store its answer (the default).
    #[default]
    Enabled,
    /// Skip the lookup, call the LM and store the fresh answer over any old one.
    Refresh,
    /// Neither look up nor store (DSPy's `cache=False`).
    Bypass,
}

impl CacheMode {
    /// True for [`CacheMode::Enabled`].
    pub fn is_enabled(&self) -> bool {
        matches!(self, CacheMode::Enabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_serialize_as_fields_of_the_request() {
        let mut request = LmRequest::new(vec![Message::user("hi")])
            .temperature(0.5)
            .max_tokens(9)
            .n(2)
            .seed(1)
            .rollout_id(3)
            .stop(vec!["x".into()]);
        request.extra.insert("top_p".into(), json!(0.9));
        let value = serde_json::to_value(&request).unwrap();
        let expected = json!({
            "messages": serde_json::to_value(&request.messages).unwrap(),
            "temperature": 0.5,
            "max_tokens": 9,
            "n": 2,
            "stop": ["x"],
            "seed": 1,
            "rollout_id": 3,
            "extra": {"top_p": 0.9},
        });
        assert_eq!(value, expected);
        let back: LmRequest = serde_json::from_value(value).unwrap();
        assert_eq!(back, request);

        let mut layered = back;
        layered.rollout_id = layered.rollout_id.or(Some(7));
        layered.temperature = layered.temperature.or(Some(1.0));
        assert_eq!(
            (layered.params.rollout_id, layered.params.temperature),
            (Some(3), Some(0.5))
        );

        let bare = LmRequest::new(vec![Message::user("hi")]);
        let value = serde_json::to_value(&bare).unwrap();
        assert_eq!(value.as_object().map(|o| o.len()), Some(1), "{value}");
        assert_eq!(serde_json::from_value::<LmRequest>(value).unwrap(), bare);
    }
}
