//! [`LabeledFewShot`]: labeled training examples as demos.

use super::random::PyRandom;
use super::{reset_copy, CompileReport, Compiled, Optimizer};
use dspy_core::example::Example;
use dspy_core::lm::BoxFuture;
use dspy_core::module::Module;
use dspy_core::Error;

/// DSPy's `LabeledFewShot(k)`: every predictor gets `k` training examples (labels included) as
/// demos, sampled with one seeded generator shared across predictors, or the first `k` when
/// `sample` is off. An empty trainset returns the program with its demos cleared.
///
/// ```
/// use dspy_optimize::LabeledFewShot;
/// let opt = LabeledFewShot::new(4).seed(7).sample(false);
/// assert_eq!(opt.k, 4);
/// ```
#[derive(Debug, Clone)]
pub struct LabeledFewShot {
    /// Demos per predictor (DSPy default 16).
    pub k: usize,
    /// Sample randomly (true) or take the first `k`.
    pub sample: bool,
    /// Seed of the sampling.
    pub seed: u64,
}

impl Default for LabeledFewShot {
    fn default() -> Self {
        LabeledFewShot::new(16)
    }
}

impl LabeledFewShot {
    /// `k` demos per predictor, sampled with seed 0.
    pub fn new(k: usize) -> LabeledFewShot {
        LabeledFewShot {
            k,
            sample: true,
            seed: 0,
        }
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Samples (true, the default) or takes the first `k`.
    pub fn sample(mut self, sample: bool) -> Self {
        self.sample = sample;
        self
    }

    /// The synchronous core: a copy of `student` with labeled demos.
    pub(crate) fn apply<P: Module + Clone>(&self, student: &P, trainset: &[Example]) -> P {
        let mut program = reset_copy(student);
        if trainset.is_empty() {
            return program;
        }
        let mut rng = PyRandom::new(self.seed);
        for (_, p) in program.named_predictors_mut() {
            let demos = if self.sample {
                rng.sample(trainset, self.k.min(trainset.len()))
                    .unwrap_or_default()
            } else {
                trainset.iter().take(self.k).cloned().collect()
            };
            p.set_demos(demos);
        }
        program
    }
}

impl Optimizer for LabeledFewShot {
    fn compile_with_report<'a, P: Module + Clone + 'a>(
        &'a self,
        student: &'a P,
        trainset: &'a [Example],
        _valset: Option<&'a [Example]>,
    ) -> BoxFuture<'a, Result<Compiled<P>, Error>> {
        Box::pin(async move {
            let program = self.apply(student, trainset);
            let report = CompileReport::new("LabeledFewShot", student, &program);
            Ok(Compiled::new(program, report))
        })
    }
}
