//! A `tracing` span per LM call, named and shaped by OpenTelemetry's GenAI conventions.
//!
//! [`Trace`] runs each call inside an `lm.call` span (target `dspy::lm`) whose fields follow
//! the [GenAI semantic conventions], so an OpenTelemetry bridge (`tracing-opentelemetry`, or
//! the `otel` feature of the `dspy` crate) exports it as a client span named `chat {model}`:
//!
//! | field | value |
//! | --- | --- |
//! | `gen_ai.operation.name` | `chat` |
//! | `gen_ai.provider.name`, `gen_ai.request.model` | the model string split at its first `/` |
//! | `gen_ai.request.temperature`, `.max_tokens`, `.choice.count`, `.seed` | when the request sets them |
//! | `gen_ai.response.model`, `gen_ai.response.finish_reasons` | from the answer |
//! | `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens` | token counts (zero for cache hits) |
//! | `dspy.cache_hit`, `dspy.latency_ms` | whether a cache answered, and the call's wall time |
//! | `error.type`, `otel.status_code`, `otel.status_description` | on failure: the kind of [`LmError`], `ERROR`, its message (keys redacted) |
//!
//! Prompt and completion text are left out unless [`TraceLayer::with_text`] turns them on;
//! they then go to `gen_ai.input.messages` and `gen_ai.output.messages` as the conventions'
//! JSON (`[{"role": .., "parts": [{"type": "text", "content": ..}]}]`), each cut to
//! [`MAX_TEXT_BYTES`] with a marker, so traces do not hold user data by default and stay small.
//!
//! With no subscriber listening the span costs a few nanoseconds.
//!
//! [GenAI semantic conventions]: https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/

mod layer;

pub use layer::TraceLayer;

use serde_json::{json, Value};
use tokio::time::Instant;
use tracing::field::Empty;
use tracing::Instrument;

use crate::lm::{BoxFuture, FinishReason, LanguageModel, LmError, LmRequest, LmResponse};

/// The most bytes of text one span attribute holds (`gen_ai.input.messages`, ...).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// `value` as JSON text, cut to [`MAX_TEXT_BYTES`] (at a character boundary) with a marker.
fn capped(value: Value) -> String {
    let mut text = value.to_string();
    if text.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("... [truncated]");
    }
    text
}

/// Runs each call of the wrapped LM in a `tracing` span; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Trace<L> {
    inner: L,
    with_text: bool,
}

impl<L> Trace<L> {
    /// Traces `inner`'s calls without prompt or completion text.
    pub fn new(inner: L) -> Trace<L> {
        Trace {
            inner,
            with_text: false,
        }
    }

    /// Also records prompt and completion text (`gen_ai.input.messages`,
    /// `gen_ai.output.messages`).
    pub fn with_text(mut self, on: bool) -> Trace<L> {
        self.with_text = on;
        self
    }

    /// The wrapped LM.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }
}

impl<L: LanguageModel> LanguageModel for Trace<L> {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        let model = request
            .model
            .as_deref()
            .unwrap_or_else(|| self.inner.model());
        let (provider, name) = split_model(model);
        let span = tracing::info_span!(
            target: "dspy::lm",
            "lm.call",
            otel.name = %format_args!("chat {name}"),
            otel.kind = "client",
            otel.status_code = Empty,
            otel.status_description = Empty,
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = provider,
            gen_ai.request.model = name,
            gen_ai.request.temperature = Empty,
            gen_ai.request.max_tokens = Empty,
            gen_ai.request.choice.count = Empty,
            gen_ai.request.seed = Empty,
            gen_ai.response.model = Empty,
            gen_ai.response.finish_reasons = Empty,
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
            dspy.cache_hit = Empty,
            dspy.latency_ms = Empty,
            error.type = Empty,
            gen_ai.input.messages = Empty,
            gen_ai.output.messages = Empty,
        );
        if !span.is_disabled() {
            let params = &request.params;
            if let Some(t) = params.temperature {
                span.record("gen_ai.request.temperature", t);
            }
            if let Some(m) = params.max_tokens {
                span.record("gen_ai.request.max_tokens", m);
            }
            if let Some(n) = params.n.filter(|&n| n != 1) {
                span.record("gen_ai.request.choice.count", n);
            }
            if let Some(seed) = params.seed {
                span.record("gen_ai.request.seed", seed);
            }
            if self.with_text {
                span.record(
                    "gen_ai.input.messages",
                    capped(input_messages(&request)).as_str(),
                );
            }
        }
        let with_text = self.with_text;
        let recorder = span.clone();
        Box::pin(
            async move {
                let start = Instant::now();
                let result = self.inner.call(request).await;
                if !recorder.is_disabled() {
                    record_outcome(&recorder, &result, start, with_text);
                }
                result
            }
            .instrument(span),
        )
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn supports_function_calling(&self) -> bool {
        self.inner.supports_function_calling()
    }
}

/// Fills the span's answer fields once the call has ended.
fn record_outcome(
    span: &tracing::Span,
    result: &Result<LmResponse, LmError>,
    start: Instant,
    with_text: bool,
) {
    span.record("dspy.latency_ms", start.elapsed().as_secs_f64() * 1000.0);
    match result {
        Ok(response) => {
            span.record("gen_ai.usage.input_tokens", response.usage.prompt_tokens);
            span.record(
                "gen_ai.usage.output_tokens",
                response.usage.completion_tokens,
            );
            span.record("dspy.cache_hit", response.cached);
            if !response.model.is_empty() {
                span.record("gen_ai.response.model", response.model.as_str());
            }
            let reasons: Vec<&str> = response
                .choices
                .iter()
                .filter_map(|c| c.finish_reason.as_ref().map(finish_reason))
                .collect();
            if !reasons.is_empty() {
                span.record(
                    "gen_ai.response.finish_reasons",
                    tracing::field::display(json!(reasons)),
                );
            }
            if with_text {
                span.record(
                    "gen_ai.output.messages",
                    capped(output_messages(response)).as_str(),
                );
            }
        }
        Err(error) => {
            span.record("otel.status_code", "ERROR");
            span.record("otel.status_description", tracing::field::display(error));
            span.record("error.type", error_type(error));
        }
    }
}

/// `("openai", "gpt-4o-mini")` for `openai/gpt-4o-mini`; a model string without a provider
/// prefix is its own name, with provider `unknown`.
fn split_model(model: &str) -> (&str, &str) {
    match model.split_once('/') {
        Some((provider, name)) if !provider.is_empty() && !name.is_empty() => (provider, name),
        _ => ("unknown", model),
    }
}

/// The conventions' name of a finish reason.
fn finish_reason(reason: &FinishReason) -> &str {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::Other(other) => other,
    }
}

/// A short, stable name of the kind of error (`error.type`); retries report their last error.
fn error_type(error: &LmError) -> &'static str {
    match error {
        LmError::Transport { .. } => "transport",
        LmError::Timeout(_) => "timeout",
        LmError::RateLimited { .. } => "rate_limited",
        LmError::Server { .. } => "server_error",
        LmError::Auth { .. } => "auth",
        LmError::ContextLength { .. } => "context_length",
        LmError::InvalidRequest { .. } => "invalid_request",
        LmError::Decode { .. } => "decode",
        LmError::Config { .. } => "config",
        LmError::RetriesExhausted { last, .. } | LmError::RetryDeadline { last, .. } => {
            error_type(last)
        }
        LmError::ResponseTooLarge { .. } => "response_too_large",
        #[allow(unreachable_patterns)]
        _ => "other",
    }
}

/// The request's messages as the conventions' `gen_ai.input.messages` JSON.
fn input_messages(request: &LmRequest) -> Value {
    Value::Array(
        request
            .messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "parts": [{"type": "text", "content": m.content}]}))
            .collect(),
    )
}

/// The answer's completions as the conventions' `gen_ai.output.messages` JSON.
fn output_messages(response: &LmResponse) -> Value {
    Value::Array(
        response
            .choices
            .iter()
            .map(|c| {
                let mut parts = vec![json!({"type": "text", "content": c.text})];
                parts.extend(c.tool_calls.iter().map(|call| {
                    json!({"type": "tool_call", "id": call.id, "name": call.name, "arguments": call.args})
                }));
                let reason = c.finish_reason.as_ref().map(finish_reason);
                json!({"role": "assistant", "parts": parts, "finish_reason": reason})
            })
            .collect(),
    )
}
