//! `BestOfN`: thresholds, rollouts, failures, traces and names.

use super::*;

// ---------------------------------------------------------------------------------------------
// BestOfN

#[tokio::test]
async fn best_of_n_stops_at_the_threshold_with_fresh_rollouts() {
    let lm = answers(&["The city of Brussels", "Paris", "Brussels", "unused"]);
    let best = BestOfN::new(qa(), 5, exact_brussels(), 1.0);
    let pred = settings::with_lm(lm.clone(), best.forward(question("Capital of Belgium?")))
        .await
        .unwrap();
    assert_eq!(pred.get_str("answer"), Some("Brussels"));
    assert_eq!(
        rollouts(&lm),
        [
            (Some(0), Some(1.0)),
            (Some(1), Some(1.0)),
            (Some(2), Some(1.0))
        ],
        "one call per attempt until the threshold, rollout ids 0, 1, 2 at temperature 1.0"
    );
}

#[tokio::test]
async fn best_of_n_returns_the_best_attempt_and_traces_only_it() {
    let lm = answers(&["ok", "best", "good"]);
    let score = |_: &Values, p: &Prediction| match p.get_str("answer") {
        Some("best") => 0.9,
        Some("good") => 0.5,
        _ => 0.2,
    };
    let mut best = BestOfN::new(qa(), 3, score, 1.0);
    best.set_lm(lm.clone());
    let inner_id = best.named_predictors()[0].1.id();
    let (pred, entries) = trace::with_trace(best.forward(question("?"))).await;
    assert_eq!(pred.unwrap().get_str("answer"), Some("best"));
    assert_eq!(lm.calls(), 3, "below the threshold every attempt runs");
    assert_eq!(
        entries.len(),
        1,
        "only the best attempt is traced: {entries:?}"
    );
    assert_eq!(entries[0].prediction.get_str("answer"), Some("best"));
    assert_eq!(
        entries[0].predictor, inner_id,
        "the copy's call is named by the module's own predictor"
    );
    assert_eq!(
        best.predictor_name(entries[0].predictor).as_deref(),
        Some("module")
    );
}

#[tokio::test]
async fn best_of_n_lets_call_settings_win_and_wraps_each_predictor_lm() {
    let own = answers(&["a", "b"]);
    let scoped = answers(&["unused"]);
    let predict = qa()
        .with_lm(own.clone())
        .with_config(LmConfig::default().temperature(0.3));
    let best = BestOfN::new(predict, 2, |_: &Values, _: &Prediction| 0.0, 1.0).rollout_start(7);
    settings::with_lm(scoped.clone(), best.forward(question("?")))
        .await
        .unwrap();
    assert_eq!(rollouts(&own), [(Some(7), Some(0.3)), (Some(8), Some(0.3))]);
    assert_eq!(
        scoped.calls(),
        0,
        "the predictor's own LM is the one wrapped"
    );
    assert!(best
        .module()
        .lm()
        .is_some_and(|lm| Arc::ptr_eq(lm, &(own as SharedLm))));
}

#[tokio::test]
async fn best_of_n_needs_an_lm() {
    let best = BestOfN::new(qa(), 2, |_: &Values, _: &Prediction| 1.0, 1.0);
    let err = best.forward(question("?")).await.unwrap_err();
    assert!(matches!(err, Error::NoLm), "{err}");
}

/// An LM that fails the calls whose plan entry is `None` and answers the others.
fn planned(plan: &[Option<&str>]) -> Arc<ScriptedLm> {
    Arc::new(ScriptedLm::from_results(plan.iter().map(|a| match a {
        Some(a) => Ok(format!("[[ ## answer ## ]]\n{a}\n\n[[ ## completed ## ]]")),
        None => Err(LmError::config("boom")),
    })))
}

async fn run_planned(
    plan: &[Option<&str>],
    n: usize,
    fail_count: Option<usize>,
) -> (Result<Prediction, Error>, usize) {
    let lm = planned(plan);
    let ok = |_: &Values, p: &Prediction| p.get_str("answer") == Some("ok");
    let mut best = BestOfN::new(qa(), n, ok, 1.0);
    if let Some(c) = fail_count {
        best = best.fail_count(c);
    }
    let out = settings::with_lm(lm.clone(), best.forward(question("?"))).await;
    (out, lm.calls())
}

#[tokio::test]
async fn best_of_n_counts_failures_as_dspy_does() {
    // Each case was run against DSPy 3.4.1 (`if idx > self.fail_count: raise` then
    // `self.fail_count -= 1`): what it raised or returned and how many LM calls it made.
    let (out, calls) = run_planned(&[None; 5], 3, None).await;
    assert!(
        matches!(out, Err(Error::Lm(_))),
        "fail_count = N = 3 raises the third failure"
    );
    assert_eq!(calls, 3);

    let (out, calls) = run_planned(&[None; 5], 3, Some(1)).await;
    assert!(
        matches!(out, Err(Error::Lm(_))),
        "fail_count = 1 raises the second failure"
    );
    assert_eq!(calls, 2);

    let (out, calls) = run_planned(&[None; 5], 2, None).await;
    assert!(
        matches!(
            &out,
            Err(Error::AllAttemptsFailed {
                attempts: 2,
                last: Some(_)
            })
        ),
        "DSPy returns None here: {out:?}"
    );
    assert_eq!(calls, 2);

    let (out, calls) = run_planned(&[None, Some("no"), Some("ok")], 3, None).await;
    assert_eq!(out.unwrap().get_str("answer"), Some("ok"));
    assert_eq!(calls, 3);

    let (out, calls) = run_planned(&[None; 6], 5, Some(2)).await;
    assert!(matches!(out, Err(Error::Lm(_))));
    assert_eq!(calls, 3);

    let (out, calls) = run_planned(&[None; 6], 3, Some(0)).await;
    assert!(
        matches!(out, Err(Error::Lm(_))),
        "fail_count 0 means N, as `fail_count or N`"
    );
    assert_eq!(calls, 3);
}

#[tokio::test]
async fn a_failing_reward_counts_as_a_failed_attempt() {
    let lm = answers(&["bad", "Brussels"]);
    let reward = reward_fn(|_, p| match p.get_str("answer") {
        Some("bad") => Err(Error::custom("cannot score")),
        _ => Ok(1.0),
    });
    let best = BestOfN::new(qa(), 2, reward, 1.0);
    let pred = settings::with_lm(lm.clone(), best.forward(question("?")))
        .await
        .unwrap();
    assert_eq!(pred.get_str("answer"), Some("Brussels"));
    assert_eq!(lm.calls(), 2);
}

// ---------------------------------------------------------------------------------------------
// Names: optimizers and save/load see the inner predictors under DSPy's names.

#[test]
fn composite_modules_name_their_predictors_as_dspy() {
    let score = |_: &Values, _: &Prediction| 1.0;
    assert_eq!(names(&BestOfN::new(qa(), 3, score, 1.0)), ["module"]);
    let cot = ChainOfThought::parse("q -> a").unwrap();
    assert_eq!(names(&Refine::new(cot, 3, score, 1.0)), ["module.predict"]);
    let nested = BestOfN::new(BestOfN::new(qa(), 2, score, 1.0), 3, score, 1.0);
    assert_eq!(names(&nested), ["module.module"]);

    // What `#[module]` does with a field `best: BestOfN<Predict>`.
    let best = BestOfN::new(qa(), 3, score, 1.0);
    let mut out = Vec::new();
    best.collect_predictors("best", &mut out);
    assert_eq!(out[0].0, "best.module");
    let mut out = Vec::new();
    let parallel = Parallel::new();
    parallel.collect_predictors("parallel", &mut out);
    assert!(out.is_empty());

    let state = best.dump_state();
    assert!(state.get("module").is_some(), "{state}");
}

#[tokio::test]
async fn nested_best_of_n_traces_the_outer_module_predictors() {
    let lm = answers(&["a", "b", "c", "d"]);
    let score = |_: &Values, _: &Prediction| 0.5;
    let mut nested = BestOfN::new(BestOfN::new(qa(), 2, score, 1.0), 2, score, 1.0);
    nested.set_lm(lm.clone());
    let (pred, entries) = trace::with_trace(nested.forward(question("?"))).await;
    assert_eq!(pred.unwrap().get_str("answer"), Some("a"));
    assert_eq!(lm.calls(), 4);
    assert_eq!(entries.len(), 1);
    assert_eq!(
        nested.predictor_name(entries[0].predictor).as_deref(),
        Some("module.module")
    );
}
