//! The global `settings::configure_num_threads` / `configure_max_errors` reach the optimizers
//! that set none of their own (BootstrapFewShot, random search and the evaluations it runs),
//! and an optimizer's own setting wins.
//!
//! Settings are process-global and the tests of one binary run on parallel threads, so every
//! test here takes [`LOCK`] first and starts from the defaults (this binary holds only such
//! tests).

mod support;

use std::sync::Arc;

use dspy_core::lm::{LmError, LmResponse, SharedLm};
use dspy_core::{settings, Error};
use dspy_optimize::{BootstrapFewShot, BootstrapFewShotWithRandomSearch, Optimizer};
use dspy_testkit::{ConcurrencyProbe, ScriptedLm};
use support::*;
use tokio::sync::{Mutex, MutexGuard};

/// An async lock: it is held across awaits, and a test that panics holding it does not poison
/// it for the others.
static LOCK: Mutex<()> = Mutex::const_new(());

async fn exclusive() -> MutexGuard<'static, ()> {
    let guard = LOCK.lock().await;
    settings::clear_lm();
    settings::configure_num_threads(8);
    settings::configure_max_errors(10);
    guard
}

fn failing() -> SharedLm {
    Arc::new(ScriptedLm::from_response_fn(|_| {
        Err(LmError::config("down"))
    }))
}

fn limit_of(err: &Error) -> Option<(usize, usize)> {
    match err {
        Error::TooManyErrors {
            errors, max_errors, ..
        } => Some((*errors, *max_errors)),
        _ => None,
    }
}

#[tokio::test]
async fn bootstrap_takes_the_global_thread_count_unless_given_one() {
    let _g = exclusive().await;
    let train = dataset(0, 2);
    // No metric and as many demos wanted as examples: every example is needed, so the number
    // run at once is the thread count.
    let optimizer = BootstrapFewShot::new()
        .max_bootstrapped_demos(train.len())
        .max_labeled_demos(0);
    for (global, own, expected) in [(3, None, 3), (1, None, 1), (2, Some(4), 4)] {
        settings::configure_num_threads(global);
        let (_, oracle_lm) = lm();
        let peak = ConcurrencyProbe::new(oracle_lm);
        let mut optimizer = optimizer.clone();
        if let Some(n) = own {
            optimizer = optimizer.num_threads(n);
        }
        let compiled = settings::with_lm(
            peak.clone(),
            optimizer.compile_with_report(&student(), &train, None),
        )
        .await
        .unwrap();
        assert_eq!(compiled.report.bootstrapped, train.len());
        assert_eq!(peak.peak(), expected, "global {global}, own {own:?}");
    }
}

#[tokio::test]
async fn bootstrap_takes_the_global_error_limit_unless_given_one() {
    let _g = exclusive().await;
    let train = dataset(0, 2);
    let optimizer = BootstrapFewShot::new().num_threads(1);
    for (global, own, expected) in [(3, None, 3), (1, None, 1), (3, Some(5), 5)] {
        settings::configure_max_errors(global);
        let mut optimizer = optimizer.clone();
        if let Some(n) = own {
            optimizer = optimizer.max_errors(n);
        }
        let err = settings::with_lm(failing(), optimizer.compile(&student(), &train, None))
            .await
            .unwrap_err();
        assert_eq!(
            limit_of(&err),
            Some((expected, expected)),
            "global {global}, own {own:?}: {err}"
        );
    }
}

fn search() -> BootstrapFewShotWithRandomSearch {
    BootstrapFewShotWithRandomSearch::new(exact)
        .num_candidate_programs(1)
        .max_bootstrapped_demos(2)
        .max_labeled_demos(2)
        .candidate_concurrency(1)
}

#[tokio::test]
async fn random_search_takes_the_global_thread_count_unless_given_one() {
    let _g = exclusive().await;
    let (train, dev) = (dataset(0, 2), dataset(50, 2));
    // One candidate at a time: the calls in flight are one candidate's bootstrap or
    // evaluation threads.
    for (global, own, expected) in [(3, None, 3), (1, None, 1), (2, Some(4), 4)] {
        settings::configure_num_threads(global);
        let (_, oracle_lm) = lm();
        let peak = ConcurrencyProbe::new(oracle_lm);
        let mut optimizer = search();
        if let Some(n) = own {
            optimizer = optimizer.num_threads(n);
        }
        settings::with_lm(
            peak.clone(),
            optimizer.compile(&student(), &train, Some(&dev)),
        )
        .await
        .unwrap();
        assert_eq!(peak.peak(), expected, "global {global}, own {own:?}");
    }
}

#[tokio::test]
async fn random_search_takes_the_global_error_limit_unless_given_one() {
    let _g = exclusive().await;
    let (train, dev) = (dataset(0, 2), dataset(50, 2));
    for (global, own, expected) in [(3, None, 3), (2, None, 2), (3, Some(4), 4)] {
        settings::configure_max_errors(global);
        let mut optimizer = search().num_threads(1);
        if let Some(n) = own {
            optimizer = optimizer.max_errors(n);
        }
        // Every candidate fails, in its evaluation (zero-shot, labeled-only) or its bootstrap
        // (the others), each at the limit; the compile returns the last error.
        let err = settings::with_lm(failing(), optimizer.compile(&student(), &train, Some(&dev)))
            .await
            .unwrap_err();
        assert_eq!(
            limit_of(&err),
            Some((expected, expected)),
            "global {global}, own {own:?}: {err}"
        );
    }
    // The evaluations' limit: the zero-shot candidate's error names it.
    settings::configure_max_errors(2);
    let lm = Arc::new(ScriptedLm::from_response_fn(|r| {
        let demos = r
            .messages
            .iter()
            .filter(|m| m.role == dspy_core::adapters::Role::Assistant)
            .count();
        if demos == 0 {
            return Err(LmError::config("no demos, no answer"));
        }
        Ok(LmResponse::text("oracle", oracle(r)))
    }));
    let compiled = settings::with_lm(
        lm,
        search()
            .num_threads(1)
            .compile_with_report(&student(), &train, Some(&dev)),
    )
    .await
    .unwrap();
    let error = compiled.report.candidates[0].error.as_deref().unwrap_or("");
    assert!(error.contains("after 2 errors (max_errors = 2)"), "{error}");
}
