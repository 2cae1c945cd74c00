//! LabeledFewShot and BootstrapFewShot on a task only demos teach (see `optimize_support`).

mod support;

use dspy_core::example::Example;
use dspy_core::settings;
use dspy_optimize::{BootstrapFewShot, LabeledFewShot, Optimizer};
use support::*;

#[tokio::test]
async fn labeled_few_shot_raises_the_dev_score() {
    let (_, lm) = lm();
    let (train, dev) = (dataset(0, 4), dataset(50, 3));
    let student = student();
    let before_state = student.dump_state();
    let (before, after, compiled) = settings::with_lm(lm, async {
        let compiled = LabeledFewShot::new(3)
            .compile_with_report(&student, &train, None)
            .await
            .unwrap();
        (
            score(&student, &dev).await,
            score(&compiled.program, &dev).await,
            compiled,
        )
    })
    .await;
    println!("labeled: {before} -> {after}\n{}", compiled.report);
    assert_eq!(before, 0.0);
    // Python: random.Random(0).sample(range(24), 3) == [12, 13, 1], as DSPy's LabeledFewShot
    // draws; those demos are of kinds amber, basil, basil: 2 of the 6 kinds answered.
    let picked: Vec<&Example> = [12, 13, 1].iter().map(|&i| &train[i]).collect();
    assert_eq!(compiled.program.demos().iter().collect::<Vec<_>>(), picked);
    assert_eq!(after, AFTER_LABELED);
    assert!(after > before);
    assert_eq!(compiled.program.demos().len(), 3);
    assert_eq!(compiled.report.predictors[0].demos_after, 3);
    // The demos are raw training examples, labels included.
    assert!(compiled.program.demos().iter().all(|d| train.contains(d)));
    assert_eq!(
        student.dump_state(),
        before_state,
        "the student is not changed"
    );
}

const AFTER_LABELED: f64 = 33.33;

#[tokio::test]
async fn labeled_few_shot_seeds_reproduce() {
    let train = dataset(0, 4);
    let student = student();
    let a = LabeledFewShot::new(3)
        .seed(1)
        .compile(&student, &train, None)
        .await
        .unwrap();
    let b = LabeledFewShot::new(3)
        .seed(1)
        .compile(&student, &train, None)
        .await
        .unwrap();
    let c = LabeledFewShot::new(3)
        .seed(2)
        .compile(&student, &train, None)
        .await
        .unwrap();
    assert_eq!(a.dump_state(), b.dump_state());
    assert_ne!(a.dump_state(), c.dump_state());
    let first = LabeledFewShot::new(3)
        .sample(false)
        .compile(&student, &train, None)
        .await
        .unwrap();
    assert_eq!(first.demos(), &train[..3]);
}

#[tokio::test]
async fn bootstrap_few_shot_turns_teacher_traces_into_demos() {
    let (scripted, lm) = lm();
    let (train, dev) = (dataset(0, 4), dataset(50, 3));
    let student = student();
    let before_state = student.dump_state();
    let optimizer = BootstrapFewShot::new()
        .metric(exact)
        .max_bootstrapped_demos(4)
        .max_labeled_demos(4)
        .num_threads(4);
    let (before, after, compiled) = settings::with_lm(lm, async {
        let compiled = optimizer
            .compile_with_report(&student, &train, None)
            .await
            .unwrap();
        (
            score(&student, &dev).await,
            score(&compiled.program, &dev).await,
            compiled,
        )
    })
    .await;
    println!("bootstrap: {before} -> {after}\n{}", compiled.report);
    assert_eq!(before, 0.0);
    assert_eq!(after, AFTER_BOOTSTRAP);
    let demos = compiled.program.demos();
    assert_eq!(compiled.report.bootstrapped, 4);
    assert_eq!(demos.len(), 4);
    // Bootstrapped demos: `augmented`, the teacher's inputs and (correct) outputs.
    for d in demos {
        assert_eq!(d.get("augmented"), Some(&serde_json::json!(true)));
        let q = d.get_str("question").unwrap();
        assert_eq!(d.get_str("answer"), Some(true_answer(q).as_str()));
    }
    assert_eq!(student.dump_state(), before_state);
    assert!(scripted.calls() > 0);
}

const AFTER_BOOTSTRAP: f64 = 50.0;

#[tokio::test]
async fn bootstrap_rounds_use_fresh_rollouts() {
    let (scripted, lm) = lm();
    let (train, dev) = (dataset(0, 2), dataset(50, 2));
    let student = student();
    let one_round = BootstrapFewShot::new()
        .metric(exact)
        .max_labeled_demos(0)
        .max_bootstrapped_demos(3);
    let two_rounds = one_round.clone().max_rounds(2);
    let (s1, s2, p1, p2) = settings::with_lm(lm, async {
        let p1 = one_round.compile(&student, &train, None).await.unwrap();
        let p2 = two_rounds.compile(&student, &train, None).await.unwrap();
        (score(&p1, &dev).await, score(&p2, &dev).await, p1, p2)
    })
    .await;
    println!("rounds: 1 round {s1}, 2 rounds {s2}");
    // Zero-shot teachers always fail in round 0: one round bootstraps nothing.
    assert!(p1.demos().is_empty());
    assert_eq!(s1, 0.0);
    // Round 1 runs with rollout_id 1 and temperature 1.0, and those samples pass.
    assert_eq!(p2.demos().len(), 3);
    assert_eq!(s2, AFTER_ROUNDS);
    let fresh: Vec<_> = scripted
        .requests()
        .into_iter()
        .filter(|r| r.rollout_id.is_some())
        .collect();
    assert!(!fresh.is_empty());
    assert!(fresh
        .iter()
        .all(|r| r.rollout_id == Some(1) && r.temperature == Some(1.0)));
}

const AFTER_ROUNDS: f64 = 50.0;

#[tokio::test]
async fn bootstrap_metric_threshold_and_empty_metric() {
    let (_, lm) = lm();
    let train = dataset(0, 2);
    let student = student();
    // No metric: every teacher run passes, even the `unknown` ones.
    let all = BootstrapFewShot::new()
        .max_labeled_demos(0)
        .max_bootstrapped_demos(2);
    // A threshold above the metric's range: nothing passes.
    let none = BootstrapFewShot::new()
        .metric(exact)
        .metric_threshold(2.0)
        .max_labeled_demos(0)
        .max_bootstrapped_demos(2);
    let (a, b) = settings::with_lm(lm, async {
        (
            all.compile(&student, &train, None).await.unwrap(),
            none.compile(&student, &train, None).await.unwrap(),
        )
    })
    .await;
    assert_eq!(a.demos().len(), 2);
    assert_eq!(a.demos()[0].get_str("answer"), Some("unknown"));
    assert!(b.demos().is_empty());
}

/// DSPy's `compiled.save(path)` then `fresh.load(path)`: the loaded program sends the same
/// prompts and scores the same as the compiled one.
#[tokio::test]
async fn a_saved_compiled_program_loads_back_with_the_same_prompts() {
    use dspy_core::module::ModuleExt;

    let (scripted, lm) = lm();
    let (train, dev) = (dataset(0, 4), dataset(50, 3));
    let optimizer = BootstrapFewShot::new()
        .metric(exact)
        .max_bootstrapped_demos(2)
        .max_labeled_demos(4);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compiled.json");
    let (compiled_score, loaded_score, compiled_prompt, loaded_prompt) =
        settings::with_lm(lm, async {
            let compiled = optimizer.compile(&student(), &train, None).await.unwrap();
            compiled.save(&path).unwrap();
            let mut loaded = student();
            loaded.load(&path).unwrap();

            let compiled_score = score(&compiled, &dev).await;
            let inputs = dev[0].inputs().unwrap();
            compiled.forward(inputs.clone()).await.unwrap();
            let compiled_prompt = scripted.last_request().unwrap().messages;
            let loaded_score = score(&loaded, &dev).await;
            loaded.forward(inputs).await.unwrap();
            let loaded_prompt = scripted.last_request().unwrap().messages;
            (compiled_score, loaded_score, compiled_prompt, loaded_prompt)
        })
        .await;
    // The demos (2 bootstrapped + 2 labeled) are in the prompt: 4 user/assistant pairs.
    assert_eq!(compiled_prompt.len(), 1 + 2 * 4 + 1);
    assert_eq!(loaded_prompt, compiled_prompt);
    assert!(compiled_score > 0.0);
    assert_eq!(loaded_score, compiled_score);
    // The file is what DSPy saves for a bare `Predict`: its state at the top, with the demos.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        saved["demos"].as_array().map(Vec::len),
        Some(4),
        "{saved:#}"
    );
    assert!(
        saved["metadata"]["dependency_versions"].is_object(),
        "{saved:#}"
    );
}
