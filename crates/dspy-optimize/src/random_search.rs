//! [`BootstrapFewShotWithRandomSearch`]: score many bootstrapped candidates, keep the best.

use std::fmt;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget};

use super::bootstrap::BootstrapFewShot;
use super::labeled::LabeledFewShot;
use super::random::PyRandom;
use super::{
    reset_copy, Candidate, CandidateReport, CompileReport, Compiled, OptimizeError, Optimizer,
};
use dspy_core::evaluate::{Evaluate, Metric};
use dspy_core::example::Example;
use dspy_core::lm::BoxFuture;
use dspy_core::module::Module;
use dspy_core::{settings, Error};

/// How a candidate was built (DSPy's candidate seeds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateKind {
    /// Seed -3: the student without demos.
    ZeroShot,
    /// Seed -2: labeled demos only.
    LabeledOnly,
    /// Seed -1: bootstrap on the trainset in order.
    Unshuffled,
    /// Seed ≥ 0: bootstrap on a shuffled trainset with a random number of demos.
    Shuffled(u64),
}

impl CandidateKind {
    /// The candidates DSPy builds for `num_candidate_programs`.
    ///
    /// ```
    /// use dspy_optimize::CandidateKind;
    /// let kinds = CandidateKind::all(2);
    /// assert_eq!(kinds.len(), 5);
    /// assert_eq!(kinds[0].seed(), -3);
    /// assert_eq!(kinds[4], CandidateKind::Shuffled(1));
    /// ```
    pub fn all(num_candidate_programs: usize) -> Vec<CandidateKind> {
        let mut kinds = vec![
            CandidateKind::ZeroShot,
            CandidateKind::LabeledOnly,
            CandidateKind::Unshuffled,
        ];
        kinds.extend((0..num_candidate_programs as u64).map(CandidateKind::Shuffled));
        kinds
    }

    /// DSPy's seed number.
    pub fn seed(self) -> i64 {
        match self {
            CandidateKind::ZeroShot => -3,
            CandidateKind::LabeledOnly => -2,
            CandidateKind::Unshuffled => -1,
            CandidateKind::Shuffled(i) => i as i64,
        }
    }
}

/// DSPy's `BootstrapFewShotWithRandomSearch` (`BootstrapRS`).
///
/// Builds `3 + num_candidate_programs` candidates — zero-shot, labeled-only, a plain
/// [`BootstrapFewShot`], then bootstraps on shuffled trainsets with a random demo count in
/// `1..=max_bootstrapped_demos` — scores each with [`Evaluate`] on the validation set (the
/// trainset when none is given) and returns the first with the highest score. Candidates are
/// built and scored `candidate_concurrency` at a time, each running `num_threads` examples at
/// once; the result is the one a sequential run gives.
///
/// ```no_run
/// use dspy_core::evaluate::metric_fn;
/// use dspy_optimize::{BootstrapFewShotWithRandomSearch, Optimizer};
/// use dspy_core::predict::Predict;
/// # async fn run(train: Vec<dspy_core::Example>, dev: Vec<dspy_core::Example>) -> Result<(), dspy_core::Error> {
/// let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
/// let rs = BootstrapFewShotWithRandomSearch::new(exact).num_candidate_programs(8).seed(1);
/// let student = Predict::parse("question -> answer").unwrap();
/// let compiled = rs.compile_with_report(&student, &train, Some(&dev)).await?;
/// println!("{}", compiled.report);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct BootstrapFewShotWithRandomSearch {
    metric: Arc<dyn Metric>,
    /// The bootstrap every candidate runs (threshold, teacher, demo counts, rounds, error
    /// limit, per-candidate concurrency, seed), always with this optimizer's metric; its
    /// setters are this optimizer's too.
    pub bootstrap: BootstrapFewShot,
    /// Random candidates on top of the three fixed ones (DSPy default 16).
    pub num_candidate_programs: usize,
    /// Candidates built and scored at once (default 4).
    pub candidate_concurrency: usize,
    /// Stop once a candidate scores at least this (0–100).
    pub stop_at_score: Option<f64>,
    /// Sample the labeled-only candidate's demos (true) or take the first ones.
    pub labeled_sample: bool,
    /// Show a progress bar over candidates.
    pub display_progress: bool,
}

impl fmt::Debug for BootstrapFewShotWithRandomSearch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BootstrapFewShotWithRandomSearch")
            .field("bootstrap", &self.bootstrap)
            .field("num_candidate_programs", &self.num_candidate_programs)
            .field("candidate_concurrency", &self.candidate_concurrency)
            .field("stop_at_score", &self.stop_at_score)
            .finish()
    }
}

impl BootstrapFewShotWithRandomSearch {
    /// DSPy's defaults with this metric.
    pub fn new(metric: impl Metric + 'static) -> Self {
        BootstrapFewShotWithRandomSearch {
            metric: Arc::new(metric),
            bootstrap: BootstrapFewShot::new(),
            num_candidate_programs: 16,
            candidate_concurrency: 4,
            stop_at_score: None,
            labeled_sample: true,
            display_progress: false,
        }
    }

    super::bootstrap::bootstrap_setters!(bootstrap);

    /// Sets the number of random candidates.
    pub fn num_candidate_programs(mut self, n: usize) -> Self {
        self.num_candidate_programs = n;
        self
    }

    /// Sets how many candidates run at once.
    pub fn candidate_concurrency(mut self, n: usize) -> Self {
        self.candidate_concurrency = n.max(1);
        self
    }

    /// Stops at the first candidate scoring at least `score`.
    pub fn stop_at_score(mut self, score: f64) -> Self {
        self.stop_at_score = Some(score);
        self
    }

    /// Shows a progress bar.
    pub fn display_progress(mut self, show: bool) -> Self {
        self.display_progress = show;
        self
    }

    fn bootstrapper(&self, max_bootstrapped_demos: usize) -> BootstrapFewShot {
        BootstrapFewShot {
            metric: Some(Arc::clone(&self.metric)),
            max_bootstrapped_demos,
            display_progress: false,
            ..self.bootstrap.clone()
        }
    }

    /// Builds one candidate: the program and how many demos were bootstrapped.
    async fn build<P: Module + Clone>(
        &self,
        kind: CandidateKind,
        student: &P,
        trainset: &[Example],
    ) -> Result<(P, usize), Error> {
        Ok(match kind {
            CandidateKind::ZeroShot => (reset_copy(student), 0),
            CandidateKind::LabeledOnly => (
                LabeledFewShot::new(self.bootstrap.max_labeled_demos)
                    .seed(self.bootstrap.seed)
                    .sample(self.labeled_sample)
                    .apply(student, trainset),
                0,
            ),
            CandidateKind::Unshuffled => {
                let out = self
                    .bootstrapper(self.bootstrap.max_bootstrapped_demos)
                    .run(student, trainset)
                    .await?;
                (out.program, out.bootstrapped)
            }
            CandidateKind::Shuffled(i) => {
                // DSPy: `random.Random(seed)` for candidate `seed` = 0, 1, ...; ours are offset
                // by the optimizer's seed (0 by default, as in DSPy).
                let seed = i128::from(self.bootstrap.seed) + i128::from(i);
                let mut shuffled = trainset.to_vec();
                PyRandom::new(seed).shuffle(&mut shuffled);
                let max = self.bootstrap.max_bootstrapped_demos.max(1) as i64;
                let size = PyRandom::new(seed).randint(1, max).unwrap_or(1) as usize;
                let boot = self.bootstrapper(size);
                let out = boot.run(student, &shuffled).await?;
                (out.program, out.bootstrapped)
            }
        })
    }

    async fn build_and_score<P: Module + Clone>(
        &self,
        kind: CandidateKind,
        student: &P,
        trainset: &[Example],
        evaluate: &Evaluate,
    ) -> Result<Candidate<P>, Error> {
        let (program, bootstrapped) = self.build(kind, student, trainset).await?;
        let result = evaluate.run(&program, &*self.metric).await?;
        Ok(Candidate {
            report: CandidateReport {
                seed: kind.seed(),
                score: result.score,
                subscores: result.results.iter().map(|r| r.score.value).collect(),
                bootstrapped,
                error: None,
            },
            program,
        })
    }
}

impl Optimizer for BootstrapFewShotWithRandomSearch {
    fn compile_with_report<'a, P: Module + Clone + 'a>(
        &'a self,
        student: &'a P,
        trainset: &'a [Example],
        valset: Option<&'a [Example]>,
    ) -> BoxFuture<'a, Result<Compiled<P>, Error>> {
        Box::pin(async move {
            if trainset.is_empty() {
                return Err(OptimizeError::EmptyTrainset.into());
            }
            let valset = valset.unwrap_or(trainset);
            let mut evaluate = Evaluate::new(valset.to_vec()).num_threads(
                self.bootstrap
                    .num_threads
                    .unwrap_or_else(settings::num_threads),
            );
            if let Some(n) = self.bootstrap.max_errors {
                evaluate = evaluate.max_errors(n);
            }
            let kinds = CandidateKind::all(self.num_candidate_programs);
            let progress = if self.display_progress {
                ProgressBar::with_draw_target(
                    Some(kinds.len() as u64),
                    ProgressDrawTarget::stderr(),
                )
            } else {
                ProgressBar::hidden()
            };
            let evaluate = &evaluate;
            let pending: Vec<_> = kinds
                .into_iter()
                .map(|kind| async move {
                    (
                        kind,
                        self.build_and_score(kind, student, trainset, evaluate)
                            .await,
                    )
                })
                .collect();
            let mut runs = stream::iter(pending).buffered(self.candidate_concurrency);

            let mut candidates: Vec<Candidate<P>> = Vec::new();
            let mut reports: Vec<CandidateReport> = Vec::new();
            let mut best: Option<usize> = None;
            let mut last_error = None;
            while let Some((kind, candidate)) = runs.next().await {
                progress.inc(1);
                let candidate = match candidate {
                    Ok(candidate) => candidate,
                    Err(error) => {
                        tracing::error!(seed = kind.seed(), %error, "a candidate failed");
                        reports.push(CandidateReport {
                            seed: kind.seed(),
                            score: f64::NAN,
                            subscores: Vec::new(),
                            bootstrapped: 0,
                            error: Some(error.to_string()),
                        });
                        last_error = Some(error);
                        continue;
                    }
                };
                let score = candidate.report.score;
                tracing::info!(seed = candidate.report.seed, score, "scored a candidate");
                if beats(score, best.map(|b| candidates[b].report.score)) {
                    best = Some(candidates.len());
                }
                reports.push(candidate.report.clone());
                candidates.push(candidate);
                if self.stop_at_score.is_some_and(|s| score >= s) {
                    break;
                }
            }
            drop(runs);
            progress.finish_and_clear();

            // Every score NaN: no candidate beat another, so the first built is returned.
            let Some(best) = best.or(if candidates.is_empty() { None } else { Some(0) }) else {
                return Err(last_error.unwrap_or_else(|| Error::custom("no candidate was built")));
            };
            let program = candidates[best].program.clone();
            let mut report =
                CompileReport::new("BootstrapFewShotWithRandomSearch", student, &program);
            report.candidates = reports;
            report.bootstrapped = candidates[best].report.bootstrapped;
            let key = |c: &Candidate<P>| {
                let s = c.report.score;
                if s.is_nan() {
                    f64::NEG_INFINITY
                } else {
                    s
                }
            };
            candidates.sort_by(|a, b| key(b).total_cmp(&key(a)));
            Ok(Compiled {
                program,
                report,
                candidates,
            })
        })
    }
}

/// Whether a candidate scoring `score` replaces the best so far (DSPy keeps the first of equal
/// scores). A NaN score (a metric returning NaN) never beats a real one; when every score is
/// NaN, the compile returns the first candidate built.
fn beats(score: f64, best: Option<f64>) -> bool {
    match best {
        _ if score.is_nan() => false,
        None => true,
        Some(best) => best.is_nan() || score > best,
    }
}

#[cfg(test)]
mod tests {
    use super::beats;

    #[test]
    fn nan_never_wins_and_ties_keep_the_first() {
        let pick = |scores: &[f64]| {
            let mut best: Option<usize> = None;
            for (i, &s) in scores.iter().enumerate() {
                if beats(s, best.map(|b| scores[b])) {
                    best = Some(i);
                }
            }
            best
        };
        assert_eq!(pick(&[10.0, f64::NAN]), Some(0));
        assert_eq!(pick(&[f64::NAN, 5.0, f64::NAN]), Some(1));
        assert_eq!(pick(&[3.0, 7.0, 7.0, f64::NAN]), Some(1));
        assert_eq!(pick(&[f64::NAN, f64::NAN]), None);
        assert_eq!(pick(&[]), None);
    }
}
