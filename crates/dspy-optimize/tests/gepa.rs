//! GEPA where the metric's feedback carries the fix: the dev score goes up, each predictor of a
//! two-step program gets the instruction it needs, a killed run resumes to the same program
//! with fewer LM calls than starting over, and bad input gets clear errors.

use std::future::pending;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use dspy_core::adapters::AdapterKind;
use dspy_core::evaluate::{feedback_fn, Evaluate, Metric};
use dspy_core::example::Example;
use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};
use dspy_core::module::{Module, ModuleExt};
use dspy_core::predict::Predict;
use dspy_core::{settings, Error};
use dspy_optimize::gepa::{Budget, Gepa, GepaResult, IterationOutcome};
use dspy_optimize::Optimizer;
use dspy_testkit::ScriptedLm;

use dspy_testkit::keyword_world::{dataset, reflection_reply, score, task_reply, two_step};

fn metric() -> impl Metric + 'static {
    feedback_fn(|example, prediction, _trace, predictor| score(example, prediction, predictor))
}

fn kinds(kinds: &[&'static str], times: usize) -> Vec<&'static str> {
    (0..times).flat_map(|_| kinds.iter().copied()).collect()
}

async fn dev_score<P: Module>(program: &P, lm: SharedLm, devset: &[Example]) -> f64 {
    settings::with_lm(lm, async {
        Evaluate::new(devset.to_vec())
            .num_threads(4)
            .display_progress(false)
            .run(program, &metric())
            .await
            .unwrap()
            .score
    })
    .await
}

async fn run<P: Module + Clone>(
    gepa: &Gepa,
    task: SharedLm,
    student: &P,
    trainset: &[Example],
    valset: &[Example],
) -> Result<GepaResult<P>, Error> {
    settings::with_lm(task, async {
        settings::with_adapter(AdapterKind::Chat, async {
            gepa.run(student, trainset, Some(valset)).await
        })
        .await
    })
    .await
}

#[tokio::test]
async fn feedback_raises_the_dev_score_of_one_predictor() {
    let task: SharedLm = Arc::new(ScriptedLm::from_fn(task_reply));
    let reflection: SharedLm = Arc::new(ScriptedLm::from_fn(reflection_reply));
    let data = kinds(&["alpha", "beta", "easy", "hard"], 3);
    let (trainset, valset, devset) = (dataset(&data, 0), dataset(&data, 100), dataset(&data, 200));
    let student = Predict::parse("question -> answer").unwrap();
    let gepa = Gepa::new(metric(), Budget::MaxMetricCalls(200)).reflection_lm(reflection);

    let compiled = settings::with_lm(
        task.clone(),
        gepa.compile(&student, &trainset, Some(&valset)),
    )
    .await
    .unwrap();
    let before = dev_score(&student, task.clone(), &devset).await;
    let after = dev_score(&compiled, task, &devset).await;
    assert_eq!(before, 25.0, "only the easy questions at first");
    assert!(
        after >= 75.0,
        "GEPA should learn both keywords: {before} -> {after}"
    );
    let instructions = compiled.signature().instructions();
    assert!(
        instructions.contains("ALPHA") && instructions.contains("BETA"),
        "{instructions}"
    );
}

#[tokio::test]
async fn each_predictor_of_a_two_step_program_gets_its_fix() {
    let task: SharedLm = Arc::new(ScriptedLm::from_fn(task_reply));
    let reflection: SharedLm = Arc::new(ScriptedLm::from_fn(reflection_reply));
    let data = kinds(&["alpha", "beta", "easy", "hard"], 3);
    let (trainset, valset, devset) = (dataset(&data, 0), dataset(&data, 100), dataset(&data, 200));
    let student = two_step();
    let gepa = Gepa::new(metric(), Budget::MaxMetricCalls(400)).reflection_lm(reflection);
    let result = run(&gepa, task.clone(), &student, &trainset, &valset)
        .await
        .unwrap();

    let program = &result.program;
    assert!(
        program.draft.signature().instructions().contains("ALPHA"),
        "{:?}",
        result.candidates
    );
    assert!(
        program.finish.signature().instructions().contains("BETA"),
        "{:?}",
        result.candidates
    );
    let before = dev_score(&student, task.clone(), &devset).await;
    let after = dev_score(program, task, &devset).await;
    assert!(after > before, "{before} -> {after}");
    assert!(result.metric_calls >= 400 && result.metric_calls < 400 + 2 * valset.len());
    assert!(result
        .iterations
        .iter()
        .any(|i| i.outcome == IterationOutcome::Accepted));
    // The compiled program saves as DSPy JSON with the new instructions.
    let state = program.dump_state();
    let saved = state["finish"]["signature"]["instructions"]
        .as_str()
        .unwrap();
    assert!(saved.contains("BETA"), "{state}");
}

/// Answers through `inner` until `killed`, then never (the run hangs there and is dropped).
#[derive(Debug)]
struct KillSwitch {
    inner: SharedLm,
    killed: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

impl LanguageModel for KillSwitch {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        if self.killed.load(Ordering::SeqCst) {
            return Box::pin(pending());
        }
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.call(request)
    }

    fn model(&self) -> &str {
        self.inner.model()
    }
}

#[tokio::test]
async fn a_killed_run_resumes_to_the_same_program_with_fewer_calls() {
    let data = kinds(&["alpha", "beta", "easy", "hard"], 3);
    let (trainset, valset) = (dataset(&data, 0), dataset(&data, 100));
    let student = two_step();
    let world = |kill_after: Option<usize>| {
        let killed = Arc::new(AtomicBool::new(false));
        let reflections = Arc::new(AtomicUsize::new(0));
        let flag = killed.clone();
        let reflection = ScriptedLm::from_fn(move |request| {
            if kill_after.is_some_and(|k| reflections.fetch_add(1, Ordering::SeqCst) + 1 >= k) {
                flag.store(true, Ordering::SeqCst);
            }
            reflection_reply(request)
        });
        let calls = Arc::new(AtomicUsize::new(0));
        let wrap = |inner: SharedLm| -> SharedLm {
            Arc::new(KillSwitch {
                inner,
                killed: killed.clone(),
                calls: calls.clone(),
            })
        };
        (
            wrap(Arc::new(ScriptedLm::from_fn(task_reply))),
            wrap(Arc::new(reflection)),
            calls,
            killed,
        )
    };
    let gepa = |reflection: SharedLm, dir: &std::path::Path| {
        let mut gepa = Gepa::new(metric(), Budget::MaxMetricCalls(300))
            .reflection_lm(reflection)
            .run_dir(dir);
        gepa.num_threads = Some(2);
        gepa
    };

    // Uninterrupted.
    let whole_dir = tempfile::tempdir().unwrap();
    let (task, reflection, whole_calls, _) = world(None);
    let whole = run(
        &gepa(reflection, whole_dir.path()),
        task,
        &student,
        &trainset,
        &valset,
    )
    .await
    .unwrap();

    // Killed during the fourth reflection call: the future is dropped mid-iteration.
    let dir = tempfile::tempdir().unwrap();
    let (task, reflection, _, killed) = world(Some(4));
    let gepa_killed = gepa(reflection, dir.path());
    tokio::select! {
        _ = run(&gepa_killed, task, &student, &trainset, &valset) => panic!("the run should hang once killed"),
        _ = async {
            while !killed.load(Ordering::SeqCst) {
                tokio::task::yield_now().await;
            }
            // A few more turns, so the run is stuck on its next LM call when it is dropped.
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
        } => {}
    }
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("gepa_state.json")).unwrap())
            .unwrap();
    let saved_iterations = saved["iterations"].as_array().unwrap().len();
    assert!(
        saved_iterations > 0 && saved_iterations < whole.iterations.len(),
        "killed after {saved_iterations} of {} iterations",
        whole.iterations.len()
    );

    // Resumed with working LMs: same program, fewer calls than the whole run.
    let (task, reflection, resumed_calls, _) = world(None);
    let resumed = run(
        &gepa(reflection, dir.path()),
        task,
        &student,
        &trainset,
        &valset,
    )
    .await
    .unwrap();
    assert_eq!(resumed.best, whole.best);
    assert_eq!(resumed.candidates, whole.candidates);
    assert_eq!(resumed.iterations, whole.iterations);
    assert_eq!(resumed.metric_calls, whole.metric_calls);
    let (resumed_calls, whole_calls) = (
        resumed_calls.load(Ordering::SeqCst),
        whole_calls.load(Ordering::SeqCst),
    );
    assert!(
        resumed_calls < whole_calls,
        "resuming made {resumed_calls} LM calls, starting over {whole_calls}"
    );
}

#[tokio::test]
async fn bad_input_gets_clear_errors() {
    let student = Predict::parse("question -> answer").unwrap();
    let gepa = Gepa::new(metric(), Budget::MaxMetricCalls(10));
    let task: SharedLm = Arc::new(ScriptedLm::from_fn(task_reply));
    let empty = run(&gepa, task.clone(), &student, &[], &[])
        .await
        .unwrap_err();
    assert!(empty.to_string().contains("trainset is empty"), "{empty}");
    let no_predictors = run(&gepa, task.clone(), &NoPredictors, &trainset_of(2), &[])
        .await
        .unwrap_err();
    assert!(
        no_predictors.to_string().contains("no predictors"),
        "{no_predictors}"
    );

    // A run folder holding another program's state is not silently reused.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gepa_state.json"), "{\"version\": 1}").unwrap();
    let data = dataset(&["easy", "alpha"], 0);
    let gepa = gepa.run_dir(dir.path());
    let error = run(&gepa, task.clone(), &student, &data, &data)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("delete it"), "{error}");

    // A state this program wrote, then damaged (an index out of range): an error, no panic.
    let dir = tempfile::tempdir().unwrap();
    let small = Gepa::new(metric(), Budget::MaxMetricCalls(6))
        .reflection_lm(Arc::new(ScriptedLm::from_fn(reflection_reply)))
        .run_dir(dir.path());
    run(&small, task.clone(), &student, &data, &data)
        .await
        .unwrap();
    let path = dir.path().join("gepa_state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    state["pointers"] = serde_json::json!([99]);
    std::fs::write(&path, state.to_string()).unwrap();
    let error = run(&small, task, &student, &data, &data).await.unwrap_err();
    assert!(error.to_string().contains("delete it"), "{error}");
}

fn trainset_of(n: usize) -> Vec<Example> {
    dataset(&vec!["easy"; n], 0)
}

/// A program without predictors.
#[derive(Debug, Clone)]
struct NoPredictors;

impl Module for NoPredictors {
    fn forward(
        &self,
        _: dspy_core::adapters::Values,
    ) -> BoxFuture<'_, Result<dspy_core::example::Prediction, Error>> {
        Box::pin(async { Ok(dspy_core::example::Prediction::default()) })
    }
    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        Vec::new()
    }
    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        Vec::new()
    }
}
