//! GEPA makes Python DSPy 3.4.1's choices: the fixtures recorded by
//! `scripts/record_gepa_fixtures.py` (the same deterministic world: a task LM and a reflection
//! LM that are pure functions of their prompts, a metric with feedback) are replayed here, and
//! every iteration (parent, components, minibatch, scores, outcome), every reflection prompt,
//! the candidate pool and the metric-call count must match.

use std::sync::Arc;

use dspy_core::adapters::AdapterKind;
use dspy_core::evaluate::feedback_fn;
use dspy_core::lm::SharedLm;
use dspy_core::module::Module;
use dspy_core::predict::Predict;
use dspy_core::settings;
use dspy_optimize::gepa::{Budget, ComponentSelection, Gepa, IterationOutcome};
use dspy_testkit::ScriptedLm;
use serde_json::Value;

use dspy_testkit::keyword_world::{score, task_reply, two_step, Reflection};

mod support;

fn fixture(name: &str) -> Value {
    support::recorded::fixture("gepa", name)
}

fn outcome_name(outcome: IterationOutcome, merge: bool) -> &'static str {
    match (outcome, merge) {
        (IterationOutcome::Accepted, _) => "accepted",
        (IterationOutcome::Rejected, false) => "rejected",
        (IterationOutcome::Rejected, true) => "merge rejected",
        (IterationOutcome::Skipped, _) => "skipped",
        (IterationOutcome::NothingProposed, _) => "nothing proposed",
    }
}

async fn replay<P: Module + Clone>(name: &str, student: P) {
    let case = fixture(name);
    let config = &case["config"];
    let task = Arc::new(ScriptedLm::from_fn(task_reply));
    let rule = Reflection {
        keywords: serde_json::from_value(config["keywords"].clone()).unwrap(),
        min_mentions: config["min_mentions"].as_u64().unwrap() as usize,
        replace: config["replace"].as_bool().unwrap_or(false),
    };
    let reflection = Arc::new(ScriptedLm::from_fn(move |request| rule.reply(request)));
    let metric =
        feedback_fn(|example, prediction, _trace, predictor| score(example, prediction, predictor));
    let mut gepa = Gepa::new(
        metric,
        Budget::MaxMetricCalls(config["max_metric_calls"].as_u64().unwrap() as usize),
    )
    .reflection_lm(reflection.clone() as SharedLm)
    .seed(config["seed"].as_u64().unwrap());
    gepa.use_merge = config["use_merge"].as_bool().unwrap();
    gepa.num_threads = Some(1);
    if config["component_selector"] == "all" {
        gepa.component_selection = ComponentSelection::All;
    }
    let trainset = support::recorded::qa_rows(&case["trainset"]);
    let valset = support::recorded::qa_rows(&case["valset"]);
    let task_lm: SharedLm = task.clone();
    let result = settings::with_lm(task_lm, async {
        settings::with_adapter(AdapterKind::Chat, async {
            gepa.run(&student, &trainset, Some(&valset)).await
        })
        .await
    })
    .await
    .unwrap();

    // Every reflection prompt, byte for byte.
    let calls = reflection.requests();
    let want_calls = case["reflection_calls"].as_array().unwrap();
    for (k, (got, want)) in calls.iter().zip(want_calls).enumerate() {
        let want_messages = want["messages"].as_array().unwrap();
        assert_eq!(
            got.messages.len(),
            want_messages.len(),
            "{name}: reflection call {k}"
        );
        for (m, w) in got.messages.iter().zip(want_messages) {
            assert_eq!(
                m.role.as_str(),
                w["role"].as_str().unwrap(),
                "{name}: reflection call {k}"
            );
            let want_content = w["content"].as_str().unwrap();
            if m.content != want_content {
                let diff = similar_lines(&m.content, want_content);
                panic!("{name}: reflection call {k} differs:\n{diff}");
            }
        }
    }

    assert_eq!(calls.len(), want_calls.len(), "{name}: reflection calls");

    // Every iteration, in order.
    let want = case["iterations"].as_array().unwrap();
    for (got, want) in result.iterations.iter().zip(want) {
        let at = format!("{name}, iteration {}", want["iteration"]);
        assert_eq!(
            got.iteration + 1,
            want["iteration"].as_u64().unwrap() as usize,
            "{at}"
        );
        if want["kind"] == "merge" {
            assert!(got.merge, "{at}: a merge");
            let parents: Vec<usize> =
                serde_json::from_value(want["merge_parents"].clone()).unwrap();
            assert_eq!(got.parents, parents, "{at}: merged candidates");
            let run_log = &want["gepa_run_log"];
            let ids: Vec<usize> = serde_json::from_value(run_log["subsample_ids"].clone()).unwrap();
            assert_eq!(got.examples, ids, "{at}: merge subsample");
            assert_eq!(
                got.ancestor,
                run_log["merged_entities"][2].as_u64().map(|a| a as usize),
                "{at}"
            );
            let scores: Vec<f64> =
                serde_json::from_value(want["merged_subsample_scores"].clone()).unwrap();
            assert_eq!(got.child_scores, scores, "{at}");
        } else {
            assert!(!got.merge, "{at}: a reflection");
            assert_eq!(
                got.parents,
                [want["parent"].as_u64().unwrap() as usize],
                "{at}: parent"
            );
            let ids: Vec<usize> = serde_json::from_value(want["minibatch_ids"].clone()).unwrap();
            assert_eq!(got.examples, ids, "{at}: minibatch");
            let scores: Vec<f64> =
                serde_json::from_value(want["parent_minibatch_scores"].clone()).unwrap();
            assert_eq!(got.parent_scores, scores, "{at}: parent scores");
            let components: Vec<String> = serde_json::from_value(
                want.get("components")
                    .cloned()
                    .unwrap_or(Value::Array(vec![])),
            )
            .unwrap();
            assert_eq!(got.components, components, "{at}: components");
            let child: Vec<f64> = serde_json::from_value(
                want.get("child_minibatch_scores")
                    .cloned()
                    .unwrap_or(Value::Array(vec![])),
            )
            .unwrap();
            assert_eq!(got.child_scores, child, "{at}: child scores");
        }
        let outcome = want["outcome"].as_str().unwrap_or("nothing proposed");
        let outcome = if outcome.starts_with("skipped") {
            "skipped"
        } else {
            outcome
        };
        assert_eq!(
            outcome_name(got.outcome, got.merge),
            outcome,
            "{at}: outcome"
        );
        assert_eq!(
            got.candidate,
            want["new_candidate_idx"].as_u64().map(|c| c as usize),
            "{at}: new candidate"
        );
        assert_eq!(
            got.metric_calls,
            want["metric_calls_after"].as_u64().unwrap() as usize,
            "{at}: metric calls"
        );
    }

    assert_eq!(result.iterations.len(), want.len(), "{name}: iterations");

    // The pool, the winner and the budget used.
    let candidates = case["candidates"].as_array().unwrap();
    assert_eq!(
        result.candidates.len(),
        candidates.len(),
        "{name}: candidates"
    );
    for (k, (got, want)) in result.candidates.iter().zip(candidates).enumerate() {
        for (component, text) in &got.instructions {
            assert_eq!(
                Some(text.as_str()),
                want[component].as_str(),
                "{name}: candidate {k}, {component}"
            );
        }
        let parents: Vec<usize> = case["parents"][k]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_u64)
            .map(|p| p as usize)
            .collect();
        assert_eq!(got.parents, parents, "{name}: candidate {k} parents");
        assert_eq!(
            got.average,
            case["val_aggregate_scores"][k].as_f64().unwrap(),
            "{name}: candidate {k} average"
        );
    }
    assert_eq!(
        result.best,
        case["best_idx"].as_u64().unwrap() as usize,
        "{name}: best"
    );
    assert_eq!(
        result.metric_calls,
        case["total_metric_calls"].as_u64().unwrap() as usize
    );
    assert_eq!(
        task.calls(),
        case["task_calls"].as_u64().unwrap() as usize,
        "{name}: task LM calls"
    );
    for (component, predictor) in result.program.named_predictors() {
        let want = &case["candidates"][result.best][&component];
        assert_eq!(
            Some(predictor.signature().instructions()),
            want.as_str(),
            "{name}: {component}"
        );
    }
}

/// The first differing line of two texts, for a readable failure.
fn similar_lines(got: &str, want: &str) -> String {
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        if g != w {
            return format!("line {i}:\n  got:  {g:?}\n  want: {w:?}");
        }
    }
    format!(
        "lengths differ: got {} bytes, want {}",
        got.len(),
        want.len()
    )
}

#[tokio::test]
async fn single_predictor_run_matches_dspy() {
    replay("single", Predict::parse("question -> answer").unwrap()).await;
}

/// 27 candidates that do not dominate each other, and merges: Python's set order (not
/// ascending past the table's size) decides parents and merge pairs.
#[tokio::test]
async fn many_candidates_match_dspy() {
    replay("many", Predict::parse("question -> answer").unwrap()).await;
}

#[tokio::test]
async fn two_predictors_with_all_components_match_dspy() {
    replay("two-step-all", two_step()).await;
}

#[tokio::test]
async fn two_predictors_with_merges_match_dspy() {
    replay("two-step-merge", two_step()).await;
}
