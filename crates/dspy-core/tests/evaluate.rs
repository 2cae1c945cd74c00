//! `Evaluate`: the percentage score, per-example rows, failure scores and the error limit.

mod support;

use dspy_core::evaluate::{metric_fn, Evaluate, Score};
use dspy_core::lm::LmError;
use dspy_core::predict::Predict;
use dspy_core::{Error, Example};
use support::{chat, Scripted};

fn devset() -> Vec<Example> {
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

/// Answers each question with its upper-case form; fails on questions starting with `!`.
fn upper_lm() -> std::sync::Arc<Scripted> {
    Scripted::answering("upper", |request| {
        let user = support::last_user(request);
        let question = user.lines().nth(1).unwrap_or_default().to_string();
        if question.starts_with('!') {
            return Err(LmError::config("refused"));
        }
        Ok(vec![chat(&[("answer", &question.to_uppercase())])])
    })
}

#[tokio::test]
async fn scores_are_a_rounded_percentage_with_rows_in_order() {
    let program = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(upper_lm().shared());
    let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
    let result = Evaluate::new(devset())
        .num_threads(2)
        .display_progress(true)
        .run(&program, &exact)
        .await
        .unwrap();
    assert_eq!(result.score, 66.67);
    let scores: Vec<f64> = result.results.iter().map(|r| r.score.value).collect();
    assert_eq!(scores, [1.0, 1.0, 0.0]);
    assert_eq!(result.results[2].example.get_str("question"), Some("c"));
    assert_eq!(result.results[2].prediction.get_str("answer"), Some("C"));
    assert_eq!(
        result.to_string(),
        "EvaluationResult(score=66.67, results=<list of 3 results>)"
    );
    let table = result.table(2);
    assert_eq!(table.lines().count(), 4, "{table}");
}

#[tokio::test]
async fn float_scores_and_feedback() {
    let program = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(upper_lm().shared());
    let half = metric_fn(|_, _| Score::new(0.5).with_feedback("half marks"));
    let result = Evaluate::new(devset()).run(&program, &half).await.unwrap();
    assert_eq!(result.score, 50.0);
    assert_eq!(
        result.results[0].score.feedback.as_deref(),
        Some("half marks")
    );
}

#[tokio::test]
async fn failures_get_the_failure_score_until_max_errors() {
    let mut data = devset();
    data.push(
        Example::new()
            .with("question", "!x")
            .with("answer", "X")
            .with_inputs(["question"]),
    );
    data.push(Example::new().with("question", "no inputs set"));
    let program = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(upper_lm().shared());
    let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));

    let result = Evaluate::new(data.clone())
        .max_errors(3)
        .failure_score(0.5)
        .run(&program, &exact)
        .await
        .unwrap();
    // (1 + 1 + 0 + 0.5 + 0.5) / 5
    assert_eq!(result.score, 60.0);
    assert!(result.results[3]
        .error
        .as_deref()
        .unwrap()
        .contains("refused"));
    assert!(result.results[4]
        .error
        .as_deref()
        .unwrap()
        .contains("with_inputs"));

    let err = Evaluate::new(data)
        .max_errors(2)
        .num_threads(1)
        .run(&program, &exact)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooManyErrors {
                errors: 2,
                max_errors: 2,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn metric_errors_count_as_failures_and_empty_devsets_are_rejected() {
    let program = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(upper_lm().shared());
    let failing = metric_fn(|_, _| -> Result<bool, Error> { Err(Error::custom("no gold label")) });
    let err = Evaluate::new(devset())
        .max_errors(1)
        .run(&program, &failing)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no gold label"), "{err}");

    let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
    let err = Evaluate::new(Vec::new())
        .run(&program, &exact)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::EmptyDataset));
}
