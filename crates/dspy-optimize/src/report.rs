//! What a compile run returns: the program, a [`CompileReport`] and, for search optimizers,
//! every scored [`Candidate`].

use std::fmt;

use dspy_core::module::Module;

/// The outcome of [`Optimizer::compile_with_report`](super::Optimizer::compile_with_report).
#[derive(Debug, Clone)]
pub struct Compiled<P> {
    /// The optimized program.
    pub program: P,
    /// What changed, and the scores of the candidates tried.
    pub report: CompileReport,
    /// Every candidate program with its score, best first (random search, and COPRO, where
    /// `seed` is the round that scored it).
    pub candidates: Vec<Candidate<P>>,
}

impl<P> Compiled<P> {
    /// A result with no candidate list.
    pub fn new(program: P, report: CompileReport) -> Compiled<P> {
        Compiled {
            program,
            report,
            candidates: Vec::new(),
        }
    }
}

/// One scored candidate of a search (DSPy's `candidate_programs` entries).
#[derive(Debug, Clone)]
pub struct Candidate<P> {
    /// Its scores.
    pub report: CandidateReport,
    /// The program.
    pub program: P,
}

/// Which candidate it was and how it scored.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateReport {
    /// DSPy's candidate seed: -3 zero-shot, -2 labeled only, -1 plain bootstrap, then random
    /// shuffled bootstraps.
    pub seed: i64,
    /// Evaluation score, 0–100 (NaN when the candidate failed).
    pub score: f64,
    /// Per-example metric values, in validation-set order.
    pub subscores: Vec<f64>,
    /// Bootstrapped demos the candidate was built with.
    pub bootstrapped: usize,
    /// Why building or scoring the candidate failed, if it did; a failed candidate is never
    /// chosen and the others still run.
    pub error: Option<String>,
}

/// The demos and instructions of one predictor before and after compiling.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictorReport {
    /// The predictor's dotted name.
    pub name: String,
    /// Demos before.
    pub demos_before: usize,
    /// Demos after.
    pub demos_after: usize,
    /// Of those, demos bootstrapped from traces (`augmented`).
    pub augmented_after: usize,
    /// Instructions before.
    pub instructions_before: String,
    /// Instructions after.
    pub instructions_after: String,
}

/// A summary of one compile run.
///
/// ```
/// use dspy_optimize::CompileReport;
/// use dspy_core::predict::Predict;
///
/// let before = Predict::parse("q -> a").unwrap();
/// let after = before.clone().with_demos(vec![Default::default()]);
/// let report = CompileReport::new("Mine", &before, &after);
/// assert_eq!(report.predictors[0].demos_after, 1);
/// assert!(report.to_string().contains("self: demos 0 -> 1"));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompileReport {
    /// The optimizer's name.
    pub optimizer: String,
    /// One entry per predictor, in `named_predictors` order.
    pub predictors: Vec<PredictorReport>,
    /// Candidates tried, in the order they were built (random search only).
    pub candidates: Vec<CandidateReport>,
    /// Training examples whose traces became demos.
    pub bootstrapped: usize,
    /// Teacher runs or metric calls that failed.
    pub errors: usize,
    /// Instructions scored, best first (COPRO; MIPROv2 lists its proposals here).
    pub instruction_candidates: Vec<InstructionCandidate>,
    /// Score statistics per predictor and round (COPRO with `track_stats`).
    pub round_stats: Vec<RoundStats>,
    /// Every trial of a search over instructions and demo sets, in order (MIPROv2).
    pub trials: Vec<TrialReport>,
    /// Program evaluations run (one per candidate scored, full or minibatch).
    pub evaluations: usize,
}

/// One instruction an optimizer tried for a predictor.
#[derive(Debug, Clone, PartialEq)]
pub struct InstructionCandidate {
    /// The predictor's dotted name.
    pub predictor: String,
    /// The instruction.
    pub instruction: String,
    /// The last field's prefix that went with it (COPRO).
    pub prefix: Option<String>,
    /// The round that scored it (COPRO), or its index among the proposals (MIPROv2).
    pub depth: usize,
    /// Its score, 0–100 (NaN when it was not scored on its own, as in MIPROv2).
    pub score: f64,
}

/// Min, max, mean and population standard deviation of some scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreStats {
    /// Highest.
    pub max: f64,
    /// Lowest.
    pub min: f64,
    /// Mean.
    pub average: f64,
    /// Population standard deviation.
    pub std: f64,
}

/// COPRO's statistics for one predictor in one round (DSPy's `results_latest` and
/// `results_best`).
#[derive(Debug, Clone, PartialEq)]
pub struct RoundStats {
    /// The predictor's dotted name.
    pub predictor: String,
    /// The round, from 0.
    pub depth: usize,
    /// Over the pairs proposed last.
    pub latest: ScoreStats,
    /// Over the ten best pairs so far.
    pub best: Option<ScoreStats>,
}

/// One trial of MIPROv2's search.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialReport {
    /// Trial number, from 1 (DSPy's numbering: trial 1 is the default program).
    pub number: usize,
    /// Instruction candidate chosen per predictor.
    pub instructions: Vec<usize>,
    /// Demo set chosen per predictor (empty when demos are not optimized).
    pub demo_sets: Vec<usize>,
    /// The score, 0–100.
    pub score: f64,
    /// Whether it was scored on the whole valset (else on a minibatch).
    pub full_eval: bool,
    /// The minibatch: indices into the valset, as drawn (empty for a full evaluation).
    pub minibatch: Vec<usize>,
    /// Examples the task program has run on so far, this trial included.
    pub examples_so_far: usize,
}

impl CompileReport {
    /// Compares the predictors of `before` and `after` (same structure).
    pub fn new<P: Module + ?Sized>(optimizer: &str, before: &P, after: &P) -> CompileReport {
        let old = before.named_predictors();
        let predictors = after
            .named_predictors()
            .into_iter()
            .map(|(name, p)| {
                let prev = old.iter().find(|(n, _)| *n == name).map(|(_, p)| *p);
                PredictorReport {
                    demos_before: prev.map_or(0, |q| q.demos().len()),
                    instructions_before: prev
                        .map(|q| q.signature().instructions().to_string())
                        .unwrap_or_default(),
                    demos_after: p.demos().len(),
                    augmented_after: p
                        .demos()
                        .iter()
                        .filter(|d| d.get("augmented") == Some(&serde_json::Value::Bool(true)))
                        .count(),
                    instructions_after: p.signature().instructions().to_string(),
                    name,
                }
            })
            .collect();
        CompileReport {
            optimizer: optimizer.to_string(),
            predictors,
            ..CompileReport::default()
        }
    }
}

impl fmt::Display for CompileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:", self.optimizer)?;
        for p in &self.predictors {
            write!(
                f,
                "  {}: demos {} -> {} ({} bootstrapped)",
                p.name, p.demos_before, p.demos_after, p.augmented_after
            )?;
            if p.instructions_before != p.instructions_after {
                write!(f, ", instructions changed")?;
            }
            writeln!(f)?;
        }
        for c in &self.candidates {
            writeln!(f, "  candidate {:>3}: score {:.2}", c.seed, c.score)?;
        }
        for t in &self.trials {
            let kind = if t.full_eval { "full" } else { "minibatch" };
            writeln!(
                f,
                "  trial {:>3}: {kind} score {:.2}, instructions {:?}, demo sets {:?}",
                t.number, t.score, t.instructions, t.demo_sets
            )?;
        }
        if self.errors > 0 {
            writeln!(f, "  {} errors", self.errors)?;
        }
        Ok(())
    }
}
