//! [`BootstrapFewShot`]: successful teacher traces become demos.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use futures_util::stream::{FuturesOrdered, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget};
use sha2::{Digest, Sha256};

use super::labeled::LabeledFewShot;
use super::random::PyRandom;
use super::teacher::Teacher;
use super::{reset_copy, CompileReport, Compiled, OptimizeError, Optimizer};
use dspy_core::evaluate::Metric;
use dspy_core::example::Example;
use dspy_core::lm::{BoxFuture, RolloutLm, SharedLm};
use dspy_core::module::Module;
use dspy_core::predict::PredictorId;
use dspy_core::{settings, trace, Error};

/// The bootstrap settings' builder methods, written once: `bootstrap_setters!()` in
/// [`BootstrapFewShot`] sets its own fields; `bootstrap_setters!(bootstrap)` in an optimizer
/// holding a `bootstrap: BootstrapFewShot` (random search) sets that one's; with `; no seed`
/// the `seed` setter is left to the optimizer (MIPROv2 has its own).
macro_rules! bootstrap_setters {
    ($($path:ident).*) => {
        $crate::bootstrap::bootstrap_setters!($($path).* ; no seed);

        /// Sets the seed.
        pub fn seed(mut self, seed: u64) -> Self {
            self$(.$path)*.seed = seed;
            self
        }
    };
    ($($path:ident).* ; no seed) => {
        /// Accepts runs scoring at least `threshold`.
        pub fn metric_threshold(mut self, threshold: f64) -> Self {
            self$(.$path)*.metric_threshold = Some(threshold);
            self
        }

        /// Bootstraps with this teacher.
        pub fn teacher(mut self, teacher: $crate::Teacher) -> Self {
            self$(.$path)*.teacher = Some(teacher);
            self
        }

        /// Runs the teacher with this LM in scope.
        pub fn teacher_lm(mut self, lm: dspy_core::lm::SharedLm) -> Self {
            self$(.$path)*.teacher_lm = Some(lm);
            self
        }

        /// Sets the most bootstrapped demos per predictor.
        pub fn max_bootstrapped_demos(mut self, n: usize) -> Self {
            self$(.$path)*.max_bootstrapped_demos = n;
            self
        }

        /// Sets the most demos per predictor.
        pub fn max_labeled_demos(mut self, n: usize) -> Self {
            self$(.$path)*.max_labeled_demos = n;
            self
        }

        /// Sets the attempts per example.
        pub fn max_rounds(mut self, n: usize) -> Self {
            self$(.$path)*.max_rounds = n;
            self
        }

        /// Sets the failures tolerated.
        pub fn max_errors(mut self, n: usize) -> Self {
            self$(.$path)*.max_errors = Some(n);
            self
        }

        /// Sets how many examples run at once.
        pub fn num_threads(mut self, n: usize) -> Self {
            self$(.$path)*.num_threads = Some(n.max(1));
            self
        }
    };
}
pub(crate) use bootstrap_setters;

/// DSPy's `BootstrapFewShot`: runs a teacher (by default a copy of the student with labeled
/// demos) on training examples in order until `max_bootstrapped_demos` runs pass the metric;
/// each predictor call in a passing run becomes an `augmented` demo of that predictor. The
/// rest of each predictor's `max_labeled_demos` are labeled examples that were not
/// bootstrapped.
///
/// Examples are tried in training-set order and accepted in that order, so the result is the
/// one a sequential run gives; several run at once (up to `num_threads`) only where Python
/// DSPy would try them all anyway, so the LM calls are DSPy's too (opt out with
/// [`bootstrap_ahead`](BootstrapFewShot::bootstrap_ahead)). Rounds after the first (`max_rounds > 1`) run the teacher
/// with `rollout_id = round` and temperature 1.0 for a fresh sample.
///
/// ```no_run
/// use dspy_core::evaluate::metric_fn;
/// use dspy_optimize::{BootstrapFewShot, Optimizer};
/// use dspy_core::predict::Predict;
/// # async fn run(trainset: Vec<dspy_core::Example>) -> Result<(), dspy_core::Error> {
/// let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
/// let optimizer = BootstrapFewShot::new().metric(exact).max_bootstrapped_demos(2).max_rounds(3);
/// let student = Predict::parse("question -> answer").unwrap();
/// let compiled = optimizer.compile(&student, &trainset, None).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct BootstrapFewShot {
    pub(crate) metric: Option<Arc<dyn Metric>>,
    /// A run passes when the metric is at least this (else when it is non-zero).
    pub metric_threshold: Option<f64>,
    /// The teacher (default: a copy of the student).
    pub teacher: Option<Teacher>,
    /// LM scoped around teacher runs (DSPy's `teacher_settings={"lm": ...}`).
    pub teacher_lm: Option<SharedLm>,
    /// Most bootstrapped demos per predictor (DSPy default 4).
    pub max_bootstrapped_demos: usize,
    /// Most demos in all per predictor (DSPy default 16).
    pub max_labeled_demos: usize,
    /// Attempts per training example (DSPy default 1).
    pub max_rounds: usize,
    /// Failed runs tolerated before the compile fails (default: `settings::max_errors`).
    pub max_errors: Option<usize>,
    /// Examples bootstrapped at once (default: `settings::num_threads`).
    pub num_threads: Option<usize>,
    /// Seed of the labeled-demo sampling.
    pub seed: u64,
    /// Show a progress bar on stderr (hidden when it is not a terminal).
    pub display_progress: bool,
    /// Run up to `num_threads` examples ahead even when DSPy would not reach them all:
    /// faster, at the cost of LM calls Python DSPy does not make (off by default; the demos
    /// are the same either way).
    pub bootstrap_ahead: bool,
}

impl fmt::Debug for BootstrapFewShot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BootstrapFewShot")
            .field("metric", &self.metric.is_some())
            .field("metric_threshold", &self.metric_threshold)
            .field("teacher", &self.teacher)
            .field("max_bootstrapped_demos", &self.max_bootstrapped_demos)
            .field("max_labeled_demos", &self.max_labeled_demos)
            .field("max_rounds", &self.max_rounds)
            .field("max_errors", &self.max_errors)
            .field("num_threads", &self.num_threads)
            .field("seed", &self.seed)
            .field("bootstrap_ahead", &self.bootstrap_ahead)
            .finish()
    }
}

impl Default for BootstrapFewShot {
    fn default() -> Self {
        BootstrapFewShot::new()
    }
}

/// What bootstrapping one example produced.
struct Attempt {
    /// Demos per predictor name, when a round passed.
    demos: Option<Vec<(String, Example)>>,
    errors: Vec<Error>,
}

/// The result of the bootstrap phase.
pub(crate) struct Bootstrapped<P> {
    pub(crate) program: P,
    pub(crate) bootstrapped: usize,
    pub(crate) errors: usize,
}

impl BootstrapFewShot {
    /// DSPy's defaults: no metric (every run passes), 4 bootstrapped and 16 demos in all,
    /// one round.
    pub fn new() -> BootstrapFewShot {
        BootstrapFewShot {
            metric: None,
            metric_threshold: None,
            teacher: None,
            teacher_lm: None,
            max_bootstrapped_demos: 4,
            max_labeled_demos: 16,
            max_rounds: 1,
            max_errors: None,
            num_threads: None,
            seed: 0,
            display_progress: false,
            bootstrap_ahead: false,
        }
    }

    /// Accepts runs this metric passes.
    pub fn metric(mut self, metric: impl Metric + 'static) -> Self {
        self.metric = Some(Arc::new(metric));
        self
    }

    bootstrap_setters!();

    /// Shows a progress bar.
    pub fn display_progress(mut self, show: bool) -> Self {
        self.display_progress = show;
        self
    }

    /// Runs examples ahead of DSPy's order (see [`BootstrapFewShot::bootstrap_ahead`]).
    pub fn bootstrap_ahead(mut self, ahead: bool) -> Self {
        self.bootstrap_ahead = ahead;
        self
    }

    /// Bootstraps `student`, with the teacher runs under the teacher LM scope.
    pub(crate) async fn run<P: Module + Clone>(
        &self,
        student: &P,
        trainset: &[Example],
    ) -> Result<Bootstrapped<P>, Error> {
        let original = student;
        let student = reset_copy(original);
        match &self.teacher {
            Some(t) => {
                let mut teacher = t.program();
                if self.max_labeled_demos > 0 && !t.is_compiled() {
                    teacher = self.labeled().apply(&teacher, trainset);
                }
                self.scoped(student, teacher, trainset).await
            }
            None => {
                let teacher = student_copy(original, trainset, self);
                self.scoped(student, teacher, trainset).await
            }
        }
    }

    fn labeled(&self) -> LabeledFewShot {
        LabeledFewShot::new(self.max_labeled_demos).seed(self.seed)
    }

    async fn scoped<P: Module + Clone, T: Module + Clone>(
        &self,
        student: P,
        teacher: T,
        trainset: &[Example],
    ) -> Result<Bootstrapped<P>, Error> {
        match &self.teacher_lm {
            Some(lm) => {
                settings::with_lm(lm.clone(), self.bootstrap(student, teacher, trainset)).await
            }
            None => self.bootstrap(student, teacher, trainset).await,
        }
    }

    async fn bootstrap<P: Module + Clone, T: Module + Clone>(
        &self,
        mut student: P,
        teacher: T,
        trainset: &[Example],
    ) -> Result<Bootstrapped<P>, Error> {
        check_structure(&student, &teacher)?;
        let max_errors = self.max_errors.unwrap_or_else(settings::max_errors);
        let concurrency = self.num_threads.unwrap_or_else(settings::num_threads);
        let progress = if self.display_progress {
            ProgressBar::with_draw_target(Some(trainset.len() as u64), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };

        let mut name2traces: HashMap<String, Vec<Example>> = HashMap::new();
        let mut bootstrapped = vec![false; trainset.len()];
        let (mut count, mut errors) = (0usize, 0usize);
        if self.max_bootstrapped_demos > 0 {
            let teacher = &teacher;
            // Python DSPy tries example `j` only while fewer than `max_bootstrapped_demos` of
            // the examples before it passed. With `k` passes confirmed, the next `max - k`
            // examples are ones Python tries whatever the runs in flight give, so at most that
            // many run at once (unless `bootstrap_ahead`): the same LM calls as DSPy.
            let mut in_flight = FuturesOrdered::new();
            let mut next = 0usize;
            let mut done = 0usize;
            loop {
                let needed = self.max_bootstrapped_demos.saturating_sub(count);
                let window = if self.bootstrap_ahead {
                    concurrency
                } else {
                    concurrency.min(needed)
                };
                while next < trainset.len() && in_flight.len() < window {
                    in_flight.push_back(self.attempt(teacher, &trainset[next]));
                    next += 1;
                }
                let Some(attempt) = in_flight.next().await else {
                    break;
                };
                let i = done;
                done += 1;
                progress.inc(1);
                for error in attempt.errors {
                    errors += 1;
                    if errors >= max_errors {
                        progress.abandon();
                        return Err(Error::TooManyErrors {
                            errors,
                            max_errors,
                            last: Box::new(error),
                            partial: None,
                            predictions: None,
                        });
                    }
                    tracing::error!(example = i, %error, "bootstrapping an example failed");
                }
                if let Some(demos) = attempt.demos {
                    bootstrapped[i] = true;
                    count += 1;
                    for (name, demo) in demos {
                        name2traces.entry(name).or_default().push(demo);
                    }
                }
                if count >= self.max_bootstrapped_demos {
                    break;
                }
            }
        }
        progress.finish_and_clear();
        tracing::info!(
            "Bootstrapped {count} full traces for up to {} rounds",
            self.max_rounds
        );

        let mut validation: Vec<Example> = trainset
            .iter()
            .zip(&bootstrapped)
            .filter(|(_, b)| !**b)
            .map(|(ex, _)| ex.clone())
            .collect();
        PyRandom::new(self.seed).shuffle(&mut validation);

        let mut rng = PyRandom::new(self.seed);
        for (name, p) in student.named_predictors_mut() {
            let mut demos: Vec<Example> = name2traces
                .get(&name)
                .map(|d| d[..d.len().min(self.max_bootstrapped_demos)].to_vec())
                .unwrap_or_default();
            let size = self
                .max_labeled_demos
                .saturating_sub(demos.len())
                .min(validation.len());
            demos.extend(rng.sample(&validation, size).unwrap_or_default());
            p.set_demos(demos);
        }
        Ok(Bootstrapped {
            program: student,
            bootstrapped: count,
            errors,
        })
    }

    /// Up to `max_rounds` teacher runs on one example; stops at the first that passes.
    async fn attempt<T: Module + Clone>(&self, teacher: &T, example: &Example) -> Attempt {
        let mut errors = Vec::new();
        for round in 0..self.max_rounds.max(1) {
            match self.run_once(teacher, example, round as u64).await {
                Ok(Some(demos)) => {
                    return Attempt {
                        demos: Some(demos),
                        errors,
                    }
                }
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
        Attempt {
            demos: None,
            errors,
        }
    }

    /// One traced teacher run; the demos it yields when the metric passes it.
    async fn run_once<T: Module + Clone>(
        &self,
        teacher: &T,
        example: &Example,
        round: u64,
    ) -> Result<Option<Vec<(String, Example)>>, Error> {
        let mut teacher = teacher.clone();
        for (_, p) in teacher.named_predictors_mut() {
            p.demos_mut().retain(|d| d != example);
            if round > 0 {
                if let Some(lm) = p.lm().cloned() {
                    p.set_lm(Some(RolloutLm::wrap(lm, round)));
                }
            }
        }
        let names: HashMap<PredictorId, String> = teacher
            .named_predictors()
            .into_iter()
            .map(|(n, p)| (p.id(), n))
            .collect();
        let inputs = example.inputs()?.into_values();
        let run = trace::with_trace(teacher.forward(inputs));
        let (prediction, entries) = match settings::lm().filter(|_| round > 0) {
            Some(lm) => settings::with_lm(RolloutLm::wrap(lm, round), run).await,
            None => run.await,
        };
        let prediction = prediction?;
        let passed = match &self.metric {
            None => true,
            Some(metric) => {
                let score = metric.score(example, &prediction, Some(&entries)).await?;
                match self.metric_threshold {
                    Some(t) => score.value >= t,
                    None => score.value != 0.0,
                }
            }
        };
        if !passed {
            return Ok(None);
        }
        let mut per_name: Vec<(String, Vec<Example>)> = Vec::new();
        for entry in entries {
            let Some(name) = names.get(&entry.predictor) else {
                continue;
            };
            let mut demo = Example::new().with("augmented", true);
            for (k, v) in entry.inputs.iter().chain(entry.prediction.values()) {
                demo.insert(k.clone(), v.clone());
            }
            match per_name.iter_mut().find(|(n, _)| n == name) {
                Some((_, list)) => list.push(demo),
                None => per_name.push((name.clone(), vec![demo])),
            }
        }
        Ok(Some(
            per_name
                .into_iter()
                .filter_map(|(name, demos)| pick_one(demos).map(|d| (name, d)))
                .collect(),
        ))
    }
}

/// The teacher built from the student: a copy with labeled demos (when `max_labeled_demos`),
/// else the student's own copy.
fn student_copy<P: Module + Clone>(student: &P, trainset: &[Example], opt: &BootstrapFewShot) -> P {
    if opt.max_labeled_demos > 0 {
        opt.labeled().apply(student, trainset)
    } else {
        student.clone()
    }
}

/// One demo when a predictor ran several times in a run: DSPy's coin flip between a random
/// earlier call and the last one, seeded by the demos themselves.
fn pick_one(mut demos: Vec<Example>) -> Option<Example> {
    if demos.len() <= 1 {
        return demos.pop();
    }
    let text = serde_json::to_string(&demos).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&digest[..8]);
    let mut rng = PyRandom::new(u64::from_le_bytes(seed));
    let last = demos.len() - 1;
    let pick = if rng.random() < 0.5 {
        rng.randbelow(last as u64) as usize
    } else {
        last
    };
    Some(demos.swap_remove(pick))
}

/// Student and teacher must list the same predictor names with the same signatures.
fn check_structure<P: Module, T: Module>(student: &P, teacher: &T) -> Result<(), OptimizeError> {
    let (s, t) = (student.named_predictors(), teacher.named_predictors());
    if s.len() != t.len() {
        return Err(OptimizeError::TeacherMismatch {
            reason: format!(
                "the student has {} predictors, the teacher {}",
                s.len(),
                t.len()
            ),
        });
    }
    for ((sn, sp), (tn, tp)) in s.iter().zip(&t) {
        if sn != tn {
            return Err(OptimizeError::TeacherMismatch {
                reason: format!("predictor `{sn}` vs `{tn}`"),
            });
        }
        let (a, b) = (sp.signature(), tp.signature());
        let names =
            |fs: &[dspy_adapters::FieldSpec]| fs.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
        if names(a.inputs()) != names(b.inputs()) || names(a.outputs()) != names(b.outputs()) {
            return Err(OptimizeError::TeacherMismatch {
                reason: format!("predictor `{sn}` has different signatures"),
            });
        }
    }
    Ok(())
}

impl Optimizer for BootstrapFewShot {
    fn compile_with_report<'a, P: Module + Clone + 'a>(
        &'a self,
        student: &'a P,
        trainset: &'a [Example],
        _valset: Option<&'a [Example]>,
    ) -> BoxFuture<'a, Result<Compiled<P>, Error>> {
        Box::pin(async move {
            let out = self.run(student, trainset).await?;
            let mut report = CompileReport::new("BootstrapFewShot", student, &out.program);
            report.bootstrapped = out.bootstrapped;
            report.errors = out.errors;
            Ok(Compiled::new(out.program, report))
        })
    }
}
