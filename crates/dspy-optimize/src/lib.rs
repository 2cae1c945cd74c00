//! Optimizers (DSPy's teleprompters): they return a copy of a program whose predictors got
//! better demos or instructions, chosen against a metric on a training set.
//!
//! - [`LabeledFewShot`]: `k` labeled training examples as demos.
//! - [`BootstrapFewShot`]: runs a teacher on the training set and keeps the traces of runs the
//!   metric accepts as demos, topped up with labeled examples.
//! - [`BootstrapFewShotWithRandomSearch`]: zero-shot, labeled-only, plain bootstrap and random
//!   shuffled bootstraps, each scored on a validation set; keeps the best.
//! - [`Ensemble`]: one program that runs several and reduces their answers (e.g. [`majority`]).
//! - [`mipro::MiproV2`]: DSPy's MIPROv2, a TPE search over LM-written instructions and
//!   bootstrapped demo sets per predictor.
//! - [`Copro`]: DSPy's COPRO, coordinate ascent over each predictor's instruction and prefix.
//! - [`gepa::Gepa`]: DSPy's GEPA, instructions rewritten by a reflection LM from the metric's
//!   feedback, with a Pareto pool of candidates and merges.
//! - [`simba::Simba`]: DSPy's SIMBA, demos and LM-written rules from the examples where sampled
//!   runs disagree most.
//! - [`propose`]: the instruction proposer both rely on (DSPy's `GroundedProposer`).
//! - [`metrics`]: DSPy's answer metrics (`answer_exact_match`, token F1, passage match).
//!
//! Every optimizer implements [`Optimizer`] for any `Module + Clone` program, never changes the
//! program it is given, and takes a `seed`: with a deterministic (or cached) LM the same seed
//! gives the same compiled program.
//!
//! This crate sits on top of the runtime (`dspy-core`), which never depends on it. What an
//! optimizer needs from a program is public there: [`Module::named_predictors`] and
//! [`Module::named_predictors_mut`] to read and set each
//! predictor's demos and instructions, and [`dspy_core::trace::with_trace`] to record the
//! predictor calls of a run. The facade re-exports it as `dspy::optimize`.
//!
//! ```
//! use dspy_core::example::Example;
//! use dspy_core::module::Module;
//! use dspy_optimize::{LabeledFewShot, Optimizer};
//! use dspy_core::predict::Predict;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let trainset: Vec<Example> = (0..5)
//!     .map(|i| Example::new().with("question", format!("q{i}")).with("answer", "a").with_inputs(["question"]))
//!     .collect();
//! let student = Predict::parse("question -> answer").unwrap();
//! let compiled = LabeledFewShot::new(3).compile(&student, &trainset, None).await.unwrap();
//! assert_eq!(compiled.demos().len(), 3);
//! assert!(student.demos().is_empty()); // the input is never changed
//! # });
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod bootstrap;
mod copro;
mod ensemble;
mod error;
pub mod gepa;
mod labeled;
pub mod metrics;
pub mod mipro;
pub mod numpy_random;
pub mod propose;
pub mod random;
mod random_search;
mod report;
pub mod simba;
mod teacher;
mod tpe;

use dspy_core::example::Example;
use dspy_core::lm::BoxFuture;
use dspy_core::module::Module;
use dspy_core::Error;

pub use bootstrap::BootstrapFewShot;
pub use copro::Copro;
pub use ensemble::{majority, Ensemble, EnsembleProgram, Reduce};
pub use error::OptimizeError;
pub use labeled::LabeledFewShot;
pub use random_search::{BootstrapFewShotWithRandomSearch, CandidateKind};
pub use report::{
    Candidate, CandidateReport, CompileReport, Compiled, InstructionCandidate, PredictorReport,
    RoundStats, ScoreStats, TrialReport,
};
pub use teacher::{DynProgram, Teacher};

/// An optimizer: compiles a program against a training set into an optimized copy.
///
/// The one required method returns the program with a [`CompileReport`];
/// [`compile`](Optimizer::compile) keeps only the program. Implementations must not change
/// `student`.
///
/// ```
/// use dspy_core::example::Example;
/// use dspy_core::lm::BoxFuture;
/// use dspy_core::module::Module;
/// use dspy_optimize::{CompileReport, Compiled, Optimizer};
/// use dspy_core::Error;
///
/// /// Gives every predictor the first training example as its only demo.
/// struct FirstExample;
///
/// impl Optimizer for FirstExample {
///     fn compile_with_report<'a, P: Module + Clone + 'a>(
///         &'a self,
///         student: &'a P,
///         trainset: &'a [Example],
///         _valset: Option<&'a [Example]>,
///     ) -> BoxFuture<'a, Result<Compiled<P>, Error>> {
///         Box::pin(async move {
///             let before = student.clone();
///             let mut program = student.clone();
///             for (_, p) in program.named_predictors_mut() {
///                 p.set_demos(trainset.iter().take(1).cloned().collect());
///             }
///             let report = CompileReport::new("FirstExample", &before, &program);
///             Ok(Compiled::new(program, report))
///         })
///     }
/// }
/// ```
pub trait Optimizer: Send + Sync {
    /// Compiles `student` on `trainset` (and `valset`, for optimizers that score candidates),
    /// returning the optimized copy and what changed.
    fn compile_with_report<'a, P: Module + Clone + 'a>(
        &'a self,
        student: &'a P,
        trainset: &'a [Example],
        valset: Option<&'a [Example]>,
    ) -> BoxFuture<'a, Result<Compiled<P>, Error>>;

    /// Compiles `student`, returning only the optimized copy.
    fn compile<'a, P: Module + Clone + 'a>(
        &'a self,
        student: &'a P,
        trainset: &'a [Example],
        valset: Option<&'a [Example]>,
    ) -> BoxFuture<'a, Result<P, Error>> {
        Box::pin(async move {
            let compiled = self.compile_with_report(student, trainset, valset).await?;
            Ok(compiled.program)
        })
    }
}

/// DSPy's `reset_copy`: a copy with every predictor's demos (and saved traces) cleared.
///
/// Unlike DSPy, predictors keep their own LM, so a compiled program runs where the student ran.
pub(crate) fn reset_copy<P: Module + Clone>(program: &P) -> P {
    let mut copy = program.clone();
    for (_, p) in copy.named_predictors_mut() {
        p.clear_demos();
    }
    copy
}
