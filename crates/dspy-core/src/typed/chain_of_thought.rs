//! [`ChainOfThought<S>`](ChainOfThought) and its output, [`WithReasoning`].

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Serialize};

use dspy_adapters::FieldSpec;

use crate::example::Prediction;
use crate::lm::SharedLm;
use crate::predict::{self, CallOptions, LmConfig};
use crate::signature::{from_values, to_values, Signature};
use crate::Error;

/// The outputs of a typed [`ChainOfThought`]: the LM's `reasoning` and the signature's
/// outputs.
///
/// It dereferences to the outputs, so `result.answer` reads an output field and
/// `result.reasoning` the reasoning. It serializes as one flat object, `reasoning` first (the
/// [`Prediction`] a chain of thought returns).
///
/// ```
/// use dspy_core::typed::WithReasoning;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Out { answer: i64 }
///
/// let r = WithReasoning { reasoning: "2 + 2 = 4".to_string(), output: Out { answer: 4 } };
/// assert_eq!(r.answer, 4);
/// assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"reasoning":"2 + 2 = 4","answer":4}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithReasoning<O> {
    /// The step-by-step reasoning the LM wrote before the outputs.
    pub reasoning: String,
    /// The signature's outputs.
    #[serde(flatten)]
    pub output: O,
}

impl<O> WithReasoning<O> {
    /// The outputs, without the reasoning.
    pub fn into_output(self) -> O {
        self.output
    }
}

impl<O> Deref for WithReasoning<O> {
    type Target = O;

    fn deref(&self) -> &O {
        &self.output
    }
}

impl<O> DerefMut for WithReasoning<O> {
    fn deref_mut(&mut self) -> &mut O {
        &mut self.output
    }
}

/// DSPy's `dspy.ChainOfThought(QA)` with typed inputs and outputs: the LM writes `reasoning`
/// before `S`'s outputs, and [`forward`](ChainOfThought::forward) returns both as a
/// [`WithReasoning<S::Output>`](WithReasoning).
///
/// This is the *typed* chain of thought. It wraps (and dereferences to) the dynamic
/// [`predict::ChainOfThought`]; as a [`Module`](crate::module::Module) its one predictor is
/// named `predict`, so in a field `generate_answer` it is `generate_answer.predict`, as in
/// DSPy. A custom rationale field ([`with_rationale`](ChainOfThought::with_rationale)) is
/// what [`WithReasoning::reasoning`] holds.
pub struct ChainOfThought<S: Signature> {
    inner: predict::ChainOfThought,
    signature: PhantomData<fn() -> S>,
}

impl<S: Signature> ChainOfThought<S> {
    /// Chain of thought over `S`.
    pub fn new() -> ChainOfThought<S> {
        ChainOfThought::from_dynamic(predict::ChainOfThought::new(S::spec()))
    }

    /// Chain of thought over `S` with a custom rationale field (DSPy's `rationale_field`):
    /// the LM writes it first, and [`WithReasoning::reasoning`] holds it.
    pub fn with_rationale(rationale: FieldSpec) -> ChainOfThought<S> {
        ChainOfThought::from_dynamic(predict::ChainOfThought::with_rationale(
            S::spec(),
            rationale,
        ))
    }

    /// Wraps a dynamic chain of thought whose signature is `S`'s with a rationale output first.
    pub fn from_dynamic(inner: predict::ChainOfThought) -> ChainOfThought<S> {
        ChainOfThought {
            inner,
            signature: PhantomData,
        }
    }

    /// The dynamic chain of thought.
    pub fn inner(&self) -> &predict::ChainOfThought {
        &self.inner
    }

    /// The dynamic chain of thought, mutable.
    pub fn inner_mut(&mut self) -> &mut predict::ChainOfThought {
        &mut self.inner
    }

    /// Uses `lm` for this predictor's calls.
    pub fn with_lm(mut self, lm: SharedLm) -> ChainOfThought<S> {
        self.inner.predict_mut().set_lm(Some(lm));
        self
    }

    /// Uses these LM settings for every call (e.g. room for the reasoning in `max_tokens`).
    pub fn with_config(mut self, config: LmConfig) -> ChainOfThought<S> {
        *self.inner.predict_mut().config_mut() = config;
        self
    }

    /// Calls the LM with `input` and returns the reasoning and the typed outputs.
    pub async fn forward(&self, input: S::Input) -> Result<WithReasoning<S::Output>, Error> {
        self.call(input, CallOptions::default()).await
    }

    /// Calls the LM with `input` and per-call `options`.
    pub async fn call(
        &self,
        input: S::Input,
        options: CallOptions,
    ) -> Result<WithReasoning<S::Output>, Error> {
        let prediction = self.call_prediction(input, options).await?;
        let mut values = prediction.into_values();
        let reasoning = match values.shift_remove(self.inner.rationale_name()) {
            Some(serde_json::Value::String(text)) => text,
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        Ok(WithReasoning {
            reasoning,
            output: from_values(values)?,
        })
    }

    /// Calls the LM and returns the untyped [`Prediction`].
    pub async fn call_prediction(
        &self,
        input: S::Input,
        options: CallOptions,
    ) -> Result<Prediction, Error> {
        let inputs = to_values(&input)?;
        self.inner.call(inputs, options).await
    }
}

super::typed_wrapper!(ChainOfThought, predict::ChainOfThought);
