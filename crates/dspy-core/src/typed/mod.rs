//! Typed predictors: [`Predict<S>`](Predict) and [`ChainOfThought<S>`](ChainOfThought) take a
//! signature's input struct and return its output struct.
//!
//! They run on the dynamic path ([`crate::predict::Predict`] over a
//! [`SignatureSpec`](dspy_adapters::SignatureSpec) and [`Values`](dspy_adapters::Values)) and
//! dereference to the dynamic predictor they wrap, so demos, instructions, LM, adapter and
//! settings are read and changed the same way, and optimizers and save/load see them through
//! [`Module::named_predictors`](crate::module::Module::named_predictors) with DSPy's names.
//!
//! A completion whose field does not parse as the field's type is an [`Error::Parse`] naming
//! the field; parsed values that do not fit the output struct are an [`Error::Values`] naming
//! the field too.
//!
//! [`Error::Parse`]: crate::Error::Parse
//! [`Error::Values`]: crate::Error::Values

mod chain_of_thought;
mod predict;

/// What every typed wrapper `$name<S>` of a dynamic module `$inner` (a field `inner`, built by
/// `from_dynamic`) shares: `Default`, a `Clone` with its own predictor id, `Debug`, `Deref` to
/// the dynamic module, and `Module` by delegation (so DSPy's names are the dynamic module's).
macro_rules! typed_wrapper {
    ($name:ident, $inner:ty) => {
        impl<S: crate::signature::Signature> Default for $name<S> {
            fn default() -> Self {
                $name::new()
            }
        }

        impl<S: crate::signature::Signature> Clone for $name<S> {
            /// A copy with its own predictor id.
            fn clone(&self) -> Self {
                $name::from_dynamic(self.inner.clone())
            }
        }

        impl<S: crate::signature::Signature> std::fmt::Debug for $name<S> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let signature = std::any::type_name::<S>();
                let signature = signature.rsplit("::").next().unwrap_or(signature);
                f.debug_tuple(&format!("typed::{}<{signature}>", stringify!($name)))
                    .field(&self.inner)
                    .finish()
            }
        }

        impl<S: crate::signature::Signature> std::ops::Deref for $name<S> {
            type Target = $inner;

            fn deref(&self) -> &$inner {
                &self.inner
            }
        }

        impl<S: crate::signature::Signature> std::ops::DerefMut for $name<S> {
            fn deref_mut(&mut self) -> &mut $inner {
                &mut self.inner
            }
        }

        impl<S: crate::signature::Signature> crate::module::Module for $name<S> {
            fn forward(
                &self,
                inputs: dspy_adapters::Values,
            ) -> crate::lm::BoxFuture<'_, Result<crate::example::Prediction, crate::Error>> {
                crate::module::Module::forward(&self.inner, inputs)
            }

            fn named_predictors(&self) -> Vec<(String, &crate::predict::Predict)> {
                self.inner.named_predictors()
            }

            fn named_predictors_mut(&mut self) -> Vec<(String, &mut crate::predict::Predict)> {
                self.inner.named_predictors_mut()
            }
        }
    };
}
use typed_wrapper;

pub use chain_of_thought::{ChainOfThought, WithReasoning};
pub use predict::Predict;
