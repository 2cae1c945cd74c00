//! Teachers of another type than the student: [`DynProgram`] and [`Teacher`].

use std::fmt;
use std::sync::Arc;

use dspy_adapters::Values;

use dspy_core::example::Prediction;
use dspy_core::lm::BoxFuture;
use dspy_core::module::Module;
use dspy_core::predict::Predict;
use dspy_core::Error;

/// A [`Module`] that can be cloned behind a `Box` (any `Module + Clone + 'static`).
pub trait DynProgram: Module {
    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn DynProgram>;
}

impl<M: Module + Clone + 'static> DynProgram for M {
    fn clone_box(&self) -> Box<dyn DynProgram> {
        Box::new(self.clone())
    }
}

/// A teacher program for bootstrapping: any program whose predictors have the student's names
/// and signatures (a bigger LM, more demos, ...).
///
/// ```
/// use dspy_optimize::Teacher;
/// use dspy_core::predict::Predict;
///
/// let teacher = Teacher::new(Predict::parse("question -> answer").unwrap());
/// assert!(!teacher.is_compiled());
/// ```
#[derive(Clone)]
pub struct Teacher {
    program: Arc<dyn DynProgram>,
    compiled: bool,
}

impl fmt::Debug for Teacher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Teacher")
            .field("program", &self.program)
            .field("compiled", &self.compiled)
            .finish()
    }
}

impl Teacher {
    /// An uncompiled teacher: like DSPy, it gets labeled demos first when
    /// `max_labeled_demos > 0`.
    pub fn new(program: impl Module + Clone + 'static) -> Teacher {
        Teacher {
            program: Arc::new(program),
            compiled: false,
        }
    }

    /// A compiled teacher: used with its own demos as they are.
    pub fn compiled(program: impl Module + Clone + 'static) -> Teacher {
        Teacher {
            program: Arc::new(program),
            compiled: true,
        }
    }

    /// Whether the teacher is used as it is.
    pub fn is_compiled(&self) -> bool {
        self.compiled
    }

    pub(crate) fn program(&self) -> BoxedProgram {
        BoxedProgram(self.program.clone_box())
    }
}

/// A boxed program that clones (for per-attempt teacher copies).
#[derive(Debug)]
pub(crate) struct BoxedProgram(Box<dyn DynProgram>);

impl Clone for BoxedProgram {
    fn clone(&self) -> BoxedProgram {
        BoxedProgram(self.0.clone_box())
    }
}

impl Module for BoxedProgram {
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        self.0.forward(inputs)
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        self.0.named_predictors()
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        self.0.named_predictors_mut()
    }
}
