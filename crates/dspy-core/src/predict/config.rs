//! Per-predictor and per-call LM settings, and how they become an [`LmRequest`].

use serde_json::Value;

use dspy_adapters::Message;

use crate::lm::params::{deref_to_params, generation_setters};
use crate::lm::{GenerationParams, LmRequest};

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
    /// Sampling settings: temperature, `n`, `max_tokens`, seed, DSPy's `rollout_id` and
    /// provider-specific `extra`s (merged key by key). `LmConfig` dereferences to them, so
    /// `config.n` reads `config.params.n`.
    pub params: GenerationParams,
    /// Stop sequences (`None` keeps the predictor's).
    pub stop: Option<Vec<String>>,
    /// Structured output for the JSON adapter.
    pub structured_output: Option<StructuredOutput>,
}

deref_to_params!(LmConfig);

impl LmConfig {
    generation_setters!();

    /// Sets the stop sequences.
    pub fn stop(mut self, stop: Vec<String>) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Sets the structured-output mode.
    pub fn structured_output(mut self, mode: StructuredOutput) -> Self {
        self.structured_output = Some(mode);
        self
    }

    /// Sets a provider-specific setting.
    pub fn extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.params.extra.insert(key.into(), value.into());
        self
    }

    /// `self` with every setting `over` has replacing ours.
    pub fn merged(&self, over: &LmConfig) -> LmConfig {
        LmConfig {
            params: self.params.merged(&over.params),
            stop: over.stop.clone().or_else(|| self.stop.clone()),
            structured_output: over.structured_output.or(self.structured_output),
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
        let t = self.params.temperature.filter(|t| *t != 0.0);
        let n = self.params.n.filter(|n| *n != 0).unwrap_or(1);
        let low = match t {
            None => true,
            Some(t) => t <= 0.15,
        };
        if n > 1 && low {
            self.params.temperature = Some(0.7);
        }
        self
    }

    /// The request for `messages` with these settings.
    pub(crate) fn request(&self, messages: Vec<Message>) -> LmRequest {
        let mut request = LmRequest::new(messages);
        request.params = self.params.clone();
        request.stop = self.stop.clone().unwrap_or_default();
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_settings_override_and_become_the_request() {
        let predictor = LmConfig::default()
            .temperature(0.2)
            .max_tokens(100)
            .stop(vec!["END".into()])
            .extra("top_p", 0.9);
        let call = LmConfig::default()
            .temperature(0.9)
            .seed(4)
            .extra("top_k", 3);
        let merged = predictor.merged(&call);
        assert_eq!(merged.temperature, Some(0.9));
        assert_eq!(merged.max_tokens, Some(100));
        assert_eq!(merged.seed, Some(4));
        assert_eq!(merged.stop, Some(vec!["END".to_owned()]));
        assert_eq!(merged.extra.len(), 2);

        let cleared = merged.merged(&LmConfig::default().stop(Vec::new()));
        assert_eq!(
            cleared.stop,
            Some(Vec::new()),
            "an empty list replaces the stops"
        );

        let request = merged.request(vec![Message::user("hi")]);
        assert_eq!(request.params, merged.params);
        assert_eq!(request.stop, vec!["END".to_owned()]);
        assert!(LmConfig::default().request(Vec::new()).stop.is_empty());
    }
}
