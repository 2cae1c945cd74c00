//! Demo candidate sets, built as DSPy's `create_n_fewshot_demo_sets` builds them for MIPROv2.

use futures_util::stream::{self, StreamExt};

use crate::bootstrap::BootstrapFewShot;
use crate::labeled::LabeledFewShot;
use crate::random::PyRandom;
use crate::reset_copy;
use dspy_core::example::Example;
use dspy_core::module::Module;
use dspy_core::Error;

/// Demo sets per predictor: `sets[p][s]` is the demos of set `s` for predictor `p`.
pub(crate) type DemoSets = Vec<Vec<Vec<Example>>>;

/// How one set is built (DSPy's seeds -3, -2, -1, then shuffled ones).
enum Plan {
    ZeroShot,
    Labeled,
    Unshuffled,
    Shuffled { trainset: Vec<Example>, size: usize },
}

/// Builds `count` demo sets: zero-shot, labeled-only (when `max_labeled > 0`), a plain
/// bootstrap, then bootstraps on shuffled trainsets with a random number of demos in
/// `1..=max_bootstrapped`. The shuffles and sizes are drawn from `rng` in DSPy's order before
/// any set is built; the sets are then built `concurrency` at a time.
///
/// As in DSPy, the labeled-only slot becomes a shuffled bootstrap when `max_labeled` is 0.
/// Where DSPy fails (`max_bootstrapped` 0 with a shuffled set to build), a shuffled set gets
/// no bootstrapped demos, only labeled ones.
pub(crate) async fn demo_sets<P: Module + Clone>(
    student: &P,
    trainset: &[Example],
    count: usize,
    template: &BootstrapFewShot,
    rng: &mut PyRandom,
    concurrency: usize,
) -> Result<DemoSets, Error> {
    let plans: Vec<Plan> = (-3..count as i64 - 3)
        .map(|seed| match seed {
            -3 => Plan::ZeroShot,
            -2 if template.max_labeled_demos > 0 => Plan::Labeled,
            -1 => Plan::Unshuffled,
            _ => {
                let mut shuffled = trainset.to_vec();
                rng.shuffle(&mut shuffled);
                let size = rng
                    .randint(1, template.max_bootstrapped_demos as i64)
                    .unwrap_or(0) as usize;
                Plan::Shuffled {
                    trainset: shuffled,
                    size,
                }
            }
        })
        .collect();

    let builds: Vec<_> = plans
        .iter()
        .map(|plan| async move {
            match plan {
                Plan::ZeroShot => Ok(reset_copy(student)),
                Plan::Labeled => Ok(LabeledFewShot::new(template.max_labeled_demos)
                    .sample(true)
                    .apply(student, trainset)),
                Plan::Unshuffled => Ok(template.run(student, trainset).await?.program),
                Plan::Shuffled { trainset, size } => {
                    let boot = BootstrapFewShot {
                        max_bootstrapped_demos: *size,
                        ..template.clone()
                    };
                    Ok::<P, Error>(boot.run(student, trainset).await?.program)
                }
            }
        })
        .collect();
    let programs: Vec<Result<P, Error>> = stream::iter(builds)
        .buffered(concurrency.max(1))
        .collect()
        .await;

    let predictors = student.named_predictors().len();
    let mut sets: DemoSets = vec![Vec::new(); predictors];
    for program in programs {
        let program = program?;
        for (p, (_, predictor)) in program.named_predictors().into_iter().enumerate() {
            if let Some(slot) = sets.get_mut(p) {
                slot.push(predictor.demos().to_vec());
            }
        }
    }
    Ok(sets)
}
