//! GEPA (DSPy's `dspy.GEPA`, engine from the `gepa` package 0.1): reflective prompt evolution.
//!
//! A pool of candidates, each one instruction text per predictor, starts from the program's
//! own instructions. Every iteration picks a parent (from the per-example Pareto fronts of
//! validation scores), runs it with traces on a small minibatch of the trainset, and asks a
//! reflection LM, shown each run's inputs, outputs and the metric's *feedback*, to rewrite one
//! predictor's instructions. The child is kept only if it scores strictly better on the same
//! minibatch, then scored on the whole valset. Merges combine two candidates that improved
//! different predictors of a common ancestor. The run stops when its budget of metric calls is
//! used; the candidate with the best average validation score wins.
//!
//! Feedback comes from the metric: [`feedback_fn`](dspy_core::evaluate::feedback_fn) (DSPy's
//! five-argument metric) sees which predictor GEPA reflects on and its calls; any other
//! [`Metric`] works too, its [`Score::feedback`](dspy_core::evaluate::Score) used when set, else
//! `This trajectory got a score of {score}.` as in DSPy.
//!
//! **Same choices as DSPy.** Parents, minibatches, the call of a predictor shown to the
//! reflection LM, merges and their subsamples are drawn from [`PyRandom`](crate::random::PyRandom)
//! generators seeded like DSPy's (`seed`, default 0), in DSPy's order, and the reflection
//! prompt is DSPy's byte for byte (its `ProposeInstruction` signature through the JSON
//! adapter), so with the same LM replies a run makes the same choices as Python DSPy 3.4.1
//! (`cargo test -p dspy-optimize --test gepa_parity`); sets of candidate indices iterate in
//! CPython's hash-table order (emulated), which is not ascending once indices outgrow the
//! table. Known differences: a merge whose only common ancestor scores zero everywhere makes
//! DSPy raise, and is skipped here; a predictor's calls are matched by predictor, not by equal
//! signature; when a merge ties on two or more components, DSPy walks the component names in
//! string-hash order (it depends on `PYTHONHASHSEED`), we in predictor order; a metric error
//! while building the reflective data skips that example (DSPy stops the run).
//!
//! **Checkpoints.** With [`run_dir`](Gepa::run_dir), the state (pool, scores, counters and
//! both generators) is written there before every iteration; a run started again with the
//! same folder continues where it stopped and ends with the program an uninterrupted run
//! gives. (DSPy's `log_dir` re-runs the seed evaluation and restarts its generator.)
//! A `gepa.stop` file in the folder stops the run at the next iteration.
//!
//! ```no_run
//! use dspy_core::evaluate::{feedback_fn, Score};
//! use dspy_core::predict::Predict;
//! use dspy_optimize::gepa::{Budget, Gepa};
//! use dspy_optimize::mipro::Auto;
//! use dspy_optimize::Optimizer;
//! # async fn run(trainset: Vec<dspy_core::Example>, valset: Vec<dspy_core::Example>, reflection_lm: dspy_core::lm::SharedLm) -> Result<(), dspy_core::Error> {
//! let metric = feedback_fn(|example, prediction, _trace, _predictor| {
//!     let right = example.get("answer") == prediction.get("answer");
//!     let feedback = if right { "Correct.".to_string() } else {
//!         format!("Expected {:?}.", example.get("answer"))
//!     };
//!     Score::from(right).with_feedback(feedback)
//! });
//! let gepa = Gepa::new(metric, Budget::Auto(Auto::Light)).reflection_lm(reflection_lm);
//! let program = Predict::parse("question -> answer")?;
//! let optimized = gepa.compile(&program, &trainset, Some(&valset)).await?;
//! # let _ = optimized; Ok(()) }
//! ```

mod budget;
mod engine;
mod merge;
mod pyset;
mod reflect;
mod select;
mod state;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use dspy_core::evaluate::Metric;
use dspy_core::example::Example;
use dspy_core::lm::{BoxFuture, SharedLm};
use dspy_core::module::Module;
use dspy_core::Error;
use serde::{Deserialize, Serialize};

pub use budget::{auto_budget, Budget};
pub use select::{CandidateSelection, ComponentSelection};

use crate::report::{CompileReport, Compiled, InstructionCandidate};
use crate::{OptimizeError, Optimizer};
use engine::Run;
use state::State;

/// DSPy's `GEPA` optimizer; see the [module docs](self).
#[derive(Clone)]
pub struct Gepa {
    metric: Arc<dyn Metric>,
    budget: Budget,
    /// The LM that rewrites instructions (default: the configured LM). DSPy recommends a
    /// strong one.
    pub reflection_lm: Option<SharedLm>,
    /// Trainset examples per reflection (DSPy default 3).
    pub reflection_minibatch_size: usize,
    /// How parents are chosen (default Pareto).
    pub candidate_selection: CandidateSelection,
    /// Which predictors one reflection rewrites (default round robin).
    pub component_selection: ComponentSelection,
    /// Skip reflecting when the parent is perfect on the whole minibatch (default true).
    pub skip_perfect_score: bool,
    /// Try merges between Pareto candidates (DSPy default true).
    pub use_merge: bool,
    /// Most merges tried (default 5).
    pub max_merge_invocations: usize,
    /// The score of an example whose run or metric failed (default 0).
    pub failure_score: f64,
    /// The best score a metric gives (default 1).
    pub perfect_score: f64,
    /// Examples run at once (default: `settings::num_threads`).
    pub num_threads: Option<usize>,
    /// Seeds both generators (DSPy default 0).
    pub seed: u64,
    /// Folder for the run's state; a run restarted with it resumes (DSPy's `log_dir`).
    pub run_dir: Option<PathBuf>,
}

impl fmt::Debug for Gepa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gepa")
            .field("budget", &self.budget)
            .field("reflection_minibatch_size", &self.reflection_minibatch_size)
            .field("candidate_selection", &self.candidate_selection)
            .field("component_selection", &self.component_selection)
            .field("use_merge", &self.use_merge)
            .field("seed", &self.seed)
            .field("run_dir", &self.run_dir)
            .finish_non_exhaustive()
    }
}

impl Gepa {
    /// GEPA with DSPy's defaults, scoring with `metric` within `budget`.
    pub fn new(metric: impl Metric + 'static, budget: Budget) -> Gepa {
        Gepa {
            metric: Arc::new(metric),
            budget,
            reflection_lm: None,
            reflection_minibatch_size: 3,
            candidate_selection: CandidateSelection::Pareto,
            component_selection: ComponentSelection::RoundRobin,
            skip_perfect_score: true,
            use_merge: true,
            max_merge_invocations: 5,
            failure_score: 0.0,
            perfect_score: 1.0,
            num_threads: None,
            seed: 0,
            run_dir: None,
        }
    }

    /// Uses `lm` to rewrite instructions.
    pub fn reflection_lm(mut self, lm: SharedLm) -> Gepa {
        self.reflection_lm = Some(lm);
        self
    }

    /// Keeps the run's state in `dir`, resuming from it when it holds one.
    pub fn run_dir(mut self, dir: impl Into<PathBuf>) -> Gepa {
        self.run_dir = Some(dir.into());
        self
    }

    /// Seeds the generators.
    pub fn seed(mut self, seed: u64) -> Gepa {
        self.seed = seed;
        self
    }

    /// Runs GEPA on `student`, returning the best program and every candidate's history.
    /// Without a valset the trainset is the valset, as in DSPy.
    pub async fn run<P: Module + Clone>(
        &self,
        student: &P,
        trainset: &[Example],
        valset: Option<&[Example]>,
    ) -> Result<GepaResult<P>, Error> {
        if trainset.is_empty() {
            return Err(OptimizeError::EmptyTrainset.into());
        }
        if self.reflection_minibatch_size == 0 {
            return Err(OptimizeError::InvalidSetting {
                setting: "reflection_minibatch_size",
                reason: "is 0; it needs at least 1 (DSPy's default is 3)".into(),
            }
            .into());
        }
        let predictors = student.named_predictors();
        if predictors.is_empty() {
            return Err(OptimizeError::InvalidSetting {
                setting: "student",
                reason: "has no predictors, so there are no instructions to optimize".into(),
            }
            .into());
        }
        let names: Vec<String> = predictors.iter().map(|(n, _)| n.clone()).collect();
        let seed: Vec<String> = predictors
            .iter()
            .map(|(_, p)| p.signature().instructions().to_string())
            .collect();
        let given = valset.filter(|v| !v.is_empty());
        let budget =
            self.budget
                .metric_calls(names.len(), trainset.len(), given.map(<[Example]>::len));
        let valset = given.unwrap_or(trainset);
        let run = Run {
            gepa: self,
            student,
            names: names.clone(),
            trainset,
            valset,
            budget,
        };
        let resumed = match &self.run_dir {
            Some(dir) => State::load(dir, names.len(), trainset.len(), valset.len())?,
            None => None,
        };
        let mut state = match resumed {
            Some(state) => state,
            None => {
                let all: Vec<&Example> = valset.iter().collect();
                let scores = run.evaluate(&seed, &all).await;
                State::new(seed, scores.iter().map(|o| o.score).collect(), self.seed)
            }
        };
        run.run(&mut state).await?;

        let averages = state.averages();
        let best = select::best_index(&averages);
        let candidates = state
            .candidates
            .iter()
            .enumerate()
            .map(|(i, texts)| GepaCandidate {
                instructions: names.iter().cloned().zip(texts.iter().cloned()).collect(),
                parents: state.parents[i].clone(),
                val_scores: state.val_scores[i].clone(),
                average: averages[i],
                discovered_at: state.discovery[i],
            })
            .collect();
        Ok(GepaResult {
            program: run.build(&state.candidates[best]),
            best,
            candidates,
            pareto_fronts: state.fronts.iter().map(|f| f.iter().collect()).collect(),
            iterations: state.iterations,
            metric_calls: state.metric_calls,
            full_evals: state.full_evals,
            budget,
        })
    }
}

/// What [`Gepa::run`] found (DSPy's `detailed_results`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GepaResult<P> {
    /// The student with the best candidate's instructions.
    pub program: P,
    /// The best candidate's index (highest average validation score, first on ties).
    pub best: usize,
    /// Every candidate, in the order found (0 is the student's own instructions).
    pub candidates: Vec<GepaCandidate>,
    /// Per validation example, the candidates with its best score.
    pub pareto_fronts: Vec<Vec<usize>>,
    /// Every iteration, in order.
    pub iterations: Vec<Iteration>,
    /// Metric calls made (the budget's unit; the last iteration may pass the budget).
    pub metric_calls: usize,
    /// Full validation passes (1 + candidates added).
    pub full_evals: usize,
    /// The budget, in metric calls.
    pub budget: usize,
}

/// One candidate of the pool.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GepaCandidate {
    /// `(predictor name, instructions)`, in `named_predictors` order.
    pub instructions: Vec<(String, String)>,
    /// The candidate it came from (two for a merge; none for the student's).
    pub parents: Vec<usize>,
    /// Its score on each validation example.
    pub val_scores: Vec<f64>,
    /// Their average.
    pub average: f64,
    /// Metric calls made before it was scored on the valset.
    pub discovered_at: usize,
}

/// One iteration of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Iteration {
    /// 0-based (DSPy's logs count from 1).
    pub iteration: usize,
    /// The parent, or the two merged candidates.
    pub parents: Vec<usize>,
    /// A merge rather than a reflection.
    pub merge: bool,
    /// A merge's common ancestor.
    pub ancestor: Option<usize>,
    /// The predictors rewritten (reflections).
    pub components: Vec<String>,
    /// The trainset minibatch (reflection) or validation subsample (merge), by index.
    pub examples: Vec<usize>,
    /// The parent's minibatch scores (reflection), or each parent's subsample sum (merge).
    pub parent_scores: Vec<f64>,
    /// The child's scores on the same examples (empty when none was built).
    pub child_scores: Vec<f64>,
    /// What came of it.
    pub outcome: IterationOutcome,
    /// The new candidate's index, when one was added.
    pub candidate: Option<usize>,
    /// Metric calls made by the end of the iteration.
    pub metric_calls: usize,
}

/// What came of an iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IterationOutcome {
    /// The child was kept and scored on the valset.
    Accepted,
    /// The child did no better on the minibatch (or the merge on its subsample).
    Rejected,
    /// The parent was perfect on the minibatch, or every run failed.
    Skipped,
    /// No reflective data or no usable proposal.
    NothingProposed,
}

impl Optimizer for Gepa {
    fn compile_with_report<'a, P: Module + Clone + 'a>(
        &'a self,
        student: &'a P,
        trainset: &'a [Example],
        valset: Option<&'a [Example]>,
    ) -> BoxFuture<'a, Result<Compiled<P>, Error>> {
        Box::pin(async move {
            let result = self.run(student, trainset, valset).await?;
            let mut report = CompileReport::new("GEPA", student, &result.program);
            report.instruction_candidates = result
                .candidates
                .iter()
                .enumerate()
                .flat_map(|(index, c)| {
                    c.instructions
                        .iter()
                        .map(move |(name, text)| InstructionCandidate {
                            predictor: name.clone(),
                            instruction: text.clone(),
                            prefix: None,
                            depth: index,
                            score: c.average * 100.0,
                        })
                })
                .collect();
            Ok(Compiled::new(result.program, report))
        })
    }
}
