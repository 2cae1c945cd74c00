//! DSPy's `dspy.majority` (`predict/aggregation.py`) and the `normalize_text` it votes with.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use dspy_adapters::render::py_repr::py_str;
use dspy_adapters::Values;

use crate::example::Prediction;
use crate::Error;

/// Turns several predictions into one (the `reduce_fn` of `dspy_optimize::Ensemble`, e.g.
/// [`majority`]).
pub type Reduce = Arc<dyn Fn(Vec<Prediction>) -> Result<Prediction, Error> + Send + Sync>;

/// How [`Majority`] normalizes a value before counting it; `None` leaves the completion out
/// of the vote.
pub type Normalize = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// DSPy's `normalize_text`: lowercase, drop ASCII punctuation, replace the words "a", "an" and
/// "the" with spaces, collapse whitespace.
///
/// Words are runs of Unicode letters, digits and `_` (Python's `\w`), whitespace is Python's.
/// DSPy first applies Unicode NFD normalization, which this does not: text that differs only
/// in composed and decomposed accents normalizes differently here.
///
/// ```
/// use dspy_core::compose::normalize_text;
/// assert_eq!(normalize_text("The,  Eiffel  Tower!"), "eiffel tower");
/// assert_eq!(normalize_text("An apple a day"), "apple day");
/// assert_eq!(normalize_text("theatre"), "theatre");
/// ```
pub fn normalize_text(s: &str) -> String {
    let lower = s.to_lowercase();
    let no_punct: String = lower
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    let mut out = String::with_capacity(no_punct.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if matches!(word.as_str(), "a" | "an" | "the") {
            out.push(' ');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in no_punct.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out.split(dspy_pytext::is_space)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// DSPy's `default_normalize`: [`normalize_text`], with an empty result as `None`.
///
/// ```
/// use dspy_core::compose::default_normalize;
/// assert_eq!(default_normalize("The Answer."), Some("answer".to_string()));
/// assert_eq!(default_normalize("the"), None);
/// ```
pub fn default_normalize(s: &str) -> Option<String> {
    let text = normalize_text(s);
    (!text.is_empty()).then_some(text)
}

/// DSPy's `majority(completions, normalize=default_normalize, field=None)`: the completion whose
/// `field` is the most common after normalizing; ties go to the value seen first, and the
/// first completion holding the winning value is returned.
///
/// Without [`field`](Majority::field) the vote is on the last field of the first completion
/// (for a predictor's completions, its last output field, as DSPy takes from the signature).
/// Completions whose value normalizes to `None` (an empty answer), is `null` or is missing
/// are left out of the vote; if every completion is left out, the first one wins. Values that are
/// not strings are voted on as Python's `str()` of them (DSPy fails on them).
///
/// ```
/// use dspy_core::compose::Majority;
/// use dspy_core::adapters::Values;
/// use serde_json::json;
///
/// let c = |a: &str| json!({"reasoning": "..", "answer": a}).as_object().cloned().unwrap();
/// let vote = Majority::new().of_completions(vec![c("Paris"), c("Lyon"), c("paris.")]).unwrap();
/// assert_eq!(vote.get_str("answer"), Some("Paris"));
/// assert_eq!(vote.completions().len(), 1);
/// ```
#[derive(Clone, Default)]
pub struct Majority {
    field: Option<String>,
    normalize: Option<Option<Normalize>>,
}

impl fmt::Debug for Majority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let normalize = match &self.normalize {
            None => "default_normalize",
            Some(None) => "none",
            Some(Some(_)) => "custom",
        };
        f.debug_struct("Majority")
            .field("field", &self.field)
            .field("normalize", &normalize)
            .finish()
    }
}

impl Majority {
    /// A vote on the last field with [`default_normalize`].
    pub fn new() -> Majority {
        Majority::default()
    }

    /// Votes on `field`.
    pub fn field(mut self, field: impl Into<String>) -> Majority {
        self.field = Some(field.into());
        self
    }

    /// Normalizes values with `normalize` (DSPy's `normalize=`).
    pub fn normalize(
        mut self,
        normalize: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Majority {
        self.normalize = Some(Some(Arc::new(normalize)));
        self
    }

    /// Compares values as they are (DSPy's `normalize=None`).
    pub fn exact(mut self) -> Majority {
        self.normalize = Some(None);
        self
    }

    /// The index of the winning completion; `None` for no completions.
    pub fn winner(&self, completions: &[&Values]) -> Option<usize> {
        let first = completions.first()?;
        let field = match &self.field {
            Some(f) => f.as_str(),
            None => first.keys().next_back().map_or("", String::as_str),
        };
        let keys: Vec<Option<String>> = completions
            .iter()
            .map(|c| c.get(field).and_then(|v| self.key(v)))
            .collect();
        // Values in first-seen order with their counts; the first strictly larger count wins.
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for key in keys.iter().flatten() {
            match counts.iter_mut().find(|(k, _)| k == key) {
                Some((_, n)) => *n += 1,
                None => counts.push((key, 1)),
            }
        }
        let mut best: Option<(&str, usize)> = None;
        for &(key, n) in &counts {
            if best.is_none_or(|(_, m)| n > m) {
                best = Some((key, n));
            }
        }
        match best {
            Some((winner, _)) => keys.iter().position(|k| k.as_deref() == Some(winner)),
            None => Some(0),
        }
    }

    /// The winning completion as a one-completion prediction (DSPy returns
    /// `Prediction.from_completions([winner])`).
    pub fn of_completions(&self, completions: Vec<Values>) -> Result<Prediction, Error> {
        let refs: Vec<&Values> = completions.iter().collect();
        let i = self.winner(&refs).ok_or_else(no_completions)?;
        let chosen = completions.into_iter().nth(i).ok_or_else(no_completions)?;
        Ok(Prediction::from_completions(vec![chosen]))
    }

    /// The vote over a prediction's completions (its `n` samples).
    pub fn of_prediction(&self, prediction: &Prediction) -> Result<Prediction, Error> {
        match prediction.completions() {
            [] => self.of_completions(vec![prediction.values().clone()]),
            all => self.of_completions(all.to_vec()),
        }
    }

    /// The vote over whole predictions (an ensemble's members): the winner's values as a
    /// one-completion prediction, keeping its token usage.
    pub fn of_predictions(&self, predictions: Vec<Prediction>) -> Result<Prediction, Error> {
        let refs: Vec<&Values> = predictions.iter().map(Prediction::values).collect();
        let i = self.winner(&refs).ok_or_else(no_completions)?;
        let chosen = predictions.into_iter().nth(i).ok_or_else(no_completions)?;
        let mut out = Prediction::from_completions(vec![chosen.values().clone()]);
        out.set_usage(chosen.usage());
        Ok(out)
    }

    /// This vote as an ensemble's reduce function.
    pub fn into_reduce(self) -> Reduce {
        Arc::new(move |predictions| self.of_predictions(predictions))
    }

    /// What the vote counts for `value`.
    fn key(&self, value: &Value) -> Option<String> {
        if value.is_null() {
            return None;
        }
        match &self.normalize {
            None => default_normalize(&py_str(value)),
            Some(Some(f)) => f(&py_str(value)),
            // Exact comparison: JSON text tells strings from other values.
            Some(None) => Some(value.to_string()),
        }
    }
}

fn no_completions() -> Error {
    Error::custom("majority: there are no completions to vote on; pass at least one")
}

/// DSPy's `majority` on `field` as an ensemble's reduce function: the prediction whose `field`,
/// normalized with [`normalize_text`], is the most common (ties go to the earliest program).
///
/// ```
/// use dspy_core::compose::majority;
/// use dspy_core::example::Prediction;
/// use serde_json::json;
///
/// let p = |a: &str| Prediction::new(json!({"answer": a}).as_object().unwrap().clone());
/// let vote = majority("answer");
/// let winner = vote(vec![p("Paris"), p("Lyon"), p("paris.")]).unwrap();
/// assert_eq!(winner.get_str("answer"), Some("Paris"));
/// ```
pub fn majority(field: impl Into<String>) -> Reduce {
    Majority::new().field(field).into_reduce()
}
