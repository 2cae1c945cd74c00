//! MIPROv2's search: TPE over (instruction, demo set) per predictor, minibatch trials and
//! periodic full evaluations, as DSPy's `_optimize_prompt_parameters` runs them.

use indicatif::{ProgressBar, ProgressDrawTarget};

use super::{Budget, DemoSets, MiproV2};
use crate::random::PyRandom;
use crate::tpe::TpeSampler;
use crate::{Candidate, CandidateReport, TrialReport};
use dspy_core::evaluate::Evaluate;
use dspy_core::example::Example;
use dspy_core::module::Module;

/// What the search needs.
pub(super) struct Search<'a, P> {
    pub(super) mipro: &'a MiproV2,
    pub(super) program: &'a P,
    pub(super) instructions: &'a [Vec<String>],
    pub(super) demo_sets: Option<&'a DemoSets>,
    pub(super) evaluate: &'a Evaluate,
    pub(super) valset: &'a [Example],
    pub(super) budget: Budget,
}

/// What the search found.
pub(super) struct Outcome<P> {
    pub(super) best: P,
    pub(super) trials: Vec<TrialReport>,
    pub(super) candidates: Vec<Candidate<P>>,
    pub(super) evaluations: usize,
    pub(super) errors: usize,
}

/// Minibatch scores of one combination, and its program (from its first trial).
struct Combo<P> {
    params: Vec<usize>,
    scores: Vec<f64>,
    program: P,
}

impl<P: Module + Clone> Search<'_, P> {
    /// The TPE parameters: per predictor its instruction, then its demo set when demos are
    /// optimized.
    fn choices(&self) -> Vec<usize> {
        let mut choices = Vec::new();
        for (p, instructions) in self.instructions.iter().enumerate() {
            choices.push(instructions.len().max(1));
            if let Some(sets) = self.demo_sets {
                choices.push(sets.get(p).map_or(1, |s| s.len().max(1)));
            }
        }
        choices
    }

    /// The program with the instructions and demos `params` pick.
    fn build(&self, params: &[usize]) -> P {
        let mut program = self.program.clone();
        let step = if self.demo_sets.is_some() { 2 } else { 1 };
        for (p, (_, predictor)) in program.named_predictors_mut().into_iter().enumerate() {
            let pick = |k: usize| params.get(p * step + k).copied().unwrap_or(0);
            if let Some(text) = self.instructions.get(p).and_then(|c| c.get(pick(0))) {
                predictor.set_instructions(text.clone());
            }
            if let Some(sets) = self.demo_sets {
                if let Some(demos) = sets.get(p).and_then(|s| s.get(pick(1))) {
                    predictor.set_demos(demos.clone());
                }
            }
        }
        program
    }

    /// Scores `program` on `examples`; a failed evaluation scores 0, as in DSPy.
    async fn score(&self, program: &P, examples: Option<Vec<Example>>, errors: &mut usize) -> f64 {
        let result = match examples {
            None => self.evaluate.run(program, &*self.mipro.metric).await,
            Some(batch) => {
                let evaluate = self.evaluate.clone().with_devset(batch);
                evaluate.run(program, &*self.mipro.metric).await
            }
        };
        match result {
            Ok(r) => r.score,
            Err(error) => {
                tracing::error!(%error, "evaluating a MIPROv2 candidate failed; it scores 0");
                *errors += 1;
                0.0
            }
        }
    }

    /// Runs the search, drawing minibatches from `rng`.
    pub(super) async fn run(&self, rng: &mut PyRandom) -> Outcome<P> {
        let n_val = self.valset.len();
        let steps = self.mipro.minibatch_full_eval_steps.max(1);
        let budget = self.budget;
        let minibatch = budget.minibatch;
        let adjusted = if minibatch {
            budget.trials
                + budget.trials / steps
                + 1
                + usize::from(!budget.trials.is_multiple_of(steps))
        } else {
            budget.trials
        };
        let progress = if self.mipro.display_progress {
            ProgressBar::with_draw_target(Some(adjusted as u64), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        let mut errors = 0usize;

        // Trial 1: the default program on the whole valset.
        let choices = self.choices();
        let default = vec![0; choices.len()];
        let default_score = self.score(self.program, None, &mut errors).await;
        progress.inc(1);
        let mut examples = n_val;
        let mut trials = vec![self.report(1, &default, default_score, true, examples)];
        let mut full: Vec<(f64, usize, P)> = vec![(default_score, 1, self.program.clone())];
        let (mut best_score, mut best) = (default_score, self.program.clone());
        let mut tpe = TpeSampler::new(choices, self.mipro.seed);
        tpe.tell(default.clone(), default_score);

        let mut combos: Vec<Combo<P>> = Vec::new();
        let mut fully_scored: Vec<Vec<usize>> = Vec::new();
        // Optuna's trial numbers: the default trial is 0, full evaluations take one each.
        let mut next_number = 1usize;
        for _ in 0..budget.trials {
            let trial_num = next_number + 1;
            next_number += 1;
            let params = tpe.ask();
            let candidate = self.build(&params);
            let picked = if minibatch {
                let indices: Vec<usize> = (0..n_val).collect();
                let k = self.mipro.minibatch_size.min(n_val);
                rng.sample(&indices, k).unwrap_or(indices)
            } else {
                Vec::new()
            };
            let batch = minibatch.then(|| {
                picked
                    .iter()
                    .map(|&i| self.valset[i].clone())
                    .collect::<Vec<_>>()
            });
            let size = batch.as_ref().map_or(n_val, Vec::len);
            let score = self.score(&candidate, batch, &mut errors).await;
            examples += size;
            progress.inc(1);
            tracing::info!(
                trial = trial_num,
                score,
                ?params,
                full = !minibatch,
                "MIPROv2 trial"
            );
            let mut report = self.report(trial_num, &params, score, !minibatch, examples);
            report.minibatch = picked;
            trials.push(report);
            tpe.tell(params.clone(), score);
            if !minibatch {
                if score > best_score {
                    best_score = score;
                    best = candidate.clone();
                }
                full.push((score, trial_num, candidate));
                continue;
            }
            match combos.iter_mut().find(|c| c.params == params) {
                Some(combo) => combo.scores.push(score),
                None => combos.push(Combo {
                    params: params.clone(),
                    scores: vec![score],
                    program: candidate,
                }),
            }

            if trial_num.is_multiple_of(steps + 1) || trial_num + 1 == adjusted {
                // Full evaluation of the best-by-mean combination not yet fully scored.
                let mut ranked: Vec<&Combo<P>> = combos.iter().collect();
                let mean = |c: &Combo<P>| c.scores.iter().sum::<f64>() / c.scores.len() as f64;
                ranked.sort_by(|a, b| mean(b).total_cmp(&mean(a)));
                let Some(top) = ranked
                    .into_iter()
                    .find(|c| !fully_scored.contains(&c.params))
                else {
                    tracing::info!("every combination tried is fully scored already");
                    continue;
                };
                let (params, program) = (top.params.clone(), top.program.clone());
                next_number += 1;
                let score = self.score(&program, None, &mut errors).await;
                examples += n_val;
                progress.inc(1);
                tracing::info!(
                    trial = trial_num + 1,
                    score,
                    ?params,
                    "MIPROv2 full evaluation"
                );
                trials.push(self.report(trial_num + 1, &params, score, true, examples));
                tpe.tell(params.clone(), score);
                fully_scored.push(params);
                if score > best_score {
                    best_score = score;
                    best = program.clone();
                }
                full.push((score, trial_num + 1, program));
            }
        }
        progress.finish_and_clear();

        full.sort_by(|a, b| b.0.total_cmp(&a.0));
        let candidates = full
            .into_iter()
            .map(|(score, number, program)| Candidate {
                report: CandidateReport {
                    seed: number as i64,
                    score,
                    subscores: Vec::new(),
                    bootstrapped: 0,
                    error: None,
                },
                program,
            })
            .collect();
        Outcome {
            best,
            trials,
            candidates,
            evaluations: examples,
            errors,
        }
    }

    fn report(
        &self,
        number: usize,
        params: &[usize],
        score: f64,
        full_eval: bool,
        examples_so_far: usize,
    ) -> TrialReport {
        let (instructions, demo_sets) = if self.demo_sets.is_some() {
            (
                params.iter().step_by(2).copied().collect(),
                params.iter().skip(1).step_by(2).copied().collect(),
            )
        } else {
            (params.to_vec(), Vec::new())
        };
        TrialReport {
            number,
            instructions,
            demo_sets,
            score,
            full_eval,
            minibatch: Vec::new(),
            examples_so_far,
        }
    }
}
