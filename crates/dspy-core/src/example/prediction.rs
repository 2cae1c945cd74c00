//! [`Prediction`]: a module's output values plus every completion the LM returned.

use serde::{Serialize, Serializer};
use serde_json::Value;

use dspy_adapters::Values;

use super::Example;
use crate::lm::Usage;

/// The output of a module: named values, the `n` completions they came from, and the tokens
/// the LM calls used.
///
/// The values are the first completion's. [`completions`](Prediction::completions) holds all of
/// them (DSPy's `pred.completions`).
///
/// ```
/// use dspy_core::example::Prediction;
/// use serde_json::json;
///
/// let first = json!({"answer": "4"}).as_object().cloned().unwrap();
/// let second = json!({"answer": "four"}).as_object().cloned().unwrap();
/// let pred = Prediction::from_completions(vec![first, second]);
/// assert_eq!(pred.get_str("answer"), Some("4"));
/// assert_eq!(pred.completions().len(), 2);
/// assert_eq!(pred.field_completions("answer"), [&json!("4"), &json!("four")]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Prediction {
    values: Values,
    completions: Vec<Values>,
    usage: Usage,
}

impl PartialEq for Prediction {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values
    }
}

impl Prediction {
    /// A prediction holding `values` (and no separate completions).
    pub fn new(values: Values) -> Prediction {
        Prediction {
            values,
            completions: Vec::new(),
            usage: Usage::default(),
        }
    }

    /// A prediction from parsed completions: the values are the first completion's.
    pub fn from_completions(completions: Vec<Values>) -> Prediction {
        let values = completions.first().cloned().unwrap_or_default();
        Prediction {
            values,
            completions,
            usage: Usage::default(),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// The value of `key` when it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Value::as_str)
    }

    /// Sets `key` (custom modules build their outputs this way).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.values.insert(key.into(), value.into())
    }

    /// The values in order.
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Every completion's values, in the LM's order (empty for a prediction built by hand).
    pub fn completions(&self) -> &[Values] {
        &self.completions
    }

    /// One field across all completions (DSPy's `pred.completions.answer`).
    pub fn field_completions(&self, key: &str) -> Vec<&Value> {
        self.completions.iter().filter_map(|c| c.get(key)).collect()
    }

    /// Tokens used by the LM calls behind this prediction (zero for cache hits).
    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// Sets the token counts.
    pub fn set_usage(&mut self, usage: Usage) {
        self.usage = usage;
    }

    /// The values, as an [`Example`] with no input keys.
    pub fn to_example(&self) -> Example {
        Example::from_values(self.values.clone())
    }

    /// The values.
    pub fn into_values(self) -> Values {
        self.values
    }
}

impl From<Values> for Prediction {
    fn from(values: Values) -> Prediction {
        Prediction::new(values)
    }
}

impl Serialize for Prediction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.values.serialize(serializer)
    }
}
