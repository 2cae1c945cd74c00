//! Reading what the Python recorders wrote: fixtures and question/answer data sets.

use dspy_core::evaluate::metric_fn;
use dspy_core::example::{Example, Prediction};
use serde_json::Value;

/// `tests/fixtures/{folder}/{name}.json`, checked to come from DSPy 3.4.1.
pub fn fixture(folder: &str, name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/{folder}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let value: Value = serde_json::from_str(&text).expect("fixture is JSON");
    assert_eq!(value["dspy_version"], "3.4.1", "{path}");
    value
}

/// A data set of `{"question", "answer"}` rows as examples with input `question`.
pub fn qa_examples(json: &str) -> Vec<Example> {
    qa_rows(&serde_json::from_str(json).expect("data set is JSON"))
}

/// A JSON array of `{"question", "answer"}` rows (as fixtures hold them) as examples with
/// input `question`.
pub fn qa_rows(rows: &Value) -> Vec<Example> {
    rows.as_array()
        .expect("rows are an array")
        .iter()
        .map(|r| {
            Example::new()
                .with("question", r["question"].clone())
                .with("answer", r["answer"].clone())
                .with_inputs(["question"])
        })
        .collect()
}

/// Exact match on `answer`, the metric the recorders use.
pub fn exact_answer() -> impl dspy_core::Metric + Clone + 'static {
    metric_fn(|ex: &Example, pred: &Prediction| ex.get("answer") == pred.get("answer"))
}
