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

fn questions(qs: &[&str]) -> Vec<Example> {
    qs.iter()
        .map(|q| {
            Example::new()
                .with("question", *q)
                .with("answer", q.to_uppercase())
                .with_inputs(["question"])
        })
        .collect()
}

#[tokio::test]
async fn stopping_at_the_error_limit_returns_the_finished_rows() {
    let program = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(upper_lm().shared());
    let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
    let err = Evaluate::new(questions(&["a", "b", "!x", "c", "!y", "d"]))
        .max_errors(2)
        .num_threads(1)
        .run(&program, &exact)
        .await
        .unwrap_err();
    let Error::TooManyErrors {
        partial: Some(partial),
        ..
    } = err
    else {
        panic!("expected the finished rows with the error: {err}");
    };
    let finished: Vec<&str> = partial
        .results
        .iter()
        .map(|r| r.example.get_str("question").unwrap_or_default())
        .collect();
    assert_eq!(
        finished,
        ["a", "b", "!x", "c"],
        "rows before the second failure"
    );
    assert_eq!(
        partial.results[2]
            .error
            .as_deref()
            .map(|e| e.contains("refused")),
        Some(true)
    );
    assert_eq!(partial.score, 75.0, "3 of the 4 finished rows are right");
}

#[tokio::test]
async fn a_panicking_metric_fails_only_its_example() {
    let program = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(upper_lm().shared());
    let picky = metric_fn(|ex: &Example, pred: &dspy_core::Prediction| {
        if ex.get_str("question") == Some("boom") {
            panic!("metric exploded on {:?}", ex.get_str("question"));
        }
        ex.get("answer") == pred.get("answer")
    });
    let result = Evaluate::new(questions(&["a", "boom", "b"]))
        .num_threads(2)
        .run(&program, &picky)
        .await
        .unwrap();
    let scores: Vec<f64> = result.results.iter().map(|r| r.score.value).collect();
    assert_eq!(scores, [1.0, 0.0, 1.0]);
    let error = result.results[1].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("panicked") && error.contains("metric exploded"),
        "{error}"
    );
}

#[tokio::test]
async fn without_outputs_rows_keep_only_scores_and_errors() {
    let program = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(upper_lm().shared());
    let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
    let result = Evaluate::new(questions(&["a", "!x"]))
        .keep_outputs(false)
        .run(&program, &exact)
        .await
        .unwrap();
    assert_eq!(result.score, 50.0);
    assert!(result
        .results
        .iter()
        .all(|r| r.example.keys().next().is_none()));
    assert!(result
        .results
        .iter()
        .all(|r| r.prediction.keys().next().is_none()));
    assert!(result.results[1].error.is_some());
}

#[tokio::test]
async fn never_more_than_num_threads_in_flight() {
    let probe = dspy_testkit::ConcurrencyProbe::new(upper_lm().shared());
    let program = Predict::parse("question -> answer")
        .unwrap()
        .with_lm(probe.clone());
    let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
    let qs: Vec<String> = (0..40).map(|i| format!("q{i}")).collect();
    let refs: Vec<&str> = qs.iter().map(String::as_str).collect();
    let result = Evaluate::new(questions(&refs))
        .num_threads(3)
        .run(&program, &exact)
        .await
        .unwrap();
    assert_eq!(result.score, 100.0);
    assert_eq!(probe.calls(), 40);
    assert_eq!(
        probe.peak(),
        3,
        "calls overlap, but never more than num_threads"
    );
}
