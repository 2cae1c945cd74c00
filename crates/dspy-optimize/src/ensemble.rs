//! [`Ensemble`]: one program that runs several and reduces their predictions.

use std::fmt;
use std::sync::{Arc, Mutex};

use futures_util::future::join_all;

use dspy_adapters::Values;

use super::random::PyRandom;
use super::OptimizeError;
use dspy_core::example::Prediction;
use dspy_core::lm::BoxFuture;
use dspy_core::module::{naming, Module};
use dspy_core::predict::Predict;
use dspy_core::Error;

pub use dspy_core::compose::{majority, Reduce};

/// DSPy's `Ensemble(reduce_fn, size)`: [`compile`](Ensemble::compile) turns programs into one
/// [`EnsembleProgram`] that runs them all (or a random `size` of them per call) concurrently on
/// the same inputs and reduces the predictions.
///
/// ```
/// use dspy_optimize::{majority, Ensemble};
/// use dspy_core::predict::Predict;
///
/// let programs = vec![Predict::parse("q -> answer").unwrap(); 3];
/// let ensemble = Ensemble::new(majority("answer")).size(2).seed(1).compile(&programs).unwrap();
/// assert_eq!(ensemble.programs().len(), 3);
/// ```
#[derive(Clone)]
pub struct Ensemble {
    reduce: Reduce,
    /// Programs sampled per call (all when `None`).
    pub size: Option<usize>,
    /// Seed of that sampling.
    pub seed: u64,
}

impl fmt::Debug for Ensemble {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ensemble")
            .field("size", &self.size)
            .field("seed", &self.seed)
            .finish()
    }
}

impl Ensemble {
    /// An ensemble reducing with `reduce` (e.g. [`majority`]).
    pub fn new(reduce: Reduce) -> Ensemble {
        Ensemble {
            reduce,
            size: None,
            seed: 0,
        }
    }

    /// Runs a random `size` of the programs per call.
    pub fn size(mut self, size: usize) -> Ensemble {
        self.size = Some(size.max(1));
        self
    }

    /// Sets the seed of the per-call sampling.
    pub fn seed(mut self, seed: u64) -> Ensemble {
        self.seed = seed;
        self
    }

    /// The ensembled program over copies of `programs`.
    pub fn compile<P: Module + Clone>(&self, programs: &[P]) -> Result<EnsembleProgram<P>, Error> {
        if programs.is_empty() {
            return Err(OptimizeError::NoPrograms.into());
        }
        Ok(EnsembleProgram {
            programs: programs.to_vec(),
            reduce: self.reduce.clone(),
            size: self.size,
            rng: Arc::new(Mutex::new(PyRandom::new(self.seed))),
        })
    }
}

/// The program [`Ensemble::compile`] returns. Its predictors are named `programs[i].<name>`.
#[derive(Clone)]
pub struct EnsembleProgram<P> {
    programs: Vec<P>,
    reduce: Reduce,
    size: Option<usize>,
    rng: Arc<Mutex<PyRandom>>,
}

impl<P: fmt::Debug> fmt::Debug for EnsembleProgram<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnsembleProgram")
            .field("programs", &self.programs)
            .field("size", &self.size)
            .finish()
    }
}

impl<P> EnsembleProgram<P> {
    /// The programs.
    pub fn programs(&self) -> &[P] {
        &self.programs
    }
}

impl<P: Module> Module for EnsembleProgram<P> {
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        Box::pin(async move {
            let chosen: Vec<&P> = match self.size {
                Some(k) if k < self.programs.len() => {
                    let idx: Vec<usize> = (0..self.programs.len()).collect();
                    let picked = self
                        .rng
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .sample(&idx, k)
                        .unwrap_or_default();
                    picked.into_iter().map(|i| &self.programs[i]).collect()
                }
                _ => self.programs.iter().collect(),
            };
            let outputs = join_all(chosen.iter().map(|p| p.forward(inputs.clone()))).await;
            let predictions = outputs.into_iter().collect::<Result<Vec<_>, _>>()?;
            (self.reduce)(predictions)
        })
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        naming::nest_each("programs", &self.programs)
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        naming::nest_each_mut("programs", &mut self.programs)
    }
}
