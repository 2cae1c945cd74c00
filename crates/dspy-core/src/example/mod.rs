//! [`Example`] (a training or evaluation record) and [`Prediction`] (what a module returns),
//! both ordered maps from field names to JSON values, like DSPy's `dspy.Example` and
//! `dspy.Prediction`.

mod prediction;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use dspy_adapters::Values;

use crate::Error;

pub use prediction::Prediction;

/// A record of named values, some of which are marked as inputs.
///
/// Keys keep their insertion order. Equality compares the values only, not which keys are
/// inputs (as in DSPy). Keys starting with `dspy_` are hidden from [`keys`](Example::keys) and
/// [`len`](Example::len) but kept in the store and in saved files.
///
/// ```
/// use dspy_core::example::Example;
///
/// let ex = Example::new()
///     .with("question", "What is 2 + 2?")
///     .with("answer", "4")
///     .with_inputs(["question"]);
/// assert_eq!(ex.inputs().unwrap().keys().collect::<Vec<_>>(), ["question"]);
/// assert_eq!(ex.labels().unwrap().get_str("answer"), Some("4"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Example {
    values: Values,
    input_keys: Option<Vec<String>>,
}

impl PartialEq for Example {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values
    }
}

impl Example {
    /// An empty example.
    pub fn new() -> Example {
        Example::default()
    }

    /// An example holding `values` (no input keys set).
    pub fn from_values(values: Values) -> Example {
        Example {
            values,
            input_keys: None,
        }
    }

    /// The example with `key` set to `value` (builder style).
    ///
    /// ```
    /// let ex = dspy_core::example::Example::new().with("n", 3);
    /// assert_eq!(ex.get("n"), Some(&serde_json::json!(3)));
    /// ```
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Example {
        self.values.insert(key.into(), value.into());
        self
    }

    /// A copy whose input keys are exactly `keys` (DSPy's `with_inputs`).
    pub fn with_inputs<I, S>(mut self, keys: I) -> Example
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut list: Vec<String> = Vec::new();
        for k in keys {
            let k = k.into();
            if !list.contains(&k) {
                list.push(k);
            }
        }
        self.input_keys = Some(list);
        self
    }

    /// The input keys, if they were set.
    pub fn input_keys(&self) -> Option<&[String]> {
        self.input_keys.as_deref()
    }

    /// A new example with only the input keys (which stay marked as inputs).
    ///
    /// Fails with [`Error::InputsNotSet`] when [`with_inputs`](Example::with_inputs) was never
    /// called.
    pub fn inputs(&self) -> Result<Example, Error> {
        let keys = self.input_keys.as_ref().ok_or(Error::InputsNotSet)?;
        let values = self
            .values
            .iter()
            .filter(|(k, _)| keys.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Example {
            values,
            input_keys: Some(keys.clone()),
        })
    }

    /// A new example with every key that is not an input (the labels).
    ///
    /// Fails with [`Error::InputsNotSet`] when the input keys were never set.
    pub fn labels(&self) -> Result<Example, Error> {
        let keys = self.input_keys.as_ref().ok_or(Error::InputsNotSet)?;
        let values = self
            .values
            .iter()
            .filter(|(k, _)| !keys.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Example::from_values(values))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// The value of `key` when it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Value::as_str)
    }

    /// Sets `key`, returning its previous value.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.values.insert(key.into(), value.into())
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.values.shift_remove(key)
    }

    /// True when `key` is present (even if it holds `null`).
    pub fn contains_key(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// A copy without `keys` (DSPy's `without`).
    pub fn without<'k>(&self, keys: impl IntoIterator<Item = &'k str>) -> Example {
        let mut out = self.clone();
        for k in keys {
            out.values.shift_remove(k);
        }
        out
    }

    /// Keys in order, without the hidden `dspy_*` ones.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values
            .keys()
            .map(String::as_str)
            .filter(|k| !k.starts_with("dspy_"))
    }

    /// Key–value pairs in order, without the hidden `dspy_*` ones.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .filter(|(k, _)| !k.starts_with("dspy_"))
    }

    /// Number of keys, not counting the hidden `dspy_*` ones.
    pub fn len(&self) -> usize {
        self.keys().count()
    }

    /// True when there are no visible keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every value, hidden keys included (what DSPy's `toDict` returns).
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// Mutable access to every value.
    pub fn values_mut(&mut self) -> &mut Values {
        &mut self.values
    }

    /// The values, dropping the input-key marks.
    pub fn into_values(self) -> Values {
        self.values
    }
}

impl From<Values> for Example {
    fn from(values: Values) -> Example {
        Example::from_values(values)
    }
}

impl From<Example> for Values {
    fn from(example: Example) -> Values {
        example.values
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Example {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Example {
        Example::from_values(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl Serialize for Example {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.values.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Example {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Example, D::Error> {
        Values::deserialize(deserializer).map(Example::from_values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inputs_and_labels_split_the_keys_in_order() {
        let ex = Example::new()
            .with("b", 1)
            .with("a", 2)
            .with("c", 3)
            .with_inputs(["c", "b"]);
        let inputs = ex.inputs().unwrap();
        assert_eq!(inputs.keys().collect::<Vec<_>>(), ["b", "c"]);
        assert_eq!(
            inputs.input_keys(),
            Some(&["c".to_string(), "b".to_string()][..])
        );
        assert_eq!(ex.labels().unwrap().keys().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn unset_inputs_are_an_error() {
        assert!(matches!(
            Example::new().with("a", 1).labels(),
            Err(Error::InputsNotSet)
        ));
    }

    #[test]
    fn dspy_keys_are_hidden_but_kept() {
        let ex = Example::new().with("q", "x").with("dspy_uuid", "u");
        assert_eq!(ex.len(), 1);
        assert_eq!(ex.values().len(), 2);
        assert_eq!(
            serde_json::to_value(&ex).unwrap(),
            json!({"q": "x", "dspy_uuid": "u"})
        );
    }

    #[test]
    fn equality_ignores_input_keys() {
        let a = Example::new().with("q", "x");
        assert_eq!(a.clone().with_inputs(["q"]), a);
    }
}
