//! BootstrapFewShotWithRandomSearch and Ensemble on a task only demos teach (see
//! `optimize_support`).

mod support;

use dspy_core::settings;
use dspy_optimize::{majority, BootstrapFewShotWithRandomSearch, Ensemble, Optimizer};
use support::*;

fn search(seed: u64) -> BootstrapFewShotWithRandomSearch {
    BootstrapFewShotWithRandomSearch::new(exact)
        .num_candidate_programs(6)
        .max_bootstrapped_demos(3)
        .max_labeled_demos(3)
        .num_threads(4)
        .seed(seed)
}

#[tokio::test]
async fn random_search_keeps_the_best_candidate() {
    let (_, lm) = lm();
    let (train, dev) = (dataset(0, 4), dataset(50, 3));
    let student = student();
    let before_state = student.dump_state();
    let (before, after, compiled) = settings::with_lm(lm, async {
        let compiled = search(0)
            .compile_with_report(&student, &train, Some(&dev))
            .await
            .unwrap();
        (
            score(&student, &dev).await,
            score(&compiled.program, &dev).await,
            compiled,
        )
    })
    .await;
    println!("random search: {before} -> {after}\n{}", compiled.report);
    let seeds: Vec<i64> = compiled.report.candidates.iter().map(|c| c.seed).collect();
    assert_eq!(seeds, [-3, -2, -1, 0, 1, 2, 3, 4, 5]);
    // The zero-shot candidate scores like the student; the kept one is the best.
    assert_eq!(compiled.report.candidates[0].score, 0.0);
    let best = compiled
        .report
        .candidates
        .iter()
        .map(|c| c.score)
        .fold(0.0, f64::max);
    assert_eq!(after, best);
    assert_eq!(compiled.candidates[0].report.score, best);
    assert_eq!(before, 0.0);
    assert_eq!(after, AFTER_SEARCH);
    assert_eq!(
        student.dump_state(),
        before_state,
        "the student is not changed"
    );
}

const AFTER_SEARCH: f64 = 50.0;

#[tokio::test]
async fn random_search_same_seed_same_program() {
    let (_, lm) = lm();
    let (train, dev) = (dataset(0, 4), dataset(50, 3));
    let student = student();
    let (a, b, others) = settings::with_lm(lm, async {
        let a = search(7)
            .compile(&student, &train, Some(&dev))
            .await
            .unwrap();
        let b = search(7)
            .compile(&student, &train, Some(&dev))
            .await
            .unwrap();
        let mut others = Vec::new();
        for seed in [8, 9, 10] {
            others.push(
                search(seed)
                    .compile(&student, &train, Some(&dev))
                    .await
                    .unwrap(),
            );
        }
        (a, b, others)
    })
    .await;
    assert_eq!(a.dump_state(), b.dump_state());
    assert!(
        others.iter().any(|o| o.dump_state() != a.dump_state()),
        "some other seed picks other demos"
    );
}

#[tokio::test]
async fn random_search_stops_at_score() {
    let (_, lm) = lm();
    let (train, dev) = (dataset(0, 4), dataset(50, 3));
    let compiled = settings::with_lm(lm, async {
        search(0)
            .stop_at_score(1.0)
            .compile_with_report(&student(), &train, Some(&dev))
            .await
            .unwrap()
    })
    .await;
    // The labeled-only candidate (seed -2) already scores above 1%.
    assert_eq!(compiled.report.candidates.len(), 2);
}

#[tokio::test]
async fn ensemble_majority_beats_the_unoptimized_program() {
    let (_, lm) = lm();
    let (train, dev) = (dataset(0, 4), dataset(50, 3));
    let student = student();
    let (before, members, after, top) = settings::with_lm(lm, async {
        let compiled = search(0)
            .compile_with_report(&student, &train, Some(&dev))
            .await
            .unwrap();
        let top: Vec<_> = compiled
            .candidates
            .iter()
            .take(3)
            .map(|c| c.program.clone())
            .collect();
        let ensemble = Ensemble::new(majority("answer")).compile(&top).unwrap();
        let mut members = Vec::new();
        for p in &top {
            members.push(score(p, &dev).await);
        }
        (
            score(&student, &dev).await,
            members,
            score(&ensemble, &dev).await,
            top,
        )
    })
    .await;
    println!("ensemble: {before} -> {after} (members {members:?})");
    assert_eq!(before, 0.0);
    // A member answers a kind right only when one of its demos is of that kind; otherwise it
    // says `unknown`. The majority of three is right where at least two members know the kind.
    let known_by_two = KINDS
        .iter()
        .filter(|kind| {
            top.iter()
                .filter(|p| {
                    p.demos().iter().any(|d| {
                        d.get("question")
                            .and_then(|q| q.as_str())
                            .is_some_and(|q| q.starts_with(&format!("{kind}-")))
                    })
                })
                .count()
                >= 2
        })
        .count();
    let expected = (10_000.0 * known_by_two as f64 / KINDS.len() as f64).round() / 100.0;
    assert_eq!(after, expected);
    assert!(after > before);
}

#[tokio::test]
async fn a_failing_candidate_is_recorded_and_the_others_go_on() {
    use std::sync::Arc;
    // The oracle, except that a prompt without demos is an error: the zero-shot candidate
    // (seed -3) fails its whole evaluation.
    let lm = Arc::new(dspy_testkit::ScriptedLm::from_response_fn(|request| {
        let demos = request
            .messages
            .iter()
            .filter(|m| m.role == dspy_core::adapters::Role::Assistant)
            .count();
        if demos == 0 {
            return Err(dspy_core::lm::LmError::config("no demos, no answer"));
        }
        Ok(dspy_core::lm::LmResponse::text("oracle", oracle(request)))
    }));
    let (train, dev) = (dataset(0, 4), dataset(50, 3));
    let compiled = settings::with_lm(lm, async {
        search(0)
            .max_errors(2)
            .compile_with_report(&student(), &train, Some(&dev))
            .await
            .unwrap()
    })
    .await;
    let zero_shot = &compiled.report.candidates[0];
    assert_eq!(zero_shot.seed, -3);
    assert!(zero_shot.score.is_nan());
    assert!(
        zero_shot
            .error
            .as_deref()
            .is_some_and(|e| e.contains("no demos")),
        "{zero_shot:?}"
    );
    assert_eq!(
        compiled.report.candidates.len(),
        9,
        "the other candidates still ran"
    );
    assert!(compiled.report.candidates[1..]
        .iter()
        .all(|c| c.error.is_none()));
    assert!(
        !compiled.program.demos().is_empty(),
        "a built candidate was kept"
    );
}

#[tokio::test]
async fn a_nan_score_never_wins() {
    // The metric is NaN for one dev example whenever it is answered right, so every candidate
    // that knows its kind scores NaN; only candidates that do not know it have a real score.
    let nan_metric = dspy_core::evaluate::metric_fn(
        |ex: &dspy_core::Example, pred: &dspy_core::Prediction| -> f64 {
            let right = ex.get("answer") == pred.get("answer");
            if right && ex.get_str("question") == Some("amber-50") {
                f64::NAN
            } else if right {
                1.0
            } else {
                0.0
            }
        },
    );
    let (_, lm) = lm();
    let (train, dev) = (dataset(0, 4), dataset(50, 3));
    let compiled = settings::with_lm(lm, async {
        BootstrapFewShotWithRandomSearch::new(nan_metric)
            .num_candidate_programs(6)
            .max_bootstrapped_demos(3)
            .max_labeled_demos(3)
            .compile_with_report(&student(), &train, Some(&dev))
            .await
            .unwrap()
    })
    .await;
    let scores: Vec<f64> = compiled.report.candidates.iter().map(|c| c.score).collect();
    assert!(
        scores.iter().any(|s| s.is_nan()),
        "some candidate knows amber: {scores:?}"
    );
    let best = &compiled.candidates[0].report;
    assert!(
        !best.score.is_nan(),
        "the kept candidate has a real score: {scores:?}"
    );
    let real_max = scores
        .iter()
        .filter(|s| !s.is_nan())
        .cloned()
        .fold(f64::MIN, f64::max);
    assert_eq!(best.score, real_max);
    assert_eq!(
        compiled.program.demos(),
        compiled.candidates[0].program.demos()
    );
}
