//! Per-predictor and per-call LM settings, and how they become an [`LmRequest`].

use serde_json::{Map, Value};

use dspy_adapters::Message;

use crate::lm::LmRequest;

/// How to ask the LM for structured output when the JSON adapter runs.
///
/// Only set this when the LM supports it: DSPy asks the LM (`supported_params`,
/// `supports_response_schema`); here you say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StructuredOutput {
    /// Send no `response_format` (the default).
    #[default]
    Off,
    /// `{"type": "json_object"}`: any JSON object.
    JsonObject,
    /// OpenAI structured outputs: a strict JSON Schema of the output fields named
    /// `DSPyProgramOutputs`, or `json_object` when an output is an open `dict`.
    JsonSchema,
}

/// LM settings of a predictor or a call (DSPy's `Predict(..., **config)` and `config=`).
///
/// Unset fields (`None`) fall through: call settings override the predictor's, which override
/// the client's defaults.
///
/// ```
/// use dspy_core::predict::LmConfig;
///
/// let config = LmConfig::default().temperature(0.2).n(3);
/// assert_eq!(config.n, Some(3));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LmConfig {
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Number of completions.
    pub n: Option<u32>,
    /// Most tokens per completion.
    pub max_tokens: Option<u32>,
    /// Stop sequences (`None` keeps the predictor's).
    pub stop: Option<Vec<String>>,
    /// Sampling seed.
    pub seed: Option<u64>,
    /// DSPy's `rollout_id`: distinct ids get distinct samples (and cache entries).
    pub rollout_id: Option<u64>,
    /// Structured output for the JSON adapter.
    pub structured_output: Option<StructuredOutput>,
    /// Provider-specific settings, merged key by key.
    pub extra: Map<String, Value>,
}

impl LmConfig {
    /// Sets the temperature.
    pub fn temperature(mut self, t: f64) -> Self {
        self.temperature = Some(t);
        self
    }

    /// Sets the number of completions.
    pub fn n(mut self, n: u32) -> Self {
        self.n = Some(n);
        self
    }

    /// Sets `max_tokens`.
    pub fn max_tokens(mut self, n: u32) -> Self {
        self.max_tokens = Some(n);
        self
    }

    /// Sets the stop sequences.
    pub fn stop(mut self, stop: Vec<String>) -> Self {
        self.stop = Some(stop);
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

    /// Sets the structured-output mode.
    pub fn structured_output(mut self, mode: StructuredOutput) -> Self {
        self.structured_output = Some(mode);
        self
    }

    /// Sets a provider-specific setting.
    pub fn extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// `self` with every setting `over` has replacing ours.
    pub fn merged(&self, over: &LmConfig) -> LmConfig {
        let mut extra = self.extra.clone();
        for (k, v) in &over.extra {
            extra.insert(k.clone(), v.clone());
        }
        LmConfig {
            temperature: over.temperature.or(self.temperature),
            n: over.n.or(self.n),
            max_tokens: over.max_tokens.or(self.max_tokens),
            stop: over.stop.clone().or_else(|| self.stop.clone()),
            seed: over.seed.or(self.seed),
            rollout_id: over.rollout_id.or(self.rollout_id),
            structured_output: over.structured_output.or(self.structured_output),
            extra,
        }
    }

    /// DSPy's rule for several completions: when `n > 1` and the temperature is unset, zero or
    /// at most 0.15, use 0.7 so the completions differ.
    ///
    /// ```
    /// use dspy_core::predict::LmConfig;
    ///
    /// assert_eq!(LmConfig::default().n(3).with_sampling_rule().temperature, Some(0.7));
    /// assert_eq!(LmConfig::default().n(3).temperature(1.0).with_sampling_rule().temperature, Some(1.0));
    /// assert_eq!(LmConfig::default().temperature(0.0).with_sampling_rule().temperature, Some(0.0));
    /// ```
    pub fn with_sampling_rule(mut self) -> LmConfig {
        // Python truthiness: a temperature of 0.0 counts as unset.
        let t = self.temperature.filter(|t| *t != 0.0);
        let n = self.n.filter(|n| *n != 0).unwrap_or(1);
        let low = match t {
            None => true,
            Some(t) => t <= 0.15,
        };
        if n > 1 && low {
            self.temperature = Some(0.7);
        }
        self
    }

    /// The request for `messages` with these settings.
    pub(crate) fn request(&self, messages: Vec<Message>) -> LmRequest {
        let mut request = LmRequest::new(messages);
        request.temperature = self.temperature;
        request.n = self.n;
        request.max_tokens = self.max_tokens;
        request.stop = self.stop.clone().unwrap_or_default();
        request.seed = self.seed;
        request.rollout_id = self.rollout_id;
        request.extra = self.extra.clone();
        request
    }
}
