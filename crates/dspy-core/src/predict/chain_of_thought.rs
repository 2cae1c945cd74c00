//! [`ChainOfThought`]: a [`Predict`] whose signature asks for `reasoning` before the outputs.

use dspy_adapters::signature::{FieldRole, SignatureSyntaxError};
use dspy_adapters::{FieldSpec, FieldType, SignatureSpec, Values};

use super::{CallOptions, Predict};
use crate::example::Prediction;
use crate::Error;

/// The field DSPy's `ChainOfThought` prepends to the outputs: `reasoning: str`, prefix
/// `Reasoning:`, no description (stored as `${reasoning}`).
///
/// ```
/// let field = dspy_core::predict::reasoning_field();
/// assert_eq!((field.name.as_str(), field.prefix.as_str()), ("reasoning", "Reasoning:"));
/// assert_eq!(field.stored_desc(), "${reasoning}");
/// ```
pub fn reasoning_field() -> FieldSpec {
    FieldSpec::new("reasoning", FieldType::Str)
}

/// DSPy's `dspy.ChainOfThought`: the signature with a `reasoning` output first, so the LM
/// thinks before answering. The prediction holds `reasoning` and the original outputs.
///
/// This is the *dynamic* chain of thought (a [`SignatureSpec`] in, [`Values`] and a
/// [`Prediction`] out); for a `#[derive(Signature)]` struct use the typed
/// [`typed::ChainOfThought<S>`](crate::typed::ChainOfThought), which wraps this one.
///
/// Its one predictor is named `predict` (saved programs key it `"predict"`).
///
/// ```
/// use dspy_core::predict::ChainOfThought;
///
/// let cot = ChainOfThought::parse("question -> answer").unwrap();
/// let outputs: Vec<&str> = cot.predict().signature().outputs().iter().map(|f| f.name.as_str()).collect();
/// assert_eq!(outputs, ["reasoning", "answer"]);
/// // The instructions are the original signature's.
/// assert_eq!(cot.predict().signature().instructions(), "Given the fields `question`, produce the fields `answer`.");
/// ```
#[derive(Debug, Clone)]
pub struct ChainOfThought {
    predict: Predict,
}

impl ChainOfThought {
    /// Chain of thought over `spec`.
    pub fn new(spec: &SignatureSpec) -> ChainOfThought {
        ChainOfThought::with_rationale(spec, reasoning_field())
    }

    /// Chain of thought with a custom rationale field (DSPy's `rationale_field`).
    pub fn with_rationale(spec: &SignatureSpec, rationale: FieldSpec) -> ChainOfThought {
        ChainOfThought {
            predict: Predict::new(spec.prepend(FieldRole::Output, rationale)),
        }
    }

    /// Chain of thought over a DSPy string signature.
    pub fn parse(signature: &str) -> Result<ChainOfThought, SignatureSyntaxError> {
        SignatureSpec::parse(signature).map(|spec| ChainOfThought::new(&spec))
    }

    /// Wraps a predictor whose signature already has the rationale field (e.g. one rebuilt
    /// from a saved program).
    pub fn from_predict(predict: Predict) -> ChainOfThought {
        ChainOfThought { predict }
    }

    /// The inner predictor.
    pub fn predict(&self) -> &Predict {
        &self.predict
    }

    /// Mutable access to the inner predictor (demos, instructions, LM, ...).
    pub fn predict_mut(&mut self) -> &mut Predict {
        &mut self.predict
    }

    /// The name of the rationale field the LM writes first (`reasoning` unless built with
    /// [`with_rationale`](ChainOfThought::with_rationale)).
    ///
    /// ```
    /// use dspy_core::adapters::{FieldSpec, FieldType, SignatureSpec};
    /// use dspy_core::predict::ChainOfThought;
    ///
    /// let spec = SignatureSpec::parse("question -> answer").unwrap();
    /// assert_eq!(ChainOfThought::new(&spec).rationale_name(), "reasoning");
    /// let cot = ChainOfThought::with_rationale(&spec, FieldSpec::new("thoughts", FieldType::Str));
    /// assert_eq!(cot.rationale_name(), "thoughts");
    /// ```
    pub fn rationale_name(&self) -> &str {
        self.predict
            .signature()
            .outputs()
            .first()
            .map_or("reasoning", |f| f.name.as_str())
    }

    /// Runs the inner predictor.
    pub async fn forward(&self, inputs: impl Into<Values>) -> Result<Prediction, Error> {
        self.predict.forward(inputs).await
    }

    /// Runs the inner predictor with per-call options.
    pub async fn call(&self, inputs: Values, options: CallOptions) -> Result<Prediction, Error> {
        self.predict.call(inputs, options).await
    }
}
