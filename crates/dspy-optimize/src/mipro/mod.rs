//! [`MiproV2`]: DSPy's MIPROv2, a Bayesian search over each predictor's instruction and demo
//! set, with instructions written by an LM ([`GroundedProposer`]).

mod demo_sets;
mod search;

use std::fmt;
use std::sync::Arc;

use crate::bootstrap::BootstrapFewShot;
use crate::propose::GroundedProposer;
use crate::random::PyRandom;
use crate::{CompileReport, Compiled, InstructionCandidate, OptimizeError, Optimizer};
use dspy_core::evaluate::{Evaluate, Metric};
use dspy_core::example::Example;
use dspy_core::lm::{BoxFuture, SharedLm};
use dspy_core::module::Module;
use dspy_core::{settings, Error};

pub(crate) use demo_sets::DemoSets;

/// MIPROv2's budgets (DSPy's `auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auto {
    /// 6 candidates, a valset of at most 100.
    Light,
    /// 12 candidates, a valset of at most 300.
    Medium,
    /// 18 candidates, a valset of at most 1000.
    Heavy,
}

impl Auto {
    /// Candidates (demo sets; instructions are half of it when demos are optimized too).
    pub fn candidates(self) -> usize {
        match self {
            Auto::Light => 6,
            Auto::Medium => 12,
            Auto::Heavy => 18,
        }
    }

    /// Most valset examples scored.
    pub fn val_size(self) -> usize {
        match self {
            Auto::Light => 100,
            Auto::Medium => 300,
            Auto::Heavy => 1000,
        }
    }
}

/// Below this valset size every trial scores the whole valset (DSPy's `MIN_MINIBATCH_SIZE`).
const MIN_MINIBATCH_SIZE: usize = 50;
/// Bootstrapped demos shown to the proposer in zero-shot mode.
const ZERO_SHOT_PROPOSER_DEMOS: usize = 3;

/// DSPy's trial count: `max(2 · V · log2(n), 1.5 · n)` with V the predictors, doubled when
/// demos are optimized too.
///
/// ```
/// use dspy_optimize::mipro::num_trials;
/// assert_eq!(num_trials(1, false, 6), 10); // light, one predictor, with demos
/// assert_eq!(num_trials(1, true, 6), 9);   // light, zero-shot
/// assert_eq!(num_trials(3, false, 12), 43);
/// ```
pub fn num_trials(predictors: usize, zero_shot: bool, candidates: usize) -> usize {
    let vars = if zero_shot {
        predictors
    } else {
        predictors * 2
    } as f64;
    let n = candidates.max(1) as f64;
    (2.0 * vars * n.log2()).max(1.5 * n) as usize
}

/// DSPy's `MIPROv2`: writes instruction candidates for every predictor, bootstraps demo
/// candidate sets, then searches the combinations with TPE (see below), scoring each trial on a
/// minibatch of the valset and the best combination on all of it every few trials.
///
/// Steps, as in DSPy 3.4.1:
/// 1. **Demo sets** (`num_candidates`, or `auto`'s): zero-shot, labeled-only, a plain
///    [`BootstrapFewShot`], then bootstraps of shuffled trainsets.
/// 2. **Instructions** on the prompt LM: a data-set summary, then one proposal per demo set
///    (at most the instruction count), each with a random tip; candidate 0 is the predictor's
///    own instruction. See [`GroundedProposer`].
/// 3. **Search**: the default program is scored on the whole valset and seeded as the first
///    trial; each trial picks an (instruction, demo set) per predictor with a TPE sampler
///    following Optuna's `TPESampler(multivariate=True)`, and scores a minibatch (35) when the
///    valset has more than 50 examples. Every 5 trials, and at the end, the combination with
///    the best mean minibatch score not yet fully scored is scored on the whole valset. The
///    best full score wins.
///
/// `auto` (default [`Auto::Light`]) sets the candidate counts, the valset size and the number
/// of trials; with `auto(None)` set [`num_candidates`](MiproV2::num_candidates) and
/// [`num_trials`](MiproV2::num_trials). With `max_bootstrapped_demos` and
/// `max_labeled_demos` both 0, only instructions are optimized (zero-shot).
///
/// Randomness comes from one `random.Random(seed)` as in DSPy (valset sample, shuffles,
/// tips, rollout ids, minibatches), so the demo sets, the proposer's prompts and the
/// minibatches are Python's for the same seed; the TPE sampler draws from its own generator
/// and is not bit-for-bit Optuna's. The same seed with a deterministic or cached LM gives the
/// same program.
///
/// ```no_run
/// use dspy_core::evaluate::metric_fn;
/// use dspy_optimize::mipro::{Auto, MiproV2};
/// use dspy_optimize::Optimizer;
/// use dspy_core::predict::Predict;
/// # async fn run(train: Vec<dspy_core::Example>, dev: Vec<dspy_core::Example>) -> Result<(), dspy_core::Error> {
/// let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
/// let mipro = MiproV2::new(exact).auto(Some(Auto::Light)).seed(9);
/// let student = Predict::parse("question -> answer").unwrap();
/// let compiled = mipro.compile_with_report(&student, &train, Some(&dev)).await?;
/// println!("{}", compiled.report);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MiproV2 {
    metric: Arc<dyn Metric>,
    /// The LM that writes instructions (default: the configured LM).
    pub prompt_lm: Option<SharedLm>,
    /// The LM the program runs on while optimizing (default: the configured LM).
    pub task_lm: Option<SharedLm>,
    /// The budget; `None` uses `num_candidates` and `num_trials`.
    pub auto: Option<Auto>,
    /// Instruction and demo candidates per predictor (with `auto` off).
    pub num_candidates: Option<usize>,
    /// Search trials (with `auto` off).
    pub num_trials: Option<usize>,
    /// How demo sets are bootstrapped (teacher, threshold, error limit, concurrency); its
    /// `max_bootstrapped_demos` and `max_labeled_demos` default to 4 here, as in MIPROv2.
    pub bootstrap: BootstrapFewShot,
    /// Writes the instructions.
    pub proposer: GroundedProposer,
    /// Seed of all random draws (DSPy default 9).
    pub seed: u64,
    /// Score trials on minibatches (only with `auto` off; `auto` decides from the valset size).
    pub minibatch: bool,
    /// Examples per minibatch (DSPy default 35).
    pub minibatch_size: usize,
    /// Minibatch trials between full evaluations (DSPy default 5).
    pub minibatch_full_eval_steps: usize,
    /// Demo sets built at once (default 8).
    pub candidate_concurrency: usize,
    /// Show a progress bar over trials.
    pub display_progress: bool,
}

impl fmt::Debug for MiproV2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let model = |lm: &Option<SharedLm>| lm.as_ref().map(|lm| lm.model().to_string());
        f.debug_struct("MiproV2")
            .field("prompt_lm", &model(&self.prompt_lm))
            .field("task_lm", &model(&self.task_lm))
            .field("auto", &self.auto)
            .field("num_candidates", &self.num_candidates)
            .field("num_trials", &self.num_trials)
            .field("bootstrap", &self.bootstrap)
            .field("proposer", &self.proposer)
            .field("seed", &self.seed)
            .field("minibatch_size", &self.minibatch_size)
            .finish()
    }
}

/// The budget of one run, after `auto` and the datasets are taken into account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) instructions: usize,
    pub(crate) demo_sets: usize,
    pub(crate) trials: usize,
    pub(crate) minibatch: bool,
}

impl MiproV2 {
    /// DSPy's defaults with this metric: `auto` light, 4 bootstrapped and 4 labeled demos,
    /// seed 9, minibatches of 35 with a full evaluation every 5 trials.
    pub fn new(metric: impl Metric + 'static) -> MiproV2 {
        let mut bootstrap = BootstrapFewShot::new();
        bootstrap.max_bootstrapped_demos = 4;
        bootstrap.max_labeled_demos = 4;
        let metric: Arc<dyn Metric> = Arc::new(metric);
        bootstrap.metric = Some(Arc::clone(&metric));
        MiproV2 {
            metric,
            prompt_lm: None,
            task_lm: None,
            auto: Some(Auto::Light),
            num_candidates: None,
            num_trials: None,
            bootstrap,
            proposer: GroundedProposer::new(),
            seed: 9,
            minibatch: true,
            minibatch_size: 35,
            minibatch_full_eval_steps: 5,
            candidate_concurrency: 8,
            display_progress: false,
        }
    }

    crate::bootstrap::bootstrap_setters!(bootstrap; no seed);

    /// Sets how many demo sets are built at once.
    pub fn candidate_concurrency(mut self, n: usize) -> Self {
        self.candidate_concurrency = n.max(1);
        self
    }

    /// Sets the LM that writes instructions.
    pub fn prompt_lm(mut self, lm: SharedLm) -> Self {
        self.prompt_lm = Some(lm);
        self
    }

    /// Sets the LM the program runs on while optimizing.
    pub fn task_lm(mut self, lm: SharedLm) -> Self {
        self.task_lm = Some(lm);
        self
    }

    /// Sets the budget (`None`: set `num_candidates` and `num_trials`).
    pub fn auto(mut self, auto: Option<Auto>) -> Self {
        self.auto = auto;
        self
    }

    /// Sets the candidates per predictor (with `auto(None)`).
    pub fn num_candidates(mut self, n: usize) -> Self {
        self.num_candidates = Some(n);
        self
    }

    /// Sets the number of trials (with `auto(None)`).
    pub fn num_trials(mut self, n: usize) -> Self {
        self.num_trials = Some(n);
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the instruction proposer's settings.
    pub fn proposer(mut self, proposer: GroundedProposer) -> Self {
        self.proposer = proposer;
        self
    }

    /// Scores trials on minibatches or not (with `auto(None)`).
    pub fn minibatch(mut self, on: bool) -> Self {
        self.minibatch = on;
        self
    }

    /// Sets the minibatch size.
    pub fn minibatch_size(mut self, n: usize) -> Self {
        self.minibatch_size = n.max(1);
        self
    }

    /// Sets the minibatch trials between full evaluations.
    pub fn minibatch_full_eval_steps(mut self, n: usize) -> Self {
        self.minibatch_full_eval_steps = n.max(1);
        self
    }

    /// Shows a progress bar.
    pub fn display_progress(mut self, show: bool) -> Self {
        self.display_progress = show;
        self
    }

    fn zero_shot(&self) -> bool {
        self.bootstrap.max_bootstrapped_demos == 0 && self.bootstrap.max_labeled_demos == 0
    }

    /// Checks the settings and works out the budget, sampling the valset for `auto` as DSPy
    /// does (the first draw from `rng`).
    fn budget(
        &self,
        predictors: usize,
        valset: &mut Vec<Example>,
        rng: &mut PyRandom,
    ) -> Result<Budget, OptimizeError> {
        let zero_shot = self.zero_shot();
        let budget = match self.auto {
            Some(auto) => {
                if self.num_candidates.is_some() || self.num_trials.is_some() {
                    return Err(OptimizeError::InvalidSetting {
                        setting: "auto",
                        reason: "is set together with num_candidates or num_trials, which auto overrides; use auto(None) to set them yourself".into(),
                    });
                }
                let k = auto.val_size().min(valset.len());
                let indices: Vec<usize> = (0..valset.len()).collect();
                let picked = rng.sample(&indices, k).unwrap_or(indices);
                *valset = picked.iter().map(|&i| valset[i].clone()).collect();
                let n = auto.candidates();
                Budget {
                    instructions: if zero_shot { n } else { n / 2 },
                    demo_sets: n,
                    trials: num_trials(predictors, zero_shot, n),
                    minibatch: valset.len() > MIN_MINIBATCH_SIZE,
                }
            }
            None => {
                let Some(n) = self.num_candidates else {
                    return Err(OptimizeError::InvalidSetting {
                        setting: "num_candidates",
                        reason: "is not set; with auto(None), set num_candidates and num_trials"
                            .into(),
                    });
                };
                let Some(trials) = self.num_trials else {
                    return Err(OptimizeError::InvalidSetting {
                        setting: "num_trials",
                        reason: format!(
                            "is not set; with auto(None) set it too (about {} for num_candidates = {n})",
                            num_trials(predictors, zero_shot, n)
                        ),
                    });
                };
                Budget {
                    instructions: n,
                    demo_sets: n,
                    trials,
                    minibatch: self.minibatch,
                }
            }
        };
        if budget.minibatch && self.minibatch_size > valset.len() {
            return Err(OptimizeError::InvalidSetting {
                setting: "minibatch_size",
                reason: format!(
                    "is {} but the valset has {} examples; lower it or turn minibatches off",
                    self.minibatch_size,
                    valset.len()
                ),
            });
        }
        Ok(budget)
    }
}

/// DSPy's split when no valset is given: the last 80% (at most 1000) of the trainset.
fn split(
    trainset: &[Example],
    valset: Option<&[Example]>,
) -> Result<(Vec<Example>, Vec<Example>), OptimizeError> {
    if trainset.is_empty() {
        return Err(OptimizeError::EmptyTrainset);
    }
    match valset {
        Some([]) => Err(OptimizeError::TooFewExamples {
            needed: 1,
            got: 0,
            what: "valset",
        }),
        Some(valset) => Ok((trainset.to_vec(), valset.to_vec())),
        None if trainset.len() < 2 => Err(OptimizeError::TooFewExamples {
            needed: 2,
            got: trainset.len(),
            what: "trainset (no valset given, so part of it becomes the valset)",
        }),
        None => {
            let size = ((trainset.len() as f64 * 0.8) as usize).clamp(1, 1000);
            let cutoff = trainset.len() - size;
            Ok((trainset[..cutoff].to_vec(), trainset[cutoff..].to_vec()))
        }
    }
}

impl Optimizer for MiproV2 {
    fn compile_with_report<'a, P: Module + Clone + 'a>(
        &'a self,
        student: &'a P,
        trainset: &'a [Example],
        valset: Option<&'a [Example]>,
    ) -> BoxFuture<'a, Result<Compiled<P>, Error>> {
        Box::pin(async move {
            let prompt_lm = self
                .prompt_lm
                .clone()
                .or_else(settings::lm)
                .ok_or(Error::NoLm)?;
            let mut rng = PyRandom::new(self.seed);
            let (trainset, mut valset) = split(trainset, valset)?;
            let predictors = student.named_predictors().len();
            let budget = self.budget(predictors, &mut valset, &mut rng)?;
            let zero_shot = self.zero_shot();
            tracing::info!(
                trials = budget.trials,
                minibatch = budget.minibatch,
                demo_sets = budget.demo_sets,
                instructions = budget.instructions,
                valset = valset.len(),
                "MIPROv2 settings"
            );

            // Step 1: demo sets (the proposer sees bootstrapped demos even in zero-shot mode).
            let mut template = self.bootstrap.clone();
            template.metric = Some(Arc::clone(&self.metric));
            template.display_progress = false;
            if zero_shot {
                template.max_bootstrapped_demos = ZERO_SHOT_PROPOSER_DEMOS;
                template.max_labeled_demos = 0;
            }
            let program = student.clone();
            // The data-set summary (step 2's first part) needs neither the demo sets nor the
            // random generator, so it runs while they are built (DSPy runs it after).
            let (sets, summary) = futures_util::future::join(
                self.with_task_lm(demo_sets::demo_sets(
                    &program,
                    &trainset,
                    budget.demo_sets,
                    &template,
                    &mut rng,
                    self.candidate_concurrency,
                )),
                self.proposer.summarize(&trainset, &prompt_lm),
            )
            .await;
            let sets = sets?;

            // Step 2: instructions; candidate 0 is each predictor's own.
            let proposals = self
                .proposer
                .propose(
                    &program,
                    Some(&sets),
                    summary.as_deref(),
                    budget.instructions,
                    &mut rng,
                    &prompt_lm,
                )
                .await;
            let mut instructions: Vec<Vec<String>> = proposals
                .iter()
                .map(|ps| ps.iter().map(|p| p.instruction.clone()).collect())
                .collect();
            for (candidates, (_, p)) in instructions.iter_mut().zip(program.named_predictors()) {
                let own = p.signature().instructions().to_string();
                match candidates.first_mut() {
                    Some(first) => *first = own,
                    None => candidates.push(own),
                }
            }
            let errors = proposals
                .iter()
                .flatten()
                .filter(|p| p.error.is_some())
                .count();

            // Step 3: search.
            let mut evaluate = Evaluate::new(valset.clone()).num_threads(
                self.bootstrap
                    .num_threads
                    .unwrap_or_else(settings::num_threads),
            );
            if let Some(n) = self.bootstrap.max_errors {
                evaluate = evaluate.max_errors(n);
            }
            let demo_sets = if zero_shot { None } else { Some(&sets) };
            let search = search::Search {
                mipro: self,
                program: &program,
                instructions: &instructions,
                demo_sets,
                evaluate: &evaluate,
                valset: &valset,
                budget,
            };
            let outcome = self.with_task_lm(search.run(&mut rng)).await;

            let mut report = CompileReport::new("MIPROv2", student, &outcome.best);
            report.trials = outcome.trials;
            report.evaluations = outcome.evaluations;
            report.errors = errors + outcome.errors;
            let names: Vec<String> = program
                .named_predictors()
                .into_iter()
                .map(|(n, _)| n)
                .collect();
            report.instruction_candidates = instructions
                .iter()
                .zip(&names)
                .flat_map(|(candidates, name)| {
                    candidates
                        .iter()
                        .enumerate()
                        .map(move |(i, text)| InstructionCandidate {
                            predictor: name.clone(),
                            instruction: text.clone(),
                            prefix: None,
                            depth: i,
                            score: f64::NAN,
                        })
                })
                .collect();
            Ok(Compiled {
                program: outcome.best,
                report,
                candidates: outcome.candidates,
            })
        })
    }
}

impl MiproV2 {
    /// Runs `fut` with the task LM as the scoped LM, when one is set.
    async fn with_task_lm<F: std::future::Future>(&self, fut: F) -> F::Output {
        match &self.task_lm {
            Some(lm) => settings::with_lm(lm.clone(), fut).await,
            None => fut.await,
        }
    }
}
