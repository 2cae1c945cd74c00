//! [`HintAdapter`]: DSPy's `WrapperAdapter` inside `Refine`, which shows a predictor the advice
//! of an earlier attempt as an extra `hint_` input.

use dspy_adapters::{
    Adapter, AdapterKind, FieldSpec, FieldType, Message, ParseError, SharedAdapter, SignatureSpec,
    Values,
};

/// The name of the input field the hint goes in.
pub const HINT_FIELD: &str = "hint_";

/// The description of the hint field (DSPy's `InputField(desc=...)`).
pub const HINT_DESC: &str = "A hint to the module from an earlier run";

/// An adapter that appends DSPy's `hint_` input field ("A hint to the module from an earlier
/// run") to the signature and the hint to the inputs, then delegates to the adapter it wraps.
/// Completions are parsed by the wrapped adapter, and its JSON fallback and structured-output
/// choices are kept.
///
/// [`Refine`](crate::compose::Refine) gives one to each predictor of its attempt after the
/// first, with that predictor's advice.
///
/// ```
/// use dspy_core::adapters::{Adapter, AdapterKind, IntoAdapter, SignatureSpec, Values};
/// use dspy_core::compose::HintAdapter;
///
/// let spec = SignatureSpec::parse("question -> answer").unwrap();
/// let hinted = HintAdapter::new(AdapterKind::Chat.into_adapter(), "Answer in one word.");
/// let inputs: Values = [("question".to_string(), "Capital of Belgium?".into())].into_iter().collect();
/// let messages = hinted.format(&spec, &[], &inputs);
/// assert!(messages[0].content.contains("2. `hint_` (str): A hint to the module from an earlier run"));
/// assert!(messages[1].content.ends_with("[[ ## hint_ ## ]]\nAnswer in one word.\n\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`."));
/// ```
#[derive(Debug, Clone)]
pub struct HintAdapter {
    inner: SharedAdapter,
    hint: String,
}

impl HintAdapter {
    /// Shows `hint` through `inner`.
    pub fn new(inner: SharedAdapter, hint: impl Into<String>) -> HintAdapter {
        HintAdapter {
            inner,
            hint: hint.into(),
        }
    }

    /// The hint.
    pub fn hint(&self) -> &str {
        &self.hint
    }

    /// The wrapped adapter.
    pub fn inner(&self) -> &SharedAdapter {
        &self.inner
    }

    /// `spec` with the hint field appended to its inputs (DSPy's
    /// `signature.append("hint_", InputField(desc=...))`); unchanged if it has one already.
    pub fn hinted_spec(spec: &SignatureSpec) -> SignatureSpec {
        let mut builder = SignatureSpec::builder().instructions(spec.instructions());
        for field in spec.inputs() {
            builder = builder.input(field.clone());
        }
        builder = builder.input(hint_field());
        for field in spec.outputs() {
            builder = builder.output(field.clone());
        }
        builder.build().unwrap_or_else(|_| spec.clone())
    }
}

/// DSPy's hint field: `str`, prefix `Hint :` (DSPy's inferred prefix for `hint_`).
fn hint_field() -> FieldSpec {
    FieldSpec::new(HINT_FIELD, FieldType::Str)
        .with_desc(HINT_DESC)
        .with_prefix("Hint :")
}

impl Adapter for HintAdapter {
    fn kind(&self) -> AdapterKind {
        self.inner.kind()
    }

    fn format(&self, spec: &SignatureSpec, demos: &[Values], inputs: &Values) -> Vec<Message> {
        let spec = HintAdapter::hinted_spec(spec);
        let mut inputs = inputs.clone();
        inputs.insert(HINT_FIELD.to_string(), self.hint.clone().into());
        self.inner.format(&spec, demos, &inputs)
    }

    fn parse(&self, spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
        self.inner.parse(spec, completion)
    }

    fn json_fallback(&self) -> bool {
        self.inner.json_fallback()
    }

    fn structured_output(&self) -> bool {
        self.inner.structured_output()
    }
}
