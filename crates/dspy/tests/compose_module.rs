//! Composite modules as fields of a `#[module]` program: DSPy's names, optimizers, a typed call.

use std::sync::Arc;

use dspy::core::compose::{reward_fn, BestOfN, Parallel, Refine};
use dspy::core::signature::{from_values, to_values};
use dspy::optimize::{LabeledFewShot, Optimizer};
use dspy::prelude::*;
use dspy_testkit::ScriptedLm;

/// Answer questions with short factoid answers.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

/// Answers with the best of three tries, then polishes a summary.
#[module]
#[derive(Debug, Clone)]
struct Careful {
    best: BestOfN<ChainOfThought<QA>>,
    polish: Refine<Predict<QA>>,
    runner: Parallel,
}

impl Careful {
    fn new() -> Careful {
        let one_word = || reward_fn(|_, p| p.get_str("answer").is_some_and(|a| !a.contains(' ')));
        Careful {
            best: BestOfN::new(ChainOfThought::new(), 3, one_word(), 1.0),
            polish: Refine::new(Predict::new(), 2, one_word(), 1.0),
            runner: Parallel::new(),
        }
    }

    async fn forward(&self, input: QAInput) -> Result<QAOutput, Error> {
        let first = self.best.forward(to_values(&input)?).await?;
        let again = QAInput {
            question: format!("Is it {}?", first.get_str("answer").unwrap_or("")),
        };
        Ok(from_values(
            self.polish.forward(to_values(&again)?).await?.into_values(),
        )?)
    }
}

#[tokio::test]
async fn composite_fields_are_seen_by_optimizers_and_run_typed() {
    let program = Careful::new();
    let names: Vec<String> = program
        .named_predictors()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["best.module.predict", "polish.module"]);

    let trainset: Vec<Example> = (0..3)
        .map(|i| {
            Example::new()
                .with("question", format!("q{i}"))
                .with("answer", "a")
                .with_inputs(["question"])
        })
        .collect();
    let mut compiled = LabeledFewShot::new(2)
        .compile(&program, &trainset, None)
        .await
        .unwrap();
    for (name, p) in compiled.named_predictors() {
        assert_eq!(p.demos().len(), 2, "{name}");
    }
    let state = compiled.dump_state();
    assert!(
        state.get("best.module.predict").is_some() && state.get("polish.module").is_some(),
        "{state}"
    );

    let lm = Arc::new(ScriptedLm::from_outputs([
        vec![("reasoning", "It is the capital."), ("answer", "Brussels")],
        vec![("answer", "Yes")],
    ]));
    compiled.set_lm(lm.clone());
    let out = Module::forward(
        &compiled,
        to_values(&QAInput {
            question: "Capital of Belgium?".into(),
        })
        .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(out.get_str("answer"), Some("Yes"));
    assert_eq!(lm.requests()[1].rollout_id, Some(0));
}
