//! [`Predict<S>`](Predict): a dynamic predictor with the types of its signature.

use std::marker::PhantomData;

use dspy_adapters::IntoAdapter;

use crate::example::{Example, Prediction};
use crate::lm::SharedLm;
use crate::predict::{self, CallOptions, LmConfig};
use crate::signature::{from_values, to_values, Signature};
use crate::Error;

/// DSPy's `dspy.Predict(QA)` with typed inputs and outputs: [`forward`](Predict::forward)
/// takes `S::Input` and returns `S::Output`.
///
/// This is the *typed* predictor. It wraps (and dereferences to) the dynamic
/// [`predict::Predict`] built from `S::spec()`, so
/// `demos()`, `set_demos`, `set_instructions`, `signature()`, `set_lm`, ... are the dynamic
/// predictor's. As a [`Module`](crate::module::Module) it is named `self`, as a `Predict` is in DSPy.
///
/// ```
/// use dspy_core::typed::Predict;
/// # use std::sync::OnceLock;
/// # use dspy_core::adapters::signature::{field_type_of, FieldSpec, SignatureSpec};
/// # use dspy_core::signature::Signature;
/// # #[derive(serde::Serialize, serde::Deserialize)] struct QAInput { question: String }
/// # #[derive(serde::Serialize, serde::Deserialize)] struct QAOutput { answer: String }
/// # struct QA;
/// # impl Signature for QA {
/// #     type Input = QAInput;
/// #     type Output = QAOutput;
/// #     fn spec() -> &'static SignatureSpec {
/// #         static SPEC: OnceLock<SignatureSpec> = OnceLock::new();
/// #         SPEC.get_or_init(|| SignatureSpec::parse("question -> answer").unwrap())
/// #     }
/// # }
///
/// let mut qa = Predict::<QA>::new();
/// qa.set_instructions("Answer in one word.");
/// assert_eq!(qa.signature().instructions(), "Answer in one word.");
/// assert!(qa.demos().is_empty());
/// ```
pub struct Predict<S: Signature> {
    inner: predict::Predict,
    signature: PhantomData<fn() -> S>,
}

impl<S: Signature> Predict<S> {
    /// A predictor for `S`, with no demos and default settings.
    pub fn new() -> Predict<S> {
        Predict::from_dynamic(predict::Predict::new(S::spec().clone()))
    }

    /// Wraps a dynamic predictor whose signature has `S`'s fields (e.g. one an optimizer
    /// returned). The fields are not checked here; a mismatch shows up as an error on call.
    pub fn from_dynamic(inner: predict::Predict) -> Predict<S> {
        Predict {
            inner,
            signature: PhantomData,
        }
    }

    /// The dynamic predictor.
    pub fn inner(&self) -> &predict::Predict {
        &self.inner
    }

    /// The dynamic predictor, mutable.
    pub fn inner_mut(&mut self) -> &mut predict::Predict {
        &mut self.inner
    }

    /// The dynamic predictor, unwrapped.
    pub fn into_dynamic(self) -> predict::Predict {
        self.inner
    }

    /// Uses `lm` for this predictor's calls.
    pub fn with_lm(self, lm: SharedLm) -> Predict<S> {
        self.map(|p| p.with_lm(lm))
    }

    /// Uses `adapter` for this predictor's calls.
    pub fn with_adapter(self, adapter: impl IntoAdapter) -> Predict<S> {
        self.map(|p| p.with_adapter(adapter))
    }

    /// Uses these LM settings for every call.
    pub fn with_config(self, config: LmConfig) -> Predict<S> {
        self.map(|p| p.with_config(config))
    }

    /// Uses these demos.
    pub fn with_demos(self, demos: Vec<Example>) -> Predict<S> {
        self.map(|p| p.with_demos(demos))
    }

    /// Uses these instructions.
    pub fn with_instructions(self, instructions: impl Into<String>) -> Predict<S> {
        self.map(|p| p.with_instructions(instructions))
    }

    /// Turns DSPy's JSON fallback on or off (see [`predict::Predict::with_json_fallback`]).
    pub fn with_json_fallback(self, enabled: bool) -> Predict<S> {
        self.map(|p| p.with_json_fallback(enabled))
    }

    fn map(self, f: impl FnOnce(predict::Predict) -> predict::Predict) -> Predict<S> {
        Predict::from_dynamic(f(self.inner))
    }

    /// Calls the LM with `input` and returns the typed outputs (of the first completion).
    pub async fn forward(&self, input: S::Input) -> Result<S::Output, Error> {
        self.call(input, CallOptions::default()).await
    }

    /// Calls the LM with `input` and per-call `options`.
    pub async fn call(&self, input: S::Input, options: CallOptions) -> Result<S::Output, Error> {
        let prediction = self.call_prediction(input, options).await?;
        Ok(from_values(prediction.into_values())?)
    }

    /// Calls the LM and returns the untyped [`Prediction`] (every completion, usage).
    pub async fn call_prediction(
        &self,
        input: S::Input,
        options: CallOptions,
    ) -> Result<Prediction, Error> {
        let inputs = to_values(&input)?;
        self.inner.call(inputs, options).await
    }
}

super::typed_wrapper!(Predict, predict::Predict);
