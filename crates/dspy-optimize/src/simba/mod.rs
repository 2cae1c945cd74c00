//! SIMBA (DSPy's `dspy.SIMBA`): stochastic introspective mini-batch ascent.
//!
//! Each step takes the next minibatch of the trainset, runs programs sampled from the best so
//! far (softmax over their average scores) on copies of the LM at temperature 1 with distinct
//! rollout ids, and groups the runs by example. Where the runs disagree most (buckets sorted by
//! the gap between best and worst score, then the best score, then best minus mean), it builds
//! new candidates from a sampled program: drop a few demos (a Poisson draw), then either append
//! the best run as demos or append a rule an LM wrote by contrasting the best and worst runs
//! (DSPy's `OfferFeedback` prompt, byte for byte). The candidates are scored on the minibatch;
//! the best of each step are finally scored on the whole trainset and the best one returned.
//!
//! **Same choices as DSPy.** Every draw comes from the generators DSPy uses, seeded alike: a
//! [`PyRandom`] for shuffles, program samples, demo drops and strategies, and numpy's
//! `default_rng` ([`NumpyRandom`]) for the number of demos dropped, in DSPy 3.4.1's order; with
//! the same LM replies a run makes the same choices (`cargo test -p dspy-optimize --test
//! simba_parity`). DSPy shows the rule LM the program's Python source (`program_code`); a Rust
//! program has none, so [`program_code`](Simba::program_code) is what the rule LM sees (by default
//! [`describe_module`]'s text, as for `Refine`).

mod sample;
mod strategy;

use std::fmt;
use std::sync::Arc;

use dspy_core::compose::describe_module;
use dspy_core::evaluate::Metric;
use dspy_core::example::Example;
use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};
use dspy_core::module::{Module, ModuleExt};
use dspy_core::trace::with_trace;
use dspy_core::{settings, Error};
use futures_util::stream::{self, StreamExt};
use serde_json::{Map, Value};

use crate::numpy_random::{percentile, NumpyRandom};
use crate::random::PyRandom;
use crate::report::{CompileReport, Compiled};
use crate::{OptimizeError, Optimizer};
use sample::{average, bucket_order, round_half_even, softmax_sample, top_k_plus_baseline};
use strategy::{append_a_demo, append_a_rule, RuleContext, Trajectory};

/// DSPy's `SIMBA` optimizer; see the [module docs](self).
#[derive(Clone)]
pub struct Simba {
    metric: Arc<dyn Metric>,
    /// Examples per step (DSPy default 32).
    pub bsize: usize,
    /// LM copies per step, and new candidates per step minus one (default 6).
    pub num_candidates: usize,
    /// Steps (default 8).
    pub max_steps: usize,
    /// Most demos per predictor; 0 turns the demo strategy off (default 4).
    pub max_demos: usize,
    /// The LM that writes rules (default: the configured LM).
    pub prompt_lm: Option<SharedLm>,
    /// An LM that replaces the first LM copy (DSPy's `teacher_settings={"lm": ...}`).
    pub teacher_lm: Option<SharedLm>,
    /// Demo inputs longer than this many characters are cut (default 100,000).
    pub demo_input_field_maxlen: usize,
    /// Runs at once (default: `settings::num_threads`).
    pub num_threads: Option<usize>,
    /// Softmax temperature when sampling programs to run (default 0.2).
    pub temperature_for_sampling: f64,
    /// Softmax temperature when sampling programs to change (default 0.2).
    pub temperature_for_candidates: f64,
    /// What the rule LM is shown as the program's code.
    pub program_code: Option<String>,
    /// Seeds both generators (default 0).
    pub seed: u64,
}

impl fmt::Debug for Simba {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simba")
            .field("bsize", &self.bsize)
            .field("num_candidates", &self.num_candidates)
            .field("max_steps", &self.max_steps)
            .field("max_demos", &self.max_demos)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimbaStep {
    /// The minibatch, as trainset indices.
    pub batch: Vec<usize>,
    /// The program run per (LM copy, example), copy-major.
    pub sampled: Vec<usize>,
    /// The runs' scores, in the same order.
    pub scores: Vec<f64>,
    /// The batch positions in the order their buckets were used.
    pub bucket_order: Vec<usize>,
    /// The candidates built.
    pub candidates: Vec<SimbaCandidate>,
}

/// A candidate built in a step.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimbaCandidate {
    /// The program it was built from.
    pub source: usize,
    /// Demo positions dropped before the strategy (with repeats).
    pub dropped: Vec<usize>,
    /// `true` for the rule strategy, `false` for the demo strategy.
    pub rule: bool,
    /// Its minibatch scores (empty when the strategy failed and it was discarded).
    pub scores: Vec<f64>,
}

/// What [`Simba::run`] found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SimbaResult<P> {
    /// The best program on the trainset.
    pub program: P,
    /// The programs scored on the trainset (the student first) with their average scores.
    pub finalists: Vec<(P, f64)>,
    /// Every step, in order.
    pub steps: Vec<SimbaStep>,
}

impl Simba {
    /// SIMBA with DSPy's defaults.
    pub fn new(metric: impl Metric + 'static) -> Simba {
        Simba {
            metric: Arc::new(metric),
            bsize: 32,
            num_candidates: 6,
            max_steps: 8,
            max_demos: 4,
            prompt_lm: None,
            teacher_lm: None,
            demo_input_field_maxlen: 100_000,
            num_threads: None,
            temperature_for_sampling: 0.2,
            temperature_for_candidates: 0.2,
            program_code: None,
            seed: 0,
        }
    }

    fn concurrency(&self) -> usize {
        self.num_threads
            .unwrap_or_else(settings::num_threads)
            .max(1)
    }

    /// Runs each (program, example) pair, in order.
    async fn run_all<P: Module>(&self, runs: Vec<(&P, &Example)>) -> Vec<Trajectory> {
        let metric = &*self.metric;
        let futures: Vec<_> = runs
            .into_iter()
            .map(|(program, example)| run_one(program, example, metric))
            .collect();
        stream::iter(futures)
            .buffered(self.concurrency())
            .collect()
            .await
    }

    /// Runs SIMBA on `student` with `trainset`.
    pub async fn run<P: Module + Clone>(
        &self,
        student: &P,
        trainset: &[Example],
    ) -> Result<SimbaResult<P>, Error> {
        for (setting, value) in [
            ("bsize", self.bsize),
            ("num_candidates", self.num_candidates),
        ] {
            if value == 0 {
                return Err(OptimizeError::InvalidSetting {
                    setting,
                    reason: "is 0; it needs at least 1".into(),
                }
                .into());
            }
        }
        if trainset.len() < self.bsize {
            return Err(OptimizeError::TooFewExamples {
                needed: self.bsize,
                got: trainset.len(),
                what: "trainset (SIMBA needs at least bsize examples)",
            }
            .into());
        }
        let base_lm = student
            .named_predictors()
            .into_iter()
            .find_map(|(_, p)| p.lm().cloned())
            .or_else(settings::lm)
            .ok_or(Error::NoLm)?;
        let mut rng = PyRandom::new(self.seed);
        let mut rng_np = NumpyRandom::new(u128::from(self.seed));
        let mut programs: Vec<P> = vec![student.clone()];
        let mut scores: Vec<Vec<f64>> = vec![Vec::new()];
        let mut winners: Vec<P> = vec![student.clone()];
        let mut order: Vec<usize> = (0..trainset.len()).collect();
        rng.shuffle(&mut order);
        let mut next = 0usize;
        let mut steps = Vec::with_capacity(self.max_steps);
        let program_code = self
            .program_code
            .clone()
            .unwrap_or_else(|| describe_module(student));

        let models: Vec<SharedLm> = (0..self.num_candidates)
            .map(|i| -> SharedLm {
                match (&self.teacher_lm, i) {
                    (Some(teacher), 0) => Arc::new(Resample {
                        inner: teacher.clone(),
                        rollout_id: 0,
                        temperature: None,
                    }),
                    _ => Arc::new(Resample {
                        inner: base_lm.clone(),
                        rollout_id: i as u64,
                        temperature: Some(1.0),
                    }),
                }
            })
            .collect();

        for _ in 0..self.max_steps {
            if next + self.bsize > trainset.len() {
                rng.shuffle(&mut order);
                next = 0;
            }
            let batch: Vec<usize> = order[next..next + self.bsize].to_vec();
            next += self.bsize;
            let examples: Vec<&Example> = batch.iter().map(|&i| &trainset[i]).collect();

            let averages: Vec<f64> = scores.iter().map(|s| average(s)).collect();
            let top = top_k_plus_baseline(&averages, self.num_candidates);
            let mut sampled = Vec::with_capacity(models.len() * examples.len());
            let mut copies = Vec::with_capacity(sampled.capacity());
            for model in &models {
                for _ in &examples {
                    let chosen =
                        softmax_sample(&mut rng, &top, &averages, self.temperature_for_sampling);
                    sampled.push(chosen);
                    let mut copy = programs[chosen].clone();
                    copy.set_lm(model.clone());
                    copies.push(copy);
                }
            }
            let runs = copies
                .iter()
                .zip(examples.iter().cycle())
                .map(|(copy, example)| (copy, *example))
                .collect();
            let trajectories = self.run_all(runs).await;
            let run_scores: Vec<f64> = trajectories.iter().map(|t| t.score).collect();
            let p10 = percentile(&run_scores, 10.0).unwrap_or(0.0);
            let p90 = percentile(&run_scores, 90.0).unwrap_or(0.0);
            let buckets = bucket_order(&run_scores, self.bsize, models.len());

            let mut built: Vec<(P, SimbaCandidate)> = Vec::new();
            for (position, members) in &buckets {
                let bucket: Vec<&Trajectory> = members
                    .iter()
                    .map(|&m| &trajectories[m * self.bsize + position])
                    .collect();
                let top = top_k_plus_baseline(&averages, self.num_candidates);
                let source =
                    softmax_sample(&mut rng, &top, &averages, self.temperature_for_candidates);
                let mut candidate = programs[source].clone();
                let dropped = drop_demos(&mut candidate, self.max_demos, &mut rng, &mut rng_np);
                let rule = if self.max_demos > 0 {
                    rng.randbelow(2) == 1
                } else {
                    rng.randbelow(1);
                    true
                };
                let outcome = if rule {
                    let context = RuleContext {
                        example: examples[*position],
                        program_code: &program_code,
                        p10,
                        p90,
                        prompt_lm: self.prompt_lm.as_ref(),
                    };
                    append_a_rule(&bucket, &mut candidate, &context).await
                } else {
                    append_a_demo(&bucket, &mut candidate, p10, self.demo_input_field_maxlen);
                    Ok(())
                };
                if let Err(error) = outcome {
                    tracing::warn!(%error, "SIMBA: a strategy failed; its candidate is dropped");
                    continue;
                }
                let info = SimbaCandidate {
                    source,
                    dropped,
                    rule,
                    scores: Vec::new(),
                };
                built.push((candidate, info));
                if built.len() > self.num_candidates {
                    break;
                }
            }

            let runs: Vec<(&P, &Example)> = built
                .iter()
                .flat_map(|(c, _)| examples.iter().map(move |e| (c, *e)))
                .collect();
            let results = self.run_all(runs).await;
            let mut best: Option<(usize, f64)> = None;
            for (k, (_, info)) in built.iter_mut().enumerate() {
                info.scores = results[k * self.bsize..(k + 1) * self.bsize]
                    .iter()
                    .map(|t| t.score)
                    .collect();
                let avg = info.scores.iter().sum::<f64>() / self.bsize as f64;
                if best.is_none_or(|(_, b)| avg > b) {
                    best = Some((k, avg));
                }
            }
            if let Some((k, _)) = best {
                winners.push(built[k].0.clone());
            }
            let mut infos = Vec::with_capacity(built.len());
            for (candidate, info) in built {
                programs.push(candidate);
                scores.push(info.scores.clone());
                infos.push(info);
            }
            steps.push(SimbaStep {
                batch,
                sampled,
                scores: run_scores,
                bucket_order: buckets.iter().map(|(p, _)| *p).collect(),
                candidates: infos,
            });
        }

        // The step winners, spread evenly, scored on the whole trainset.
        let m = winners.len() - 1;
        let n = self.num_candidates + 1;
        let mut picks: Vec<usize> = if m < 1 {
            vec![0; n]
        } else {
            (0..n)
                .map(|i| round_half_even((i * m) as f64 / (n - 1) as f64))
                .collect()
        };
        let mut seen = Vec::new();
        picks.retain(|p| {
            let fresh = !seen.contains(p);
            seen.push(*p);
            fresh
        });
        let finalists: Vec<P> = picks.iter().map(|&i| winners[i].clone()).collect();
        let runs: Vec<(&P, &Example)> = finalists
            .iter()
            .flat_map(|p| trainset.iter().map(move |e| (p, e)))
            .collect();
        let results = self.run_all(runs).await;
        let finals: Vec<f64> = (0..finalists.len())
            .map(|k| {
                let chunk = &results[k * trainset.len()..(k + 1) * trainset.len()];
                chunk.iter().map(|t| t.score).sum::<f64>() / trainset.len() as f64
            })
            .collect();
        let mut best = 0;
        for (k, s) in finals.iter().enumerate() {
            if *s > finals[best] {
                best = k;
            }
        }
        Ok(SimbaResult {
            program: finalists[best].clone(),
            finalists: finalists.into_iter().zip(finals).collect(),
            steps,
        })
    }
}

/// DSPy's demo drop: `max(poisson(demos / max_demos), demos >= max_demos)` positions (at most
/// the demos there are), drawn with repeats; each predictor loses the demos at those positions.
fn drop_demos<P: Module>(
    program: &mut P,
    max_demos: usize,
    rng: &mut PyRandom,
    rng_np: &mut NumpyRandom,
) -> Vec<usize> {
    let limit = if max_demos > 0 { max_demos } else { 3 };
    let most = program
        .named_predictors()
        .iter()
        .map(|(_, p)| p.demos().len())
        .max()
        .unwrap_or(0);
    let drawn = rng_np.poisson(most as f64 / limit as f64).unwrap_or(0) as usize;
    let k = drawn.max(usize::from(most >= limit)).min(most);
    let positions: Vec<usize> = (0..k)
        .map(|_| rng.randbelow(most as u64) as usize)
        .collect();
    if !positions.is_empty() {
        for (_, predictor) in program.named_predictors_mut() {
            let kept: Vec<Example> = predictor
                .demos()
                .iter()
                .enumerate()
                .filter(|(i, _)| !positions.contains(i))
                .map(|(_, d)| d.clone())
                .collect();
            predictor.set_demos(kept);
        }
    }
    positions
}

/// One run: the program on the example with its trace, scored by the metric (0 when the
/// program or the metric fails, as in DSPy).
async fn run_one<P: Module>(program: &P, example: &Example, metric: &dyn Metric) -> Trajectory {
    let names = program
        .named_predictors()
        .into_iter()
        .map(|(n, p)| (p.id(), n))
        .collect();
    let mut out = Trajectory {
        prediction: None,
        trace: Vec::new(),
        score: 0.0,
        metadata: Map::new(),
        names,
    };
    let Ok(inputs) = example.inputs() else {
        return out;
    };
    let (result, trace) = with_trace(program.forward(inputs.into_values())).await;
    out.trace = trace;
    match result {
        Ok(prediction) => {
            if let Ok(score) = metric.score(example, &prediction, None).await {
                out.score = score.value;
                if let Some(feedback) = score.feedback {
                    out.metadata
                        .insert("feedback".into(), Value::String(feedback));
                }
            }
            out.prediction = Some(prediction);
        }
        Err(error) => tracing::warn!(%error, "SIMBA: a run failed; it scores 0"),
    }
    out
}

/// An LM copy with its own rollout id and temperature (DSPy's `lm.copy(rollout_id=...,
/// temperature=...)`): the values fill requests that set none.
#[derive(Debug)]
struct Resample {
    inner: SharedLm,
    rollout_id: u64,
    temperature: Option<f64>,
}

impl LanguageModel for Resample {
    fn call(&self, mut request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        request.params.rollout_id = request.params.rollout_id.or(Some(self.rollout_id));
        if let Some(t) = self.temperature {
            request.params.temperature = request.params.temperature.or(Some(t));
        }
        self.inner.call(request)
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn supports_function_calling(&self) -> bool {
        self.inner.supports_function_calling()
    }
}

impl Optimizer for Simba {
    fn compile_with_report<'a, P: Module + Clone + 'a>(
        &'a self,
        student: &'a P,
        trainset: &'a [Example],
        _valset: Option<&'a [Example]>,
    ) -> BoxFuture<'a, Result<Compiled<P>, Error>> {
        Box::pin(async move {
            let result = self.run(student, trainset).await?;
            let report = CompileReport::new("SIMBA", student, &result.program);
            Ok(Compiled::new(result.program, report))
        })
    }
}
