//! [`ModuleExt`]: what every [`Module`] can do on top of `forward`.

use std::path::Path;

use futures_util::stream::{self, StreamExt};
use serde_json::Value;

use dspy_adapters::Values;

use super::Module;
use crate::example::Prediction;
use crate::lm::{BoxFuture, SharedLm};
use crate::predict::PredictorId;
use crate::state::{self, StateError};
use crate::Error;

/// Batches, save/load and predictor look-ups for every [`Module`] (blanket-implemented).
///
/// ```
/// use dspy_core::module::ModuleExt;
/// use dspy_core::predict::ChainOfThought;
///
/// let cot = ChainOfThought::parse("question -> answer").unwrap();
/// let state = cot.dump_state();
/// assert!(state.get("predict").is_some());
/// ```
pub trait ModuleExt: Module {
    /// Runs the program on every input, at most `concurrency` at a time (at least one), and
    /// returns the results in input order (DSPy's `batch`).
    ///
    /// The calls run concurrently on the current task, so [`settings`](crate::settings)
    /// scopes and [`trace`](crate::trace) buffers around the batch apply to them.
    fn batch(
        &self,
        inputs: Vec<Values>,
        concurrency: usize,
    ) -> BoxFuture<'_, Vec<Result<Prediction, Error>>> {
        Box::pin(
            stream::iter(inputs)
                .map(move |x| self.forward(x))
                .buffered(concurrency.max(1))
                .collect(),
        )
    }

    /// The dotted name of the predictor with this id (from a trace entry).
    fn predictor_name(&self, id: PredictorId) -> Option<String> {
        self.named_predictors()
            .into_iter()
            .find(|(_, p)| p.id() == id)
            .map(|(name, _)| name)
    }

    /// Gives every predictor this LM (DSPy's `set_lm`).
    fn set_lm(&mut self, lm: SharedLm) {
        for (_, p) in self.named_predictors_mut() {
            p.set_lm(Some(lm.clone()));
        }
    }

    /// The program's state as DSPy's `dump_state()` returns it: per predictor name, or the
    /// predictor's own state for a bare `Predict`.
    fn dump_state(&self) -> Value {
        state::dump(self)
    }

    /// Applies a state such as [`dump_state`](ModuleExt::dump_state) returns or a saved file
    /// holds. Every predictor is checked before any is changed.
    fn load_state(&mut self, state: &Value) -> Result<(), StateError> {
        state::load(self, state)
    }

    /// Writes the program's state to a `.json` file exactly as Python DSPy's
    /// `program.save(path)` does.
    fn save(&self, path: impl AsRef<Path>) -> Result<(), StateError> {
        state::save(self, path.as_ref())
    }

    /// Reads a `.json` file written by [`save`](ModuleExt::save) or by Python DSPy.
    fn load(&mut self, path: impl AsRef<Path>) -> Result<(), StateError> {
        state::load_file(self, path.as_ref())
    }
}

impl<M: Module + ?Sized> ModuleExt for M {}
