//! [`GenerationParams`]: the sampling settings a request carries and a predictor's
//! [`LmConfig`](crate::predict::LmConfig) layers, with their setters and merge rule written once.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Sampling and generation settings, shared by [`LmRequest`](super::LmRequest) and
/// [`LmConfig`](crate::predict::LmConfig) (both dereference to theirs, so `request.temperature`
/// and `config.n` read them directly).
///
/// Unset fields (`None`) take the next level's value: call settings override a predictor's,
/// which override the client's defaults. Stop sequences are not here: a request's are a list,
/// while a config's may be unset.
///
/// ```
/// use dspy_core::lm::GenerationParams;
///
/// let mut predictor = GenerationParams::default();
/// predictor.temperature = Some(0.2);
/// predictor.max_tokens = Some(100);
/// let mut call = GenerationParams::default();
/// call.temperature = Some(0.9);
///
/// let merged = predictor.merged(&call);
/// assert_eq!(merged.temperature, Some(0.9));
/// assert_eq!(merged.max_tokens, Some(100));
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenerationParams {
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Most tokens to generate per completion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Number of completions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Sampling seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Distinguishes otherwise identical calls that should get fresh samples (DSPy's
    /// `rollout_id`): distinct ids get distinct samples and cache entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_id: Option<u64>,
    /// Provider-specific settings passed through as they are.
    #[serde(skip_serializing_if = "Map::is_empty", default)]
    pub extra: Map<String, Value>,
}

impl GenerationParams {
    /// `self` with every setting `over` has replacing ours; `extra` is merged key by key.
    pub fn merged(&self, over: &GenerationParams) -> GenerationParams {
        let mut extra = self.extra.clone();
        for (k, v) in &over.extra {
            extra.insert(k.clone(), v.clone());
        }
        GenerationParams {
            temperature: over.temperature.or(self.temperature),
            max_tokens: over.max_tokens.or(self.max_tokens),
            n: over.n.or(self.n),
            seed: over.seed.or(self.seed),
            rollout_id: over.rollout_id.or(self.rollout_id),
            extra,
        }
    }
}

/// The by-value setters of the [`GenerationParams`] in a type's `params` field, for
/// [`LmRequest`](super::LmRequest) and [`LmConfig`](crate::predict::LmConfig).
macro_rules! generation_setters {
    () => {
        /// Sets the temperature.
        pub fn temperature(mut self, t: f64) -> Self {
            self.params.temperature = Some(t);
            self
        }

        /// Sets `max_tokens`.
        pub fn max_tokens(mut self, n: u32) -> Self {
            self.params.max_tokens = Some(n);
            self
        }

        /// Sets the number of completions.
        pub fn n(mut self, n: u32) -> Self {
            self.params.n = Some(n);
            self
        }

        /// Sets the seed.
        pub fn seed(mut self, seed: u64) -> Self {
            self.params.seed = Some(seed);
            self
        }

        /// Sets the rollout id.
        pub fn rollout_id(mut self, id: u64) -> Self {
            self.params.rollout_id = Some(id);
            self
        }
    };
}
pub(crate) use generation_setters;

/// `Deref`/`DerefMut` from a type to the [`GenerationParams`] in its `params` field, so the
/// settings read as fields of the type itself.
macro_rules! deref_to_params {
    ($ty:ty) => {
        impl ::std::ops::Deref for $ty {
            type Target = $crate::lm::GenerationParams;

            fn deref(&self) -> &$crate::lm::GenerationParams {
                &self.params
            }
        }

        impl ::std::ops::DerefMut for $ty {
            fn deref_mut(&mut self) -> &mut $crate::lm::GenerationParams {
                &mut self.params
            }
        }
    };
}
pub(crate) use deref_to_params;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merged_prefers_the_override_and_merges_extra() {
        let mut base = GenerationParams {
            temperature: Some(0.1),
            n: Some(2),
            seed: Some(7),
            ..GenerationParams::default()
        };
        base.extra.insert("top_p".into(), json!(0.9));
        base.extra.insert("top_k".into(), json!(40));
        let mut over = GenerationParams {
            temperature: Some(0.8),
            rollout_id: Some(3),
            ..GenerationParams::default()
        };
        over.extra.insert("top_p".into(), json!(0.5));

        let merged = base.merged(&over);
        assert_eq!(merged.temperature, Some(0.8));
        assert_eq!(merged.n, Some(2));
        assert_eq!(merged.seed, Some(7));
        assert_eq!(merged.rollout_id, Some(3));
        assert_eq!(merged.max_tokens, None);
        assert_eq!(merged.extra.get("top_p"), Some(&json!(0.5)));
        assert_eq!(merged.extra.get("top_k"), Some(&json!(40)));
    }
}
