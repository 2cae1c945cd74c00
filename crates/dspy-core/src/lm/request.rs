//! What a program asks an LM for.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use dspy_adapters::Message;

/// One LM call: messages plus sampling and output settings.
///
/// Fields left `None` take the client's defaults. The request (minus secrets, which never live
/// here) is what the cache hashes, so two equal requests are the same call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LmRequest {
    /// The conversation, as an adapter formatted it.
    pub messages: Vec<Message>,
    /// Overrides the client's model name for this call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Most tokens to generate per completion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Number of completions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub stop: Vec<String>,
    /// Sampling seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Structured-output request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// Tools the model may call.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tools: Vec<ToolSpec>,
    /// Distinguishes otherwise identical calls that should get fresh samples (DSPy's
    /// `rollout_id`): part of the cache key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_id: Option<u64>,
    /// Provider-specific settings passed through as they are.
    #[serde(skip_serializing_if = "Map::is_empty", default)]
    pub extra: Map<String, Value>,
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

    /// Sets the temperature.
    pub fn temperature(mut self, t: f64) -> Self {
        self.temperature = Some(t);
        self
    }

    /// Sets `max_tokens`.
    pub fn max_tokens(mut self, n: u32) -> Self {
        self.max_tokens = Some(n);
        self
    }

    /// Sets the number of completions.
    pub fn n(mut self, n: u32) -> Self {
        self.n = Some(n);
        self
    }

    /// Sets the stop sequences.
    pub fn stop(mut self, stop: Vec<String>) -> Self {
        self.stop = stop;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets the rollout id.
    pub fn rollout_id(mut self, id: u64) -> Self {
        self.rollout_id = Some(id);
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
