//! `tracing` spans around predictor and module calls, under the LM spans of
//! [`layer::trace`](crate::layer::trace).
//!
//! Every [`Predict`](crate::predict::Predict) call runs in a `dspy.predict` span (target
//! `dspy::predict`) holding its signature's field names (`dspy.signature`, e.g.
//! `question -> answer`), the adapter, the number of demos and the tokens its LM calls used
//! (`dspy.usage.input_tokens`, `dspy.usage.output_tokens`; not the GenAI `gen_ai.usage.*`
//! names, so dashboards summing those over LM spans do not count a call twice). A
//! `#[module]` program's dynamic [`forward`](crate::module::Module::forward) (what
//! `Evaluate`, the optimizers and serving call) runs in a `dspy.module` span named after the
//! struct. A failed call sets `otel.status_code = "ERROR"` and `error.type`.
//!
//! No input, output, instruction or demo text goes into these spans.

use std::future::Future;

use tracing::field::Empty;
use tracing::{Instrument, Span};

use dspy_adapters::signature::SignatureSpec;
use dspy_adapters::AdapterKind;

use crate::lm::Usage;
use crate::Error;

/// The span of one predictor call.
pub(crate) fn predict_span(spec: &SignatureSpec, adapter: AdapterKind, demos: usize) -> Span {
    let span = tracing::info_span!(
        target: "dspy::predict",
        "dspy.predict",
        otel.status_code = Empty,
        error.type = Empty,
        dspy.signature = Empty,
        dspy.adapter = ?adapter,
        dspy.demos = demos,
        dspy.usage.input_tokens = Empty,
        dspy.usage.output_tokens = Empty,
    );
    if !span.is_disabled() {
        span.record("dspy.signature", spec.field_names().as_str());
    }
    span
}

/// Records a predictor call's usage.
pub(crate) fn record_usage(span: &Span, usage: &Usage) {
    span.record("dspy.usage.input_tokens", usage.prompt_tokens);
    span.record("dspy.usage.output_tokens", usage.completion_tokens);
}

/// Marks `span` failed with `error`'s kind.
pub(crate) fn record_error(span: &Span, error: &Error) {
    span.record("otel.status_code", "ERROR");
    span.record("error.type", error_type(error));
}

/// Runs a module's `forward` inside a `dspy.module` span named `name`, marking it failed on
/// error. `#[module]` calls this; hand-written modules may too.
pub fn traced_module<'a, T>(
    name: &'static str,
    forward: impl Future<Output = Result<T, Error>> + Send + 'a,
) -> impl Future<Output = Result<T, Error>> + Send + 'a
where
    T: Send + 'a,
{
    let span = tracing::info_span!(
        target: "dspy::module",
        "dspy.module",
        otel.name = %format_args!("module {name}"),
        otel.status_code = Empty,
        error.type = Empty,
        dspy.module.name = name,
    );
    let recorder = span.clone();
    async move {
        let result = forward.await;
        if let Err(error) = &result {
            record_error(&recorder, error);
        }
        result
    }
    .instrument(span)
}

/// A short, stable name of the kind of error.
fn error_type(error: &Error) -> &'static str {
    match error {
        Error::NoLm => "no_lm",
        Error::Lm(_) => "lm",
        Error::Parse(_) => "parse",
        Error::Values(_) => "values",
        Error::InputsNotSet => "inputs_not_set",
        Error::FunctionCalling(_) => "function_calling",
        Error::State(_) => "state",
        Error::EmptyDataset => "empty_dataset",
        Error::TooManyErrors { .. } => "too_many_errors",
        Error::AllAttemptsFailed { .. } => "all_attempts_failed",
        Error::WrongAttemptCount { .. } => "wrong_attempt_count",
        Error::MissingCompletionField { .. } => "missing_completion_field",
        Error::Optimize(_) => "optimize",
        Error::Signature(_) => "signature",
        Error::Tool(_) => "tool",
        #[cfg(any(feature = "disk-cache", feature = "redis-cache"))]
        Error::Cache(_) => "cache",
        Error::Custom(_) => "custom",
        #[allow(unreachable_patterns)]
        _ => "other",
    }
}
