//! DSPy's spans through the OpenTelemetry SDK (in-memory exporter): names, nesting, the GenAI
//! attributes, and no prompt or completion text unless the LM records it.

use dspy::core::adapters::Values;
use dspy::core::layer::cache::ResponseCache;
use dspy::core::layer::trace::TraceLayer;
use dspy::core::layer::LmBuilder;
use dspy::core::lm::{LmError, LmResponse};
use dspy::prelude::*;
use dspy_testkit::ScriptedLm;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;

const QUESTION: &str = "What is the capital of France?";
const ANSWER: &str = "Paris-the-answer";

/// Answer questions with short factoid answers.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

/// One predictor behind a typed forward.
#[module]
#[derive(Debug)]
struct Answerer {
    qa: Predict<QA>,
}

impl Answerer {
    async fn forward(&self, input: QAInput) -> Result<QAOutput, Error> {
        self.qa.forward(input).await
    }
}

/// An LM answering every call with `ANSWER`, 42 prompt and 7 completion tokens.
fn scripted() -> ScriptedLm {
    ScriptedLm::from_response_fn(|_| {
        let mut response = LmResponse::text(
            "gpt-test-0613",
            format!("[[ ## answer ## ]]\n{ANSWER}\n\n[[ ## completed ## ]]"),
        );
        response.usage.prompt_tokens = 42;
        response.usage.completion_tokens = 7;
        response.usage.total_tokens = 49;
        Ok(response)
    })
    .with_model("openai/gpt-test")
}

/// Runs `program` once through its dynamic forward under a subscriber exporting to memory;
/// returns the finished spans.
async fn spans_of(program: &Answerer, runs: usize) -> (Vec<SpanData>, Vec<Result<(), Error>>) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry().with(dspy_otel::layer(&provider));
    let _default = tracing::subscriber::set_default(subscriber);
    let mut results = Vec::new();
    for _ in 0..runs {
        let mut inputs = Values::new();
        inputs.insert("question".into(), QUESTION.into());
        results.push(Module::forward(program, inputs).await.map(|_| ()));
    }
    provider.force_flush().unwrap();
    (exporter.get_finished_spans().unwrap(), results)
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

fn named<'a>(spans: &'a [SpanData], name: &str) -> Vec<&'a SpanData> {
    spans.iter().filter(|s| s.name == name).collect()
}

/// Every attribute and event of every span, as text.
fn everything(spans: &[SpanData]) -> String {
    let mut out = String::new();
    for span in spans {
        out.push_str(&span.name);
        for kv in &span.attributes {
            out.push_str(&format!(" {}={}", kv.key, kv.value.as_str()));
        }
        for event in span.events.iter() {
            out.push_str(&format!(" event {}", event.name));
            for kv in &event.attributes {
                out.push_str(&format!(" {}={}", kv.key, kv.value.as_str()));
            }
        }
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn module_predict_and_lm_spans_nest_with_genai_attributes_and_no_text() {
    let lm = LmBuilder::new(scripted())
        .cache(ResponseCache::in_memory(100))
        .build();
    let mut program = Answerer { qa: Predict::new() };
    program.set_lm(lm);
    let (spans, results) = spans_of(&program, 2).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let modules = named(&spans, "module Answerer");
    let predicts = named(&spans, "dspy.predict");
    let chats = named(&spans, "chat gpt-test");
    assert_eq!(
        (modules.len(), predicts.len(), chats.len()),
        (2, 2, 2),
        "{}",
        everything(&spans)
    );

    for ((module, predict), chat) in modules.iter().zip(&predicts).zip(&chats) {
        assert_eq!(predict.parent_span_id, module.span_context.span_id());
        assert_eq!(chat.parent_span_id, predict.span_context.span_id());
        assert_eq!(chat.span_kind, SpanKind::Client);
        assert_eq!(
            attr(module, "dspy.module.name").as_deref(),
            Some("Answerer")
        );
        assert_eq!(
            attr(predict, "dspy.signature").as_deref(),
            Some("question -> answer")
        );
        assert_eq!(attr(chat, "gen_ai.operation.name").as_deref(), Some("chat"));
        assert_eq!(
            attr(chat, "gen_ai.provider.name").as_deref(),
            Some("openai")
        );
        assert_eq!(
            attr(chat, "gen_ai.request.model").as_deref(),
            Some("gpt-test")
        );
        assert!(attr(chat, "dspy.latency_ms").is_some());
    }
    // The first call reached the LM, the second came from the cache.
    let (first, second) = (chats[0], chats[1]);
    assert_eq!(
        attr(first, "gen_ai.response.model").as_deref(),
        Some("gpt-test-0613")
    );
    assert_eq!(
        attr(first, "gen_ai.usage.input_tokens").as_deref(),
        Some("42")
    );
    assert_eq!(
        attr(first, "gen_ai.usage.output_tokens").as_deref(),
        Some("7")
    );
    assert_eq!(attr(first, "dspy.cache_hit").as_deref(), Some("false"));
    assert_eq!(attr(second, "dspy.cache_hit").as_deref(), Some("true"));
    assert_eq!(
        attr(second, "gen_ai.usage.input_tokens").as_deref(),
        Some("0")
    );
    assert_eq!(
        attr(predicts[0], "dspy.usage.input_tokens").as_deref(),
        Some("42")
    );

    let all = everything(&spans);
    assert!(
        !all.contains("capital of France"),
        "prompt text leaked: {all}"
    );
    assert!(!all.contains(ANSWER), "completion text leaked: {all}");
    assert!(!all.contains("gen_ai.input.messages"), "{all}");
}

#[tokio::test]
async fn text_is_recorded_only_when_asked() {
    let lm = LmBuilder::new(scripted())
        .trace(TraceLayer::new().with_text(true))
        .build();
    let mut program = Answerer { qa: Predict::new() };
    program.set_lm(lm);
    let (spans, _) = spans_of(&program, 1).await;
    let chat = named(&spans, "chat gpt-test")[0];
    let input: serde_json::Value =
        serde_json::from_str(&attr(chat, "gen_ai.input.messages").unwrap()).unwrap();
    assert_eq!(input[0]["role"], "system");
    assert!(input[1]["parts"][0]["content"]
        .as_str()
        .unwrap()
        .contains(QUESTION));
    let output = attr(chat, "gen_ai.output.messages").unwrap();
    assert!(output.contains(ANSWER), "{output}");
}

#[tokio::test]
async fn failed_calls_mark_their_spans() {
    let lm = LmBuilder::new(
        ScriptedLm::from_response_fn(|_| {
            Err(LmError::Server {
                status: 500,
                message: "boom".into(),
                retry_after: None,
            })
        })
        .with_model("openai/gpt-test"),
    )
    .build();
    let mut program = Answerer { qa: Predict::new() };
    program.set_lm(lm);
    let (spans, results) = spans_of(&program, 1).await;
    assert!(results[0].is_err());
    let chat = named(&spans, "chat gpt-test")[0];
    assert!(
        matches!(chat.status, Status::Error { .. }),
        "{:?}",
        chat.status
    );
    assert_eq!(attr(chat, "error.type").as_deref(), Some("server_error"));
    let predict = named(&spans, "dspy.predict")[0];
    assert_eq!(attr(predict, "error.type").as_deref(), Some("lm"));
    let module = named(&spans, "module Answerer")[0];
    assert!(matches!(module.status, Status::Error { .. }));
}

#[tokio::test]
async fn library_warnings_inside_dspy_spans_are_not_exported() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry().with(dspy_otel::layer(&provider));
    let _default = tracing::subscriber::set_default(subscriber);
    let span = tracing::info_span!(target: "dspy::module", "dspy.module");
    span.in_scope(|| {
        // What a library warning may quote: an LM's answer.
        tracing::warn!(target: "dspy_core::compose", "BestOfN: the LM said SECRET-ANSWER");
        tracing::info_span!(target: "dspy_core::other", "not-ours").in_scope(|| {});
    });
    drop(span);
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let all = everything(&spans);
    assert_eq!(spans.len(), 1, "{all}");
    assert!(!all.contains("SECRET-ANSWER"), "{all}");
}
