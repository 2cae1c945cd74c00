//! GEPA and SIMBA on a typed `#[module]` program: both rewrite its predictor's instructions
//! from the metric's feedback, the program keeps answering typed calls, and the result saves
//! as DSPy JSON and loads back.

use std::sync::Arc;

use dspy::core::lm::SharedLm;
use dspy::prelude::*;
use dspy_testkit::keyword_world::{dataset, reflection_reply, score, task_reply};
use dspy_testkit::ScriptedLm;

/// Answer questions about items.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

/// One typed predictor.
#[module]
#[derive(Debug, Clone)]
struct Answerer {
    qa: Predict<QA>,
}

impl Answerer {
    async fn forward(&self, input: QAInput) -> Result<QAOutput, Error> {
        self.qa.forward(input).await
    }
}

fn data(offset: usize) -> Vec<Example> {
    let kinds: Vec<&str> = ["alpha", "beta", "easy", "hard"]
        .into_iter()
        .cycle()
        .take(12)
        .collect();
    dataset(&kinds, offset)
}

fn instructions(program: &Answerer) -> String {
    program.named_predictors()[0]
        .1
        .signature()
        .instructions()
        .to_string()
}

/// Saves `program`, loads it into a fresh one, and checks the instructions came back.
fn round_trip(program: &Answerer) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("program.json");
    program.save(&path).unwrap();
    let mut loaded = Answerer { qa: Predict::new() };
    loaded.load(&path).unwrap();
    assert_eq!(instructions(&loaded), instructions(program));
}

#[tokio::test]
async fn gepa_rewrites_a_typed_module() {
    let task: SharedLm = Arc::new(ScriptedLm::from_fn(task_reply));
    let reflection: SharedLm = Arc::new(ScriptedLm::from_fn(reflection_reply));
    // The world's feedback for a one-predictor program ("the instruction must mention X").
    let metric =
        feedback_fn(|example, prediction, _trace, _predictor| score(example, prediction, None));
    let gepa = Gepa::new(metric, Budget::MaxMetricCalls(150)).reflection_lm(reflection);
    let student = Answerer { qa: Predict::new() };
    let optimized = settings::with_lm(
        task.clone(),
        gepa.compile(&student, &data(0), Some(&data(100))),
    )
    .await
    .unwrap();
    let text = instructions(&optimized);
    assert!(text.contains("ALPHA") || text.contains("BETA"), "{text}");
    round_trip(&optimized);
    let question = "Item 300 (alpha): what is the code of the amber item?".to_string();
    let typed = settings::with_lm(task, optimized.forward(QAInput { question }))
        .await
        .unwrap();
    assert_ne!(typed.answer, "unknown");
}

#[tokio::test]
async fn simba_changes_a_typed_module() {
    let task: SharedLm = Arc::new(ScriptedLm::from_fn(task_reply));
    let metric =
        metric_fn(|example, prediction| example.get_str("answer") == prediction.get_str("answer"));
    let mut simba = Simba::new(metric);
    simba.bsize = 6;
    simba.num_candidates = 3;
    simba.max_steps = 3;
    let student = Answerer { qa: Predict::new() };
    let result = settings::with_lm(task, simba.run(&student, &data(0)))
        .await
        .unwrap();
    assert_eq!(result.steps.len(), 3);
    assert!(result.steps.iter().all(|s| !s.candidates.is_empty()));
    round_trip(&result.program);
}
