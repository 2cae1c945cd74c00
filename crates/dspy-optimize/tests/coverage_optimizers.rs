//! What the other optimizer tests leave out: BootstrapFewShot's `teacher` and `teacher_lm`, the
//! error limits of BootstrapFewShot and random search, random search's
//! `candidate_concurrency`, and Ensemble's per-call sampling. No test here changes the global
//! settings (they are in `coverage_settings.rs`): LMs are scoped or set on the programs.

mod support;

use std::sync::{Arc, Mutex};

use dspy_core::example::{Example, Prediction};
use dspy_core::lm::{LmError, LmRequest, LmResponse, SharedLm};
use dspy_core::predict::Predict;
use dspy_core::{settings, Error, Module};
use dspy_optimize::{
    BootstrapFewShot, BootstrapFewShotWithRandomSearch, Ensemble, Optimizer, Reduce, Teacher,
};
use dspy_testkit::{chat_completion, ConcurrencyProbe, ScriptedLm};
use serde_json::json;
use support::*;

/// The question a DSPy chat prompt asks (its last message's `question` field).
fn question(request: &LmRequest) -> String {
    let last = &request.messages.last().expect("a message").content;
    let marker = "[[ ## question ## ]]\n";
    let start = last.find(marker).expect("a question") + marker.len();
    last[start..].lines().next().unwrap_or_default().to_string()
}

/// Demos in a request: assistant turns before the last message.
fn demos_in(request: &LmRequest) -> usize {
    request
        .messages
        .iter()
        .filter(|m| m.role == dspy_core::adapters::Role::Assistant)
        .count()
}

/// An LM answering `<name> says <question>`.
fn says(name: &'static str) -> Arc<ScriptedLm> {
    Arc::new(
        ScriptedLm::from_fn(move |r| {
            chat_completion([("answer", format!("{name} says {}", question(r)))])
        })
        .with_model(name),
    )
}

fn shared(lm: &Arc<ScriptedLm>) -> SharedLm {
    lm.clone()
}

/// `(question, answer, augmented)` of each demo.
fn demo_rows(program: &Predict) -> Vec<(String, String, bool)> {
    program
        .demos()
        .iter()
        .map(|d| {
            (
                d.get_str("question").unwrap_or_default().to_string(),
                d.get_str("answer").unwrap_or_default().to_string(),
                d.get("augmented") == Some(&json!(true)),
            )
        })
        .collect()
}

fn questions(train: &[Example]) -> Vec<String> {
    train
        .iter()
        .map(|e| e.get_str("question").unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_teacher_with_its_own_lm_is_what_bootstrapping_calls() {
    let (student_lm, teacher_lm) = (says("student"), says("teacher"));
    let train = dataset(0, 1);
    let teacher = student().with_lm(shared(&teacher_lm));
    let optimizer = BootstrapFewShot::new()
        .teacher(Teacher::new(teacher))
        .max_bootstrapped_demos(3)
        .max_labeled_demos(3);
    let compiled = settings::with_lm(
        shared(&student_lm),
        optimizer.compile(&student(), &train, None),
    )
    .await
    .unwrap();

    // No metric: the first three examples pass, one teacher call each.
    assert_eq!(student_lm.calls(), 0, "the student's LM is not called");
    assert_eq!(teacher_lm.calls(), 3);
    let q = questions(&train);
    let expected: Vec<_> = q[..3]
        .iter()
        .map(|q| (q.clone(), format!("teacher says {q}"), true))
        .collect();
    assert_eq!(
        demo_rows(&compiled),
        expected,
        "demos are the teacher's runs"
    );
    // The teacher's LM is not carried over to the compiled student.
    assert!(compiled.lm().is_none());
    let asked = settings::with_lm(
        shared(&student_lm),
        compiled.forward(train[5].inputs().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(
        asked.get_str("answer"),
        Some(format!("student says {}", q[5]).as_str())
    );

    // An uncompiled teacher got `max_labeled_demos` labeled demos first (less the example
    // being bootstrapped, when it is one of them).
    for r in teacher_lm.requests() {
        assert!((2..=3).contains(&demos_in(&r)), "{} demos", demos_in(&r));
    }
}

#[tokio::test]
async fn a_compiled_teacher_keeps_its_own_demos() {
    let teacher_lm = says("teacher");
    let train = dataset(0, 1);
    let own_demo = Example::new()
        .with("question", "own-1")
        .with("answer", "mine");
    let teacher = student()
        .with_lm(shared(&teacher_lm))
        .with_demos(vec![own_demo]);
    let compiled = BootstrapFewShot::new()
        .teacher(Teacher::compiled(teacher.clone()))
        .max_bootstrapped_demos(2)
        .max_labeled_demos(4)
        .compile(&student(), &train, None)
        .await
        .unwrap();
    let requests = teacher_lm.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert_eq!(demos_in(r), 1);
        assert!(r.messages[1].content.contains("own-1"), "its own demo");
    }
    // The student's demos: 2 bootstrapped, then 2 labeled from the rest of the trainset.
    let rows = demo_rows(&compiled);
    assert_eq!(rows.len(), 4);
    assert!(rows[..2]
        .iter()
        .all(|(q, a, aug)| *aug && *a == format!("teacher says {q}")));
    assert!(rows[2..].iter().all(|(_, _, aug)| !aug));

    // The same teacher uncompiled: its demo is replaced by labeled ones from the trainset.
    let fresh = says("teacher");
    let teacher = teacher.with_lm(shared(&fresh));
    BootstrapFewShot::new()
        .teacher(Teacher::new(teacher))
        .max_bootstrapped_demos(2)
        .max_labeled_demos(4)
        .compile(&student(), &train, None)
        .await
        .unwrap();
    for r in fresh.requests() {
        assert!(!r.messages[1].content.contains("own-1"));
        assert!(demos_in(&r) >= 3);
    }
}

#[tokio::test]
async fn teacher_lm_is_scoped_around_the_teacher_runs_only() {
    let (scoped, teacher_lm) = (says("scoped"), says("teacher"));
    let train = dataset(0, 1);
    let optimizer = BootstrapFewShot::new()
        .teacher_lm(shared(&teacher_lm))
        .max_bootstrapped_demos(2)
        .max_labeled_demos(2);
    let compiled = settings::with_lm(shared(&scoped), async {
        let compiled = optimizer.compile(&student(), &train, None).await.unwrap();
        // After the compile the scope's LM is in effect again.
        compiled.forward(train[4].inputs().unwrap()).await.unwrap();
        compiled
    })
    .await;
    assert_eq!(teacher_lm.calls(), 2);
    assert_eq!(scoped.calls(), 1, "only the call after the compile");
    let q = questions(&train);
    assert_eq!(
        demo_rows(&compiled),
        [
            (q[0].clone(), format!("teacher says {}", q[0]), true),
            (q[1].clone(), format!("teacher says {}", q[1]), true),
        ]
    );

    // A teacher with an LM of its own keeps it: `teacher_lm` is only the default in scope.
    let (own, unused) = (says("own"), says("unused"));
    BootstrapFewShot::new()
        .teacher(Teacher::new(student().with_lm(shared(&own))))
        .teacher_lm(shared(&unused))
        .max_bootstrapped_demos(2)
        .compile(&student(), &train, None)
        .await
        .unwrap();
    assert_eq!((own.calls(), unused.calls()), (2, 0));
}

#[tokio::test]
async fn later_rounds_sample_the_teacher_lm_afresh() {
    // Round 0 answers `unknown` (the metric fails it); a rollout (round 1) answers right.
    let teacher_lm = Arc::new(ScriptedLm::from_fn(oracle).with_model("teacher"));
    let train = dataset(0, 1);
    let compiled = BootstrapFewShot::new()
        .metric(exact)
        .teacher_lm(shared(&teacher_lm))
        .num_threads(1)
        .max_rounds(2)
        .max_bootstrapped_demos(2)
        .max_labeled_demos(0)
        .compile(&student(), &train, None)
        .await
        .unwrap();
    let seen: Vec<(Option<u64>, Option<f64>)> = teacher_lm
        .requests()
        .iter()
        .map(|r| (r.rollout_id, r.temperature))
        .collect();
    assert_eq!(
        seen,
        [
            (None, None),
            (Some(1), Some(1.0)),
            (None, None),
            (Some(1), Some(1.0))
        ]
    );
    assert_eq!(compiled.demos().len(), 2);
}

/// The oracle, refusing (an LM error) questions of the kinds in `refused`.
fn refusing(refused: &'static [&'static str]) -> Arc<ScriptedLm> {
    Arc::new(ScriptedLm::from_response_fn(move |r| {
        let q = question(r);
        if refused.iter().any(|k| q.starts_with(&format!("{k}-"))) {
            return Err(LmError::config(format!("refused {q}")));
        }
        Ok(LmResponse::text("oracle", oracle(r)))
    }))
}

#[tokio::test]
async fn bootstrap_stops_at_max_errors_and_counts_errors_below_it() {
    let train = dataset(0, 1); // amber, basil, cedar, dune, ember, fjord
    let lm = refusing(&["amber", "basil"]);
    let base = BootstrapFewShot::new()
        .max_labeled_demos(0)
        .max_bootstrapped_demos(4)
        .num_threads(1);

    // Two failures under a limit of three: the compile goes on with the other examples.
    let compiled = settings::with_lm(
        shared(&lm),
        base.clone()
            .max_errors(3)
            .compile_with_report(&student(), &train, None),
    )
    .await
    .unwrap();
    assert_eq!(compiled.report.errors, 2);
    assert_eq!(compiled.report.bootstrapped, 4);
    let kinds: Vec<String> = demo_rows(&compiled.program)
        .into_iter()
        .map(|(q, _, _)| q)
        .collect();
    assert_eq!(kinds, questions(&train)[2..]);

    // A limit of two: the second failure stops it.
    let err = settings::with_lm(
        shared(&lm),
        base.clone().max_errors(2).compile(&student(), &train, None),
    )
    .await
    .unwrap_err();
    match err {
        Error::TooManyErrors {
            errors,
            max_errors,
            last,
            ..
        } => {
            assert_eq!((errors, max_errors), (2, 2));
            assert!(last.to_string().contains("refused basil-0"), "{last}");
        }
        other => panic!("expected TooManyErrors, got {other:?}"),
    }

    // Every failed round counts: two rounds of `amber` and one of `basil` reach three.
    let err = settings::with_lm(
        shared(&lm),
        base.max_errors(3)
            .max_rounds(2)
            .compile(&student(), &train, None),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::TooManyErrors { errors: 3, max_errors: 3, last, .. }
            if last.to_string().contains("refused basil-0")),
        "{err}"
    );
}

fn search() -> BootstrapFewShotWithRandomSearch {
    BootstrapFewShotWithRandomSearch::new(exact)
        .num_candidate_programs(2)
        .max_bootstrapped_demos(2)
        .max_labeled_demos(2)
}

#[tokio::test]
async fn random_search_passes_its_error_limit_to_every_evaluation() {
    // Zero-shot prompts fail; prompts with demos get the oracle. The zero-shot candidate's
    // evaluation stops at the limit, the others run.
    let lm = Arc::new(ScriptedLm::from_response_fn(|r| {
        if demos_in(r) == 0 {
            return Err(LmError::config("no demos, no answer"));
        }
        Ok(LmResponse::text("oracle", oracle(r)))
    }));
    let (train, dev) = (dataset(0, 2), dataset(50, 2));
    for limit in [1, 4] {
        let compiled = settings::with_lm(
            shared(&lm),
            search()
                .max_errors(limit)
                .num_threads(1)
                .compile_with_report(&student(), &train, Some(&dev)),
        )
        .await
        .unwrap();
        let zero_shot = &compiled.report.candidates[0];
        assert_eq!(zero_shot.seed, -3);
        let error = zero_shot.error.as_deref().unwrap_or_default();
        assert!(
            error.contains(&format!("after {limit} errors (max_errors = {limit})")),
            "{error}"
        );
        assert!(compiled.report.candidates[1..]
            .iter()
            .all(|c| c.error.is_none()));
    }

    // The bootstrap of each candidate gets the limit too: an LM that always fails stops every
    // candidate, and the compile returns the last error.
    let dead = Arc::new(ScriptedLm::from_response_fn(|_| {
        Err(LmError::config("down"))
    }));
    let err = settings::with_lm(
        shared(&dead),
        search()
            .max_errors(2)
            .compile(&student(), &train, Some(&dev)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::TooManyErrors { max_errors: 2, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn random_search_runs_at_most_candidate_concurrency_candidates_at_once() {
    // One example at a time within a candidate: the LM calls in flight are the candidates in
    // flight.
    let (train, dev) = (dataset(0, 2), dataset(50, 2));
    let mut states = Vec::new();
    for concurrency in [1, 2, 3] {
        let (_, oracle_lm) = lm();
        let peak = ConcurrencyProbe::new(oracle_lm);
        let compiled = settings::with_lm(
            peak.clone(),
            search()
                .num_candidate_programs(4)
                .num_threads(1)
                .candidate_concurrency(concurrency)
                .compile_with_report(&student(), &train, Some(&dev)),
        )
        .await
        .unwrap();
        assert_eq!(
            peak.peak(),
            concurrency,
            "candidate_concurrency {concurrency}"
        );
        assert_eq!(compiled.report.candidates.len(), 7);
        states.push(compiled.program.dump_state());
    }
    // The result is the one a sequential run gives.
    assert!(states.windows(2).all(|w| w[0] == w[1]));
}

/// Five programs, each answering with its own name (`p0`..`p4`) through its own LM.
fn named_programs() -> Vec<Predict> {
    (0..5)
        .map(|i| {
            let lm = ScriptedLm::from_fn(move |_| chat_completion([("answer", format!("p{i}"))]));
            student().with_lm(Arc::new(lm))
        })
        .collect()
}

/// A reduce that records the programs each call ran (in order) and returns the first.
fn recording() -> (Reduce, Arc<Mutex<Vec<Vec<String>>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let reduce: Reduce = Arc::new(move |predictions: Vec<Prediction>| {
        let names = predictions
            .iter()
            .map(|p| p.get_str("answer").unwrap_or_default().to_string())
            .collect();
        seen.lock().unwrap().push(names);
        predictions
            .into_iter()
            .next()
            .ok_or_else(|| Error::custom("no predictions"))
    });
    (reduce, log)
}

async fn ensemble_picks(size: Option<usize>, seed: u64, calls: usize) -> Vec<Vec<String>> {
    let (reduce, log) = recording();
    let mut ensemble = Ensemble::new(reduce).seed(seed);
    if let Some(size) = size {
        ensemble = ensemble.size(size);
    }
    let program = ensemble.compile(&named_programs()).unwrap();
    let inputs = example("amber", 1).inputs().unwrap().into_values();
    for _ in 0..calls {
        program.forward(inputs.clone()).await.unwrap();
    }
    let picks = log.lock().unwrap().clone();
    picks
}

fn names(picks: &[&[usize]]) -> Vec<Vec<String>> {
    picks
        .iter()
        .map(|p| p.iter().map(|i| format!("p{i}")).collect())
        .collect()
}

#[tokio::test]
async fn ensemble_samples_size_programs_per_call_from_its_seed() {
    // Python: r = random.Random(seed); [r.sample(range(5), 3) for _ in range(4)], which is what
    // DSPy's `random.sample(self.programs, self.size)` draws from a generator seeded so.
    assert_eq!(
        ensemble_picks(Some(3), 0, 4).await,
        names(&[&[3, 4, 0], &[2, 3, 1], &[2, 3, 1], &[4, 1, 2]])
    );
    assert_eq!(
        ensemble_picks(Some(3), 7, 4).await,
        names(&[&[2, 1, 3], &[0, 4, 2], &[0, 2, 3], &[0, 1, 4]])
    );
    // Python: r = random.Random(0); [r.sample(range(5), 1) for _ in range(4)]
    assert_eq!(
        ensemble_picks(Some(1), 0, 4).await,
        names(&[&[3], &[3], &[0], &[2]])
    );
    // A size of zero means one.
    assert_eq!(ensemble_picks(Some(0), 0, 1).await, names(&[&[3]]));
    // No size, or a size of at least the number of programs: all of them, in order.
    let all = names(&[&[0, 1, 2, 3, 4], &[0, 1, 2, 3, 4]]);
    assert_eq!(ensemble_picks(None, 0, 2).await, all);
    assert_eq!(ensemble_picks(Some(5), 0, 2).await, all);
    assert_eq!(ensemble_picks(Some(9), 3, 2).await, all);
}

#[tokio::test]
async fn ensemble_copies_share_one_sampling_sequence() {
    let (reduce, log) = recording();
    let program = Ensemble::new(reduce)
        .size(3)
        .compile(&named_programs())
        .unwrap();
    let copy = program.clone();
    let inputs = example("amber", 1).inputs().unwrap().into_values();
    program.forward(inputs.clone()).await.unwrap();
    copy.forward(inputs.clone()).await.unwrap();
    // The same draws as one program called twice.
    assert_eq!(
        log.lock().unwrap().clone(),
        names(&[&[3, 4, 0], &[2, 3, 1]])
    );
}
