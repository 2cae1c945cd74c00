//! The instruction optimizers where instructions matter: the task model (`Oracle` with an
//! instruction bonus) answers right far more often when the system message holds
//! [`PromptWorld::MAGIC`], a phrase the scripted prompt model writes for some proposals. COPRO
//! and MIPROv2 (light, and zero-shot) must raise the dev score above the unoptimized program
//! and above BootstrapFewShot alone, and give the same program for the same seed.

use std::sync::Arc;

use dspy_adapters::Values;
use dspy_core::example::{Example, Prediction};
use dspy_core::lm::{BoxFuture, SharedLm};
use dspy_core::predict::Predict;
use dspy_core::{settings, Error, Evaluate, Module};
use dspy_optimize::mipro::{Auto, MiproV2};
use dspy_optimize::{BootstrapFewShot, Copro, OptimizeError, Optimizer};
use dspy_testkit::{Oracle, PromptWorld};
mod support;
use support::recorded::{exact_answer, qa_examples};

use serde_json::Value;

fn rows() -> Vec<Example> {
    qa_examples(include_str!("data/instruction_qa.json"))
}

fn exact() -> impl dspy_core::Metric + Clone + 'static {
    exact_answer()
}

fn task_lm() -> SharedLm {
    Arc::new(
        Oracle::new("instructions-task")
            .with_magic(PromptWorld::MAGIC, 900)
            .lm(),
    )
}

/// A world whose proposer writes the phrase for some candidates (not every salt's does; where
/// no proposal holds it, there is nothing to find).
fn prompt_lm() -> SharedLm {
    Arc::new(PromptWorld::new("p2").lm())
}

/// Train 40, val 40, dev 40.
fn splits() -> (Vec<Example>, Vec<Example>, Vec<Example>) {
    let rows = rows();
    (
        rows[..40].to_vec(),
        rows[40..80].to_vec(),
        rows[80..120].to_vec(),
    )
}

async fn dev_score<P: Module>(program: &P, dev: &[Example]) -> f64 {
    Evaluate::new(dev.to_vec())
        .run(program, &exact())
        .await
        .unwrap()
        .score
}

/// Scores of the unoptimized program and of BootstrapFewShot alone (MIPROv2's demo budget:
/// 4 bootstrapped, 4 in all) on the dev set.
async fn baselines(train: &[Example], dev: &[Example]) -> (f64, f64) {
    let student = Predict::parse("question -> answer").unwrap();
    let plain = dev_score(&student, dev).await;
    let boot = BootstrapFewShot::new()
        .metric(exact())
        .max_bootstrapped_demos(4)
        .max_labeled_demos(4)
        .compile(&student, train, None)
        .await
        .unwrap();
    (plain, dev_score(&boot, dev).await)
}

fn instructions<P: Module>(program: &P) -> Vec<String> {
    program
        .named_predictors()
        .iter()
        .map(|(_, p)| p.signature().instructions().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mipro_light_and_zero_shot_beat_the_baselines() {
    let (train, val, dev) = splits();
    settings::with_lm(task_lm(), async {
        let (plain, boot) = baselines(&train, &dev).await;
        let student = Predict::parse("question -> answer").unwrap();
        for (mode, demos) in [("light", 4), ("zero-shot", 0)] {
            let mipro = MiproV2::new(exact())
                .auto(Some(Auto::Light))
                .max_bootstrapped_demos(demos)
                .max_labeled_demos(demos)
                .prompt_lm(prompt_lm());
            let first = mipro
                .compile_with_report(&student, &train, Some(&val))
                .await
                .unwrap();
            let score = dev_score(&first.program, &dev).await;
            assert!(
                score > plain && score > boot,
                "MIPROv2 {mode}: dev {score} vs unoptimized {plain}, BootstrapFewShot {boot}"
            );
            assert!(instructions(&first.program)[0].contains(PromptWorld::MAGIC));
            if demos == 0 {
                assert!(first.program.demos().is_empty(), "zero-shot keeps no demos");
            }
            // DSPy's budget for light with one predictor: 10 trials with demos, 9 without,
            // plus the default program; 40 valset examples, so no minibatches.
            let want_trials = if demos == 0 { 9 } else { 10 };
            assert_eq!(first.report.trials.len(), want_trials + 1, "{mode}");
            assert!(first.report.trials.iter().all(|t| t.full_eval));

            let again = mipro
                .compile_with_report(&student, &train, Some(&val))
                .await
                .unwrap();
            assert_eq!(
                again.program.dump_state(),
                first.program.dump_state(),
                "{mode}: same seed"
            );
            assert_eq!(
                again.report.trials, first.report.trials,
                "{mode}: same trials"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copro_beats_the_baselines() {
    let (train, _, dev) = splits();
    settings::with_lm(task_lm(), async {
        let (plain, boot) = baselines(&train, &dev).await;
        let student = Predict::parse("question -> answer").unwrap();
        let copro = Copro::new(exact())
            .breadth(4)
            .depth(2)
            .prompt_lm(prompt_lm())
            .track_stats(true);
        let first = copro
            .compile_with_report(&student, &train, None)
            .await
            .unwrap();
        let score = dev_score(&first.program, &dev).await;
        assert!(
            score > plain && score > boot,
            "COPRO: dev {score} vs unoptimized {plain}, BootstrapFewShot {boot}"
        );
        assert!(instructions(&first.program)[0].contains(PromptWorld::MAGIC));
        // Candidates best first, one stats row per round.
        let scores: Vec<f64> = first
            .report
            .instruction_candidates
            .iter()
            .map(|c| c.score)
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        assert_eq!(first.report.round_stats.len(), 2);
        let again = copro
            .compile_with_report(&student, &train, None)
            .await
            .unwrap();
        assert_eq!(again.program.dump_state(), first.program.dump_state());
    })
    .await;
}

/// Two predictors: a draft, then a check that gives the final answer. Only the check's
/// instruction decides the score.
#[derive(Clone, Debug)]
struct DraftAndCheck {
    draft: Predict,
    check: Predict,
}

impl DraftAndCheck {
    fn new() -> DraftAndCheck {
        DraftAndCheck {
            draft: Predict::parse("question -> answer").unwrap(),
            check: Predict::parse("question, draft -> answer").unwrap(),
        }
    }
}

impl Module for DraftAndCheck {
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        Box::pin(async move {
            let draft = self.draft.forward(inputs.clone()).await?;
            let mut next = inputs;
            next.insert(
                "draft".into(),
                draft.get("answer").cloned().unwrap_or(Value::Null),
            );
            self.check.forward(next).await
        })
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        vec![("draft".into(), &self.draft), ("check".into(), &self.check)]
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        vec![
            ("draft".into(), &mut self.draft),
            ("check".into(), &mut self.check),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_optimize_programs_with_several_predictors() {
    let (train, val, dev) = splits();
    settings::with_lm(task_lm(), async {
        let student = DraftAndCheck::new();
        let plain = dev_score(&student, &dev).await;

        let mipro = MiproV2::new(exact())
            .auto(None)
            .num_candidates(4)
            .num_trials(12)
            .prompt_lm(prompt_lm());
        let compiled = mipro
            .compile_with_report(&student, &train, Some(&val))
            .await
            .unwrap();
        let score = dev_score(&compiled.program, &dev).await;
        assert!(score > plain, "MIPROv2: {score} vs {plain}");
        assert!(instructions(&compiled.program)[1].contains(PromptWorld::MAGIC));
        // Each trial picks an instruction and a demo set per predictor.
        for t in &compiled.report.trials {
            assert_eq!((t.instructions.len(), t.demo_sets.len()), (2, 2));
        }
        let names: Vec<&str> = compiled
            .report
            .instruction_candidates
            .iter()
            .map(|c| c.predictor.as_str())
            .collect();
        assert!(names.contains(&"draft") && names.contains(&"check"));

        let copro = Copro::new(exact())
            .breadth(3)
            .depth(2)
            .prompt_lm(prompt_lm());
        let compiled = copro
            .compile_with_report(&student, &train, None)
            .await
            .unwrap();
        let score = dev_score(&compiled.program, &dev).await;
        assert!(score > plain, "COPRO: {score} vs {plain}");
        assert!(instructions(&compiled.program)[1].contains(PromptWorld::MAGIC));
    })
    .await;
}

#[tokio::test]
async fn bad_settings_are_typed_errors() {
    let (train, val, _) = splits();
    let student = Predict::parse("question -> answer").unwrap();
    let lm = task_lm();
    let err = |e: Error| match e {
        Error::Optimize(inner) => inner.downcast_ref::<OptimizeError>().cloned(),
        _ => None,
    };

    let copro = Copro::new(exact()).breadth(1).prompt_lm(lm.clone());
    let e = copro.compile(&student, &train, None).await.unwrap_err();
    assert!(matches!(
        err(e),
        Some(OptimizeError::InvalidSetting {
            setting: "breadth",
            ..
        })
    ));

    // auto and explicit counts do not mix; auto off needs both counts.
    let both = MiproV2::new(exact())
        .num_candidates(3)
        .prompt_lm(lm.clone());
    let e = both
        .compile(&student, &train, Some(&val))
        .await
        .unwrap_err();
    assert!(matches!(
        err(e),
        Some(OptimizeError::InvalidSetting {
            setting: "auto",
            ..
        })
    ));
    let half = MiproV2::new(exact())
        .auto(None)
        .num_candidates(6)
        .prompt_lm(lm.clone());
    let e = half
        .compile(&student, &train, Some(&val))
        .await
        .unwrap_err();
    match err(e) {
        Some(OptimizeError::InvalidSetting {
            setting: "num_trials",
            reason,
        }) => {
            assert!(reason.contains("about 10"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // A minibatch larger than the valset, and a trainset too small to split.
    let big = MiproV2::new(exact())
        .auto(None)
        .num_candidates(3)
        .num_trials(3)
        .minibatch_size(100)
        .prompt_lm(lm.clone());
    let e = big.compile(&student, &train, Some(&val)).await.unwrap_err();
    assert!(matches!(
        err(e),
        Some(OptimizeError::InvalidSetting {
            setting: "minibatch_size",
            ..
        })
    ));
    let e = MiproV2::new(exact())
        .prompt_lm(lm)
        .compile(&student, &train[..1], None)
        .await
        .unwrap_err();
    assert!(matches!(
        err(e),
        Some(OptimizeError::TooFewExamples {
            needed: 2,
            got: 1,
            ..
        })
    ));
}
