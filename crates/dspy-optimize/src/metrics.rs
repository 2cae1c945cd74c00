//! DSPy's answer metrics (`dspy.evaluate.metrics`): normalized exact match, token F1 and
//! passage match.
//!
//! ```
//! use dspy_core::example::{Example, Prediction};
//! use dspy_optimize::metrics::{answer_exact_match, f1_score, normalize_text};
//! use serde_json::json;
//!
//! assert_eq!(normalize_text("The,  Eiffel  Tower!"), "eiffel tower");
//! assert_eq!(f1_score("the Eiffel Tower", "Eiffel Tower"), 1.0);
//! let ex = Example::new().with("question", "?").with("answer", "Paris");
//! let pred = Prediction::new(json!({"answer": "paris."}).as_object().unwrap().clone());
//! assert!(answer_exact_match(&ex, &pred));
//! ```

use std::collections::HashMap;

use serde_json::Value;

use dspy_core::example::{Example, Prediction};

pub use dspy_core::compose::normalize_text;

/// DSPy's `em_score`: equal after [`normalize_text`].
pub fn em_score(prediction: &str, ground_truth: &str) -> bool {
    normalize_text(prediction) == normalize_text(ground_truth)
}

/// DSPy's `f1_score`: token-level F1 of the normalized strings (0 without overlap).
pub fn f1_score(prediction: &str, ground_truth: &str) -> f64 {
    let pred = normalize_text(prediction);
    let gold = normalize_text(ground_truth);
    let (p, g): (Vec<&str>, Vec<&str>) = (
        pred.split_whitespace().collect(),
        gold.split_whitespace().collect(),
    );
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in &g {
        *counts.entry(t).or_default() += 1;
    }
    let mut same = 0usize;
    for t in &p {
        if let Some(n) = counts.get_mut(t) {
            if *n > 0 {
                *n -= 1;
                same += 1;
            }
        }
    }
    if same == 0 {
        return 0.0;
    }
    let precision = same as f64 / p.len() as f64;
    let recall = same as f64 / g.len() as f64;
    2.0 * precision * recall / (precision + recall)
}

/// The reference answers of an example: `answer` as a string or a list of strings.
fn answers(example: &Example) -> Vec<String> {
    match example.get("answer") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.to_string()],
    }
}

fn predicted(prediction: &Prediction, key: &str) -> String {
    match prediction.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// DSPy's `answer_exact_match`: the prediction's `answer` equals one of the example's
/// (string or list) after normalization. A missing answer does not match.
pub fn answer_exact_match(example: &Example, prediction: &Prediction) -> bool {
    answer_match(example, prediction, 1.0)
}

/// `answer_exact_match` with `frac < 1`: the best token F1 against the references is at
/// least `frac` (exact match when `frac >= 1`).
///
/// ```
/// use dspy_core::example::{Example, Prediction};
/// use dspy_optimize::metrics::answer_match;
/// use serde_json::json;
/// let ex = Example::new().with("answer", "Eiffel Tower in Paris");
/// let pred = Prediction::new(json!({"answer": "Eiffel Tower"}).as_object().unwrap().clone());
/// assert!(answer_match(&ex, &pred, 0.5));
/// assert!(!answer_match(&ex, &pred, 1.0));
/// ```
pub fn answer_match(example: &Example, prediction: &Prediction, frac: f64) -> bool {
    let got = predicted(prediction, "answer");
    let refs = answers(example);
    if frac >= 1.0 {
        refs.iter().any(|a| em_score(&got, a))
    } else {
        refs.iter().map(|a| f1_score(&got, a)).fold(0.0, f64::max) >= frac
    }
}

/// The best token F1 of the prediction's `answer` against the example's answers.
pub fn answer_f1(example: &Example, prediction: &Prediction) -> f64 {
    let got = predicted(prediction, "answer");
    answers(example)
        .iter()
        .map(|a| f1_score(&got, a))
        .fold(0.0, f64::max)
}

/// DSPy's `answer_passage_match`: some passage of the prediction's `context` (a list of
/// strings, or one string) contains some reference answer as a run of normalized tokens.
///
/// ```
/// use dspy_core::example::{Example, Prediction};
/// use dspy_optimize::metrics::answer_passage_match;
/// use serde_json::json;
/// let ex = Example::new().with("answer", "Eiffel Tower");
/// let pred = Prediction::new(json!({"context": ["The Eiffel tower is in Paris."]}).as_object().unwrap().clone());
/// assert!(answer_passage_match(&ex, &pred));
/// ```
pub fn answer_passage_match(example: &Example, prediction: &Prediction) -> bool {
    let passages: Vec<String> = match prediction.get("context") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let refs: Vec<Vec<String>> = answers(example)
        .iter()
        .map(|a| {
            normalize_text(a)
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|t| !t.is_empty())
        .collect();
    passages.iter().any(|p| {
        let text = normalize_text(p);
        let tokens: Vec<&str> = text.split_whitespace().collect();
        refs.iter().any(|a| {
            tokens
                .windows(a.len())
                .any(|w| w.iter().zip(a).all(|(x, y)| *x == y))
        })
    })
}
