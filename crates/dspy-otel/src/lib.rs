//! OpenTelemetry for DSPy programs: module, predictor and LM spans exported over OTLP.
//!
//! `dspy-core` already runs every LM call in a span shaped by OpenTelemetry's GenAI semantic
//! conventions (`chat {model}`, `gen_ai.request.model`, `gen_ai.usage.input_tokens`, ...;
//! see `dspy::core::layer::trace`), every predictor call in a `dspy.predict` span and every
//! `#[module]` program in a `dspy.module` span (see `dspy::core::spans`). This crate sends them
//! to an OpenTelemetry collector: [`init`] builds an OTLP/HTTP exporter, a batch span
//! processor and a `tracing-opentelemetry` layer, installs them as the global `tracing`
//! subscriber, and returns a guard that flushes the last spans when dropped.
//!
//! Prompt and completion text stay out of the spans unless the LM records them
//! (`Lm::builder(..).record_text(true)`).
//!
//! ```no_run
//! # fn main() -> Result<(), dspy_otel::OtelError> {
//! // Spans go to http://localhost:4318/v1/traces (or OTEL_EXPORTER_OTLP_ENDPOINT).
//! let _otel = dspy_otel::init(dspy_otel::OtelConfig::new("my-rag-service"))?;
//! // ... run programs; the guard flushes the batch when it goes out of scope.
//! # Ok(()) }
//! ```
//!
//! To add the spans to a subscriber of your own (with a `fmt` layer, another exporter, TLS
//! through tonic, ...), build a tracer provider and stack [`layer`] on your registry.
//!
//! The built-in exporter speaks OTLP over plain HTTP (a local collector or agent, the usual
//! setup); for an `https://` collector, build your own exporter and use [`layer`].

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};
use opentelemetry_sdk::Resource;
use tracing::Level;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The `tracing` targets of DSPy's spans: `dspy::module`, `dspy::predict` and `dspy::lm`.
pub const TARGET: &str = "dspy";

/// What [`init`] sets up.
#[derive(Debug, Clone)]
#[must_use]
pub struct OtelConfig {
    service_name: String,
    endpoint: Option<String>,
    timeout: Duration,
}

impl OtelConfig {
    /// Spans of the service `service_name` (the `service.name` resource attribute), sent to
    /// the collector named by the OpenTelemetry environment variables
    /// (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT`), else to
    /// `http://localhost:4318`.
    pub fn new(service_name: impl Into<String>) -> OtelConfig {
        OtelConfig {
            service_name: service_name.into(),
            endpoint: None,
            timeout: Duration::from_secs(10),
        }
    }

    /// The collector's base URL (`http://collector:4318`); spans go to its `/v1/traces`.
    pub fn endpoint(mut self, url: impl Into<String>) -> OtelConfig {
        self.endpoint = Some(url.into());
        self
    }

    /// The longest one export may take (default 10 s); a slower collector loses that batch,
    /// never the program's time.
    pub fn timeout(mut self, timeout: Duration) -> OtelConfig {
        self.timeout = timeout;
        self
    }
}

/// Why OpenTelemetry could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtelError {
    /// The OTLP exporter could not be built (a malformed endpoint URL, ...).
    #[error("could not build the OTLP exporter: {0}; check the endpoint URL (e.g. http://localhost:4318)")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
    /// A global `tracing` subscriber was already installed.
    #[error("a global tracing subscriber is already set; add dspy_otel::layer(..) to it instead of calling init")]
    SubscriberSet(#[from] tracing_subscriber::util::TryInitError),
}

/// Flushes and shuts the exporter down when dropped (waiting at most about twice the export
/// timeout for an unreachable collector); keep it alive while programs run.
#[derive(Debug)]
#[must_use = "dropping the guard shuts the exporter down at once"]
pub struct OtelGuard {
    provider: SdkTracerProvider,
}

impl OtelGuard {
    /// The tracer provider, e.g. to trace your own spans beside DSPy's.
    pub fn provider(&self) -> &SdkTracerProvider {
        &self.provider
    }
}

impl Drop for OtelGuard {
    fn drop(&mut self) {
        // Errors here (a collector gone away) cannot be reported anywhere useful.
        let _ = self.provider.force_flush();
        let _ = self.provider.shutdown();
    }
}

/// Exports DSPy's spans over OTLP/HTTP as `config` says and installs the global `tracing`
/// subscriber; see the [crate docs](crate).
pub fn init(config: OtelConfig) -> Result<OtelGuard, OtelError> {
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_timeout(config.timeout);
    if let Some(endpoint) = &config.endpoint {
        exporter = exporter.with_endpoint(traces_url(endpoint));
    }
    let exporter = exporter.build()?;
    let provider = SdkTracerProvider::builder()
        .with_resource(
            Resource::builder()
                .with_service_name(config.service_name)
                .build(),
        )
        .with_batch_exporter(exporter)
        .build();
    tracing_subscriber::registry()
        .with(layer(&provider))
        .try_init()?;
    Ok(OtelGuard { provider })
}

/// A `tracing` layer sending DSPy's spans (target [`TARGET`] and `dspy::*`, info level and up)
/// to `provider`'s tracer. Other spans and events (the library's own warnings, whose text may
/// quote LM output) are left to the rest of your subscriber.
pub fn layer<S>(provider: &SdkTracerProvider) -> impl Layer<S> + Send + Sync + 'static
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span> + Send + Sync,
{
    tracing_opentelemetry::layer()
        .with_tracer(tracer(provider))
        .with_filter(filter_fn(|meta| {
            let target = meta.target();
            *meta.level() <= Level::INFO
                && (target == TARGET
                    || target
                        .strip_prefix(TARGET)
                        .is_some_and(|rest| rest.starts_with("::")))
        }))
}

/// The tracer DSPy's spans use, named after this crate.
fn tracer(provider: &SdkTracerProvider) -> Tracer {
    provider.tracer("dspy")
}

/// `base/v1/traces`, unless `base` already names the traces path.
fn traces_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/v1/traces") {
        base.to_string()
    } else {
        format!("{base}/v1/traces")
    }
}

#[cfg(test)]
mod tests {
    use super::traces_url;

    #[test]
    fn endpoint_gets_the_traces_path_once() {
        assert_eq!(traces_url("http://c:4318"), "http://c:4318/v1/traces");
        assert_eq!(traces_url("http://c:4318/"), "http://c:4318/v1/traces");
        assert_eq!(
            traces_url("http://c:4318/v1/traces"),
            "http://c:4318/v1/traces"
        );
    }
}
