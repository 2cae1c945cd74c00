//! One predictor call: pick the LM and adapter, format, call, parse (with DSPy's JSON
//! fallback), record the trace.

use dspy_adapters::{
    Adapter, AdapterKind, IntoAdapter, ParseError, ParseErrorKind, SharedAdapter, SignatureSpec,
    Values,
};

use super::{function_calling, structured, LmConfig, Predict, StructuredOutput};
use crate::example::{Example, Prediction};
use crate::lm::{Choice, LanguageModel, SharedLm, Usage};
use crate::trace::{self, TraceEntry};
use crate::{settings, spans, Error};
use tracing::Instrument;

/// Overrides for one call (DSPy's privileged keyword arguments `lm=`, `config=`, `demos=`,
/// `signature=`, plus the adapter).
///
/// ```
/// use dspy_core::predict::{CallOptions, LmConfig};
/// use dspy_core::adapters::AdapterKind;
///
/// let options = CallOptions::default()
///     .adapter(AdapterKind::Xml)
///     .config(LmConfig::default().n(2));
/// assert_eq!(options.adapter.map(|a| a.kind()), Some(AdapterKind::Xml));
/// ```
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// The LM for this call only.
    pub lm: Option<SharedLm>,
    /// The adapter for this call only.
    pub adapter: Option<SharedAdapter>,
    /// Settings merged over the predictor's.
    pub config: LmConfig,
    /// Demos used instead of the predictor's.
    pub demos: Option<Vec<Example>>,
    /// Signature used instead of the predictor's.
    pub signature: Option<SignatureSpec>,
}

impl CallOptions {
    /// Uses `lm` for this call.
    pub fn lm(mut self, lm: SharedLm) -> Self {
        self.lm = Some(lm);
        self
    }

    /// Uses `adapter` for this call (an [`AdapterKind`] or any [`Adapter`]).
    pub fn adapter(mut self, adapter: impl IntoAdapter) -> Self {
        self.adapter = Some(adapter.into_adapter());
        self
    }

    /// Merges `config` over the predictor's settings for this call.
    pub fn config(mut self, config: LmConfig) -> Self {
        self.config = config;
        self
    }

    /// Shows these demos instead of the predictor's.
    pub fn demos(mut self, demos: Vec<Example>) -> Self {
        self.demos = Some(demos);
        self
    }

    /// Uses this signature instead of the predictor's.
    pub fn signature(mut self, spec: SignatureSpec) -> Self {
        self.signature = Some(spec);
        self
    }
}

/// What one adapter run needs besides the adapter.
struct Call<'a> {
    lm: &'a dyn LanguageModel,
    config: &'a LmConfig,
    spec: &'a SignatureSpec,
    demos: &'a [Values],
    inputs: &'a Values,
}

impl Predict {
    /// Calls the LM with `inputs` (keyed by input field name) and returns the parsed outputs.
    ///
    /// The same as [`call`](Predict::call) with default options.
    pub async fn forward(&self, inputs: impl Into<Values>) -> Result<Prediction, Error> {
        self.call(inputs.into(), CallOptions::default()).await
    }

    /// Calls the LM with `inputs` and per-call `options`.
    ///
    /// The LM is the first of: `options.lm`, the predictor's, the scoped one
    /// ([`settings::with_lm`]), the global one ([`settings::configure`]); none gives
    /// [`Error::NoLm`]. The adapter is chosen the same way, defaulting to Chat. When `n > 1`
    /// and the temperature is at most 0.15 it becomes 0.7. A completion that does not parse
    /// with an adapter that falls back (Chat, XML) makes the whole call again with the JSON
    /// adapter (DSPy's fallback); an LM error is returned at once.
    pub async fn call(&self, inputs: Values, options: CallOptions) -> Result<Prediction, Error> {
        let lm = options
            .lm
            .or_else(|| self.lm.clone())
            .or_else(settings::lm)
            .ok_or(Error::NoLm)?;
        let config = self.config.merged(&options.config).with_sampling_rule();
        let spec = options.signature.as_ref().unwrap_or(&self.spec);
        let demos: Vec<Values> = options
            .demos
            .as_deref()
            .unwrap_or(&self.demos)
            .iter()
            .map(|d| d.values().clone())
            .collect();
        let inputs = complete_inputs(spec, inputs);
        let adapter = options
            .adapter
            .or_else(|| self.adapter.clone())
            .or_else(settings::adapter)
            .unwrap_or_else(|| AdapterKind::Chat.into_adapter());

        let call = Call {
            lm: &*lm,
            config: &config,
            spec,
            demos: &demos,
            inputs: &inputs,
        };
        let span = spans::predict_span(spec, adapter.kind(), demos.len());
        let mut usage = Usage::default();
        let outcome = async {
            match call.run(&*adapter, &mut usage).await {
                Err(Error::Parse(_)) if adapter.json_fallback() && self.json_fallback => {
                    call.run(&*AdapterKind::Json.into_adapter(), &mut usage)
                        .await
                }
                other => other,
            }
        }
        .instrument(span.clone())
        .await;
        if !span.is_disabled() {
            spans::record_usage(&span, &usage);
            if let Err(error) = &outcome {
                spans::record_error(&span, error);
            }
        }
        let mut prediction = Prediction::from_completions(outcome?);
        prediction.set_usage(usage);
        if trace::is_tracing() {
            trace::record(TraceEntry {
                predictor: self.id,
                inputs,
                prediction: prediction.clone(),
            });
        }
        Ok(prediction)
    }
}

impl Call<'_> {
    /// Formats, calls the LM once and parses every completion with `adapter`.
    async fn run(&self, adapter: &dyn Adapter, usage: &mut Usage) -> Result<Vec<Values>, Error> {
        let native = function_calling::plan(adapter, self.lm, self.spec, self.inputs)?;
        let shown = native.as_ref().map_or(self.spec, |n| &n.spec);
        let messages = adapter.format(shown, self.demos, self.inputs);
        let mut request = self.config.request(messages);
        if adapter.structured_output() {
            let mode = self.config.structured_output.unwrap_or_default();
            if mode != StructuredOutput::Off {
                request.response_format =
                    structured::response_format(self.spec, mode, adapter.native_function_calling());
            }
        }
        if let Some(native) = native.as_ref() {
            request.tools = native.tools.clone();
        }
        let response = self.lm.call(request).await?;
        *usage += response.usage;
        response
            .choices
            .iter()
            .map(|choice| parse_choice(adapter, self.spec, shown, choice))
            .collect()
    }
}

/// Parses one completion as DSPy's `_call_postprocess` does: the text with the signature the
/// prompt showed (a completion that holds tool calls may have text that does not parse), the
/// tool calls into the `ToolCalls` output; outputs still missing take their default or `null`.
fn parse_choice(
    adapter: &dyn Adapter,
    spec: &SignatureSpec,
    shown: &SignatureSpec,
    choice: &Choice,
) -> Result<Values, Error> {
    let calls_field = spec
        .tool_calls_field()
        .filter(|_| !choice.tool_calls.is_empty());
    let mut values = match (choice.text.is_empty(), calls_field) {
        (false, None) => adapter.parse(shown, &choice.text)?,
        (_, Some(_)) if choice.text.is_empty() || shown.outputs().is_empty() => Values::new(),
        (_, Some(_)) => adapter.parse(shown, &choice.text).unwrap_or_default(),
        (true, None) => {
            return Err(Error::from(ParseError {
                adapter: adapter.kind(),
                kind: ParseErrorKind::Malformed {
                    reason: "The LM returned an empty or null response.".to_string(),
                },
                completion: String::new(),
                expected: spec.outputs().iter().map(|f| f.name.clone()).collect(),
            }))
        }
    };
    for field in spec.outputs() {
        if !values.contains_key(&field.name) {
            let value = field.default.clone().unwrap_or(serde_json::Value::Null);
            values.insert(field.name.clone(), value);
        }
    }
    if let Some(field) = calls_field {
        let calls = function_calling::tool_calls_value(&choice.tool_calls).map_err(|reason| {
            Error::from(ParseError {
                adapter: adapter.kind(),
                kind: ParseErrorKind::Malformed { reason },
                completion: choice.text.clone(),
                expected: vec![field.name.clone()].into(),
            })
        })?;
        values.insert(field.name.clone(), calls);
    }
    Ok(values)
}

/// Fills inputs that have defaults and warns about unknown or missing ones, as DSPy does.
fn complete_inputs(spec: &SignatureSpec, mut inputs: Values) -> Values {
    for field in spec.inputs() {
        if let Some(default) = &field.default {
            if !inputs.contains_key(&field.name) {
                inputs.insert(field.name.clone(), default.clone());
            }
        }
    }
    let extra: Vec<&str> = inputs
        .keys()
        .map(String::as_str)
        .filter(|k| !spec.inputs().iter().any(|f| f.name == *k))
        .collect();
    if !extra.is_empty() {
        tracing::warn!(
            ?extra,
            "input contains fields not in the signature; they will be ignored"
        );
    }
    let missing: Vec<&str> = spec
        .inputs()
        .iter()
        .filter(|f| !inputs.contains_key(&f.name) && !f.ty.admits_none())
        .map(|f| f.name.as_str())
        .collect();
    if !missing.is_empty() {
        tracing::warn!(
            ?missing,
            "not all input fields were provided to the predictor"
        );
    }
    inputs
}
