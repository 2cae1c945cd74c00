//! `Evaluate`'s result table: `EvaluationResult::table` and the table `display_table` prints.
//!
//! The expected tables are written out by hand from the documented layout: a row number, the
//! example's fields, the prediction's fields (`example_` / `pred_` before a name both have),
//! the score as `[x.xxx]` with `✔️ ` when positive; cells of at most 40 characters (longer ones
//! cut to 37 and `...`), control characters as spaces, non-strings as JSON; columns padded to
//! their widest cell, joined with ` | `, lines right-trimmed.

mod support;

use dspy_core::evaluate::{metric_fn, Evaluate, EvaluationResult, EvaluationRow, Score};
use dspy_core::example::{Example, Prediction};
use dspy_core::predict::Predict;
use serde_json::json;
use support::{chat, Scripted};

fn prediction(v: serde_json::Value) -> Prediction {
    Prediction::new(v.as_object().cloned().unwrap_or_default())
}

fn rows() -> Vec<EvaluationRow> {
    vec![
        EvaluationRow {
            example: Example::new().with("question", "2+2?").with("answer", "4"),
            prediction: prediction(json!({"answer": "4"})),
            score: Score::new(1.0),
            error: None,
        },
        EvaluationRow {
            example: Example::new()
                .with("question", "line1\nline2")
                .with("answer", "5"),
            prediction: prediction(json!({"answer": "x".repeat(50), "confidence": 0.5})),
            score: Score::new(0.0),
            error: None,
        },
        EvaluationRow {
            example: Example::new()
                .with("question", "q3")
                .with("answer", "7")
                .with("tags", json!(["a", "b"])),
            prediction: Prediction::default(),
            score: Score::new(0.25),
            error: Some("the LM refused".into()),
        },
    ]
}

#[test]
fn the_first_rows_and_a_note_on_the_rest() {
    let result = EvaluationResult::of(rows());
    assert_eq!(result.score, 41.67);
    let expected = "  | question    | example_answer | pred_answer                              | confidence | score\n\
                    0 | 2+2?        | 4              | 4                                        |            | ✔️ [1.000]\n\
                    1 | line1 line2 | 5              | xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... | 0.5        | [0.000]\n\
                    ... 1 more rows not displayed ...\n";
    assert_eq!(result.table(2), expected);
}

#[test]
fn every_row_when_asked_for_more_than_there_are() {
    let result = EvaluationResult::of(rows());
    // Row 2's `tags` adds a column; its empty prediction leaves the prediction cells empty.
    let expected = "  | question    | example_answer | tags      | pred_answer                              | confidence | score\n\
                    0 | 2+2?        | 4              |           | 4                                        |            | ✔️ [1.000]\n\
                    1 | line1 line2 | 5              |           | xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... | 0.5        | [0.000]\n\
                    2 | q3          | 7              | [\"a\",\"b\"] |                                          |            | ✔️ [0.250]\n";
    assert_eq!(result.table(10), expected);
    assert_eq!(result.table(3), expected);
}

#[test]
fn no_rows_is_a_header_of_the_score_only() {
    let result = EvaluationResult::of(rows());
    assert_eq!(
        result.table(0),
        " | score\n... 3 more rows not displayed ...\n"
    );
    assert_eq!(EvaluationResult::of(Vec::new()).table(5), " | score\n");
}

#[test]
fn a_cell_of_exactly_forty_characters_is_kept_whole() {
    let row = |answer: String| EvaluationRow {
        example: Example::new().with("q", "é"),
        prediction: prediction(json!({ "answer": answer })),
        score: Score::new(1.0),
        error: None,
    };
    let forty = "é".repeat(40);
    let table = EvaluationResult::of(vec![row(forty.clone())]).table(1);
    assert_eq!(
        table.lines().nth(1),
        Some(format!("0 | é | {forty} | ✔️ [1.000]").as_str())
    );
    let cut = EvaluationResult::of(vec![row("é".repeat(41))]).table(1);
    let expected = format!("0 | é | {}... | ✔️ [1.000]", "é".repeat(37));
    assert_eq!(cut.lines().nth(1), Some(expected.as_str()));
}

/// The table `display_table(2)` prints for [`upper_devset`] (what `upper` LM answers).
const DISPLAYED: &str = "  | question | example_answer | pred_answer | score\n\
                         0 | a        | A              | A           | ✔️ [1.000]\n\
                         1 | b        | B              | B           | ✔️ [1.000]\n\
                         ... 1 more rows not displayed ...\n";

fn upper_devset() -> Vec<Example> {
    [("a", "A"), ("b", "B"), ("c", "wrong")]
        .iter()
        .map(|(q, a)| {
            Example::new()
                .with("question", *q)
                .with("answer", *a)
                .with_inputs(["question"])
        })
        .collect()
}

async fn evaluate_upper(display: Option<usize>) -> EvaluationResult {
    let lm = Scripted::answering("upper", |request| {
        let question = support::last_user(request)
            .lines()
            .nth(1)
            .unwrap_or_default()
            .to_uppercase();
        Ok(vec![chat(&[("answer", &question)])])
    });
    let program = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(lm.shared());
    let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
    let mut evaluate = Evaluate::new(upper_devset()).num_threads(2);
    if let Some(rows) = display {
        evaluate = evaluate.display_table(rows);
    }
    evaluate.run(&program, &exact).await.unwrap()
}

/// Set in the child process [`display_table_prints_the_table_to_stdout`] starts.
const CHILD: &str = "DSPY_EVALUATE_TABLE_CHILD";

/// Printed by the child between its evaluation without a table and the one with.
const MARK: &str = "-- display_table(2) from here --";

/// Runs only as that child: evaluates without `display_table`, prints [`MARK`], then
/// evaluates with `display_table(2)`, which prints the table to stdout.
#[tokio::test]
async fn child_prints_the_table() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let quiet = evaluate_upper(None).await;
    println!("{MARK}");
    let shown = evaluate_upper(Some(2)).await;
    assert_eq!(quiet, shown);
    assert_eq!(shown.table(2), DISPLAYED);
}

#[tokio::test]
async fn display_table_prints_the_table_to_stdout() {
    // libtest captures a test's `println!`, so the printing run is this binary run again, as a
    // child with only that test and `--nocapture`.
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["child_prints_the_table", "--exact", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("test child_prints_the_table ... ok"),
        "the child ran the test: {stdout}"
    );
    let (before, after) = stdout.split_once(MARK).expect("the child's mark");
    // Without `display_table` nothing is printed; with it, `println!("{}", table)`: the table
    // and one more newline.
    assert!(!before.contains("pred_answer"), "{before}");
    assert!(after.contains(&format!("{DISPLAYED}\n")), "{after}");
    assert_eq!(after.matches("more rows not displayed").count(), 1);
}
