//! [`EvaluationResult`]: the score and the per-example rows of one evaluation.

use std::fmt;

use serde_json::Value;

use super::Score;
use crate::example::{Example, Prediction};

/// One example's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationRow {
    /// The example.
    pub example: Example,
    /// The program's prediction (empty when the call failed).
    pub prediction: Prediction,
    /// The metric's score (the failure score when the call or the metric failed).
    pub score: Score,
    /// Why the example failed, if it did.
    pub error: Option<String>,
}

/// The outcome of [`Evaluate::run`](super::Evaluate::run) (DSPy's `EvaluationResult`).
///
/// ```
/// use dspy_core::evaluate::EvaluationResult;
/// let r = EvaluationResult { score: 66.67, results: Vec::new() };
/// assert_eq!(r.to_string(), "EvaluationResult(score=66.67, results=<list of 0 results>)");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationResult {
    /// Mean score as a percentage (0–100), rounded to 2 decimals.
    pub score: f64,
    /// One row per example, in dataset order.
    pub results: Vec<EvaluationRow>,
}

impl fmt::Display for EvaluationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EvaluationResult(score={}, results=<list of {} results>)",
            self.score,
            self.results.len()
        )
    }
}

/// Widest a table cell gets before it is cut with `...`.
const MAX_CELL: usize = 40;

impl EvaluationResult {
    /// The result of these rows: their mean score as a percentage, rounded like Python's
    /// `round(x, 2)` (0 for no rows).
    pub fn of(results: Vec<EvaluationRow>) -> EvaluationResult {
        let total: f64 = results.iter().map(|r| r.score.value).sum();
        let score = if results.is_empty() {
            0.0
        } else {
            super::round2(100.0 * total / results.len() as f64)
        };
        EvaluationResult { score, results }
    }

    /// A plain-text table of the first `rows` results: the example's fields, the prediction's
    /// fields (a name both have gets an `example_` / `pred_` prefix) and the score.
    ///
    /// ```
    /// use dspy_core::evaluate::{EvaluationResult, EvaluationRow, Score};
    /// use dspy_core::example::{Example, Prediction};
    ///
    /// let row = EvaluationRow {
    ///     example: Example::new().with("question", "2+2?").with("answer", "4"),
    ///     prediction: Prediction::new(serde_json::json!({"answer": "4"}).as_object().unwrap().clone()),
    ///     score: Score::from(true),
    ///     error: None,
    /// };
    /// let table = EvaluationResult { score: 100.0, results: vec![row] }.table(5);
    /// assert!(table.lines().next().unwrap().contains("example_answer"));
    /// assert!(table.contains("✔️ [1.000]"));
    /// ```
    pub fn table(&self, rows: usize) -> String {
        let shown = &self.results[..rows.min(self.results.len())];
        let mut example_keys: Vec<&str> = Vec::new();
        let mut pred_keys: Vec<&str> = Vec::new();
        for row in shown {
            for k in row.example.keys() {
                if !example_keys.contains(&k) {
                    example_keys.push(k);
                }
            }
            for k in row.prediction.keys() {
                if !pred_keys.contains(&k) {
                    pred_keys.push(k);
                }
            }
        }
        let mut header = vec![String::new()];
        header.extend(example_keys.iter().map(|k| {
            if pred_keys.contains(k) {
                format!("example_{k}")
            } else {
                k.to_string()
            }
        }));
        header.extend(pred_keys.iter().map(|k| {
            if example_keys.contains(k) {
                format!("pred_{k}")
            } else {
                k.to_string()
            }
        }));
        header.push("score".to_string());

        let mut table = vec![header];
        for (i, row) in shown.iter().enumerate() {
            let mut line = vec![i.to_string()];
            line.extend(example_keys.iter().map(|k| cell(row.example.get(k))));
            line.extend(pred_keys.iter().map(|k| cell(row.prediction.get(k))));
            let mark = if row.score.value > 0.0 { "✔️ " } else { "" };
            line.push(format!("{mark}[{:.3}]", row.score.value));
            table.push(line);
        }

        let columns = table[0].len();
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                table
                    .iter()
                    .map(|r| r[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for line in &table {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            out.push_str(cells.join(" | ").trim_end());
            out.push('\n');
        }
        if self.results.len() > shown.len() {
            out.push_str(&format!(
                "... {} more rows not displayed ...\n",
                self.results.len() - shown.len()
            ));
        }
        out
    }
}

/// A value as one short table cell.
fn cell(value: Option<&Value>) -> String {
    let text = match value {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > MAX_CELL {
        let cut: String = flat.chars().take(MAX_CELL - 3).collect();
        format!("{cut}...")
    } else {
        flat
    }
}
