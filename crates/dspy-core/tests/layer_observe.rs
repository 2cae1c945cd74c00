//! Usage accounting, history with `inspect_history`, tracing spans and the builder's stack.

mod layer_support;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use dspy_core::adapters::Message;
use dspy_core::layer::cache::ResponseCache;
use dspy_core::layer::history::{History, HistoryEntry, RecordHistory};
use dspy_core::layer::retry::RetryPolicy;
use dspy_core::layer::trace::{Trace, TraceLayer};
use dspy_core::layer::usage::{Pricing, TrackUsage, UsageTracker};
use dspy_core::layer::LmBuilder;
use dspy_core::lm::{
    BoxFuture, Choice, LanguageModel, LmError, LmRequest, LmResponse, ToolCall, Usage,
};
use serde_json::json;
use tokio::task::JoinSet;

use layer_support::{ask, server_error, FakeLm, LogCapture};

#[tokio::test]
async fn usage_is_summed_per_model_and_hits_add_no_tokens() {
    let fake = FakeLm::new().shared();
    let tracker = UsageTracker::new();
    tracker.set_pricing("fake/model", Pricing::per_million(1.0, 2.0));
    let lm = LmBuilder::new(fake.clone())
        .cache(ResponseCache::in_memory(100))
        .track_usage(tracker.clone())
        .build();
    lm.call(ask("a")).await.unwrap();
    lm.call(ask("a")).await.unwrap(); // hit
    lm.call(ask("b")).await.unwrap();
    let mut other = ask("c");
    other.model = Some("fake/other".into());
    lm.call(other).await.unwrap();

    let snapshot = tracker.snapshot();
    let main = snapshot.model("fake/model").unwrap();
    assert_eq!((main.calls, main.cached_calls), (3, 1));
    assert_eq!(
        main.usage,
        Usage {
            prompt_tokens: 20,
            completion_tokens: 10,
            total_tokens: 30
        }
    );
    assert!((main.cost - (20.0 * 1.0 + 10.0 * 2.0) / 1e6).abs() < 1e-15);
    assert_eq!(snapshot.model("fake/other").unwrap().usage.total_tokens, 15);
    assert_eq!(snapshot.total().usage.total_tokens, 45);
    assert_eq!(snapshot.total().calls, 4);

    // A new run starts from zero.
    let run = tracker.take();
    assert_eq!(run, snapshot);
    assert_eq!(tracker.snapshot().total().calls, 0);
    lm.call(ask("d")).await.unwrap();
    assert_eq!(tracker.snapshot().total().usage.total_tokens, 15);
    tracker.reset();
    assert!(tracker.snapshot().by_model.is_empty());
}

#[tokio::test]
async fn failed_calls_are_counted_apart() {
    let fake = FakeLm::new().script(vec![Err(server_error())]).shared();
    let tracker = UsageTracker::new();
    let lm = TrackUsage::new(fake, tracker.clone());
    assert!(lm.call(ask("q")).await.is_err());
    lm.call(ask("q")).await.unwrap();
    let total = tracker.snapshot().total();
    assert_eq!((total.calls, total.failed_calls), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_usage_is_exact() {
    let tracker = UsageTracker::new();
    let lm = Arc::new(TrackUsage::new(FakeLm::new().shared(), tracker.clone()));
    let mut tasks = JoinSet::new();
    for i in 0..200 {
        let lm = lm.clone();
        tasks.spawn(async move { lm.call(ask(&i.to_string())).await.unwrap() });
    }
    while tasks.join_next().await.is_some() {}
    assert_eq!(tracker.snapshot().total().usage.total_tokens, 200 * 15);
}

#[tokio::test]
async fn history_records_calls_and_is_bounded() {
    let history = History::with_capacity(3);
    let lm = LmBuilder::new(FakeLm::new().shared())
        .cache(ResponseCache::in_memory(100))
        .history(history.clone())
        .build();
    for q in ["a", "b", "a", "c", "d"] {
        let mut request = ask(q).temperature(0.5);
        request.extra.insert("api_key".into(), json!("sk-secret"));
        request.extra.insert("top_p".into(), json!(0.9));
        lm.call(request).await.unwrap();
    }
    assert_eq!(history.len(), 3);
    let entries = history.last(10);
    let questions: Vec<&str> = entries
        .iter()
        .map(|e| e.messages()[1].content.as_str())
        .collect();
    assert_eq!(questions, ["a", "c", "d"]);
    let hit = &entries[0];
    assert!(hit.cached());
    assert_eq!(hit.usage(), Usage::default());
    assert_eq!(hit.model, "fake/model");
    assert_eq!(hit.request.temperature, Some(0.5));
    assert!(
        !hit.request.extra.contains_key("api_key"),
        "secrets are not kept"
    );
    assert_eq!(hit.request.extra.get("top_p"), Some(&json!(0.9)));
    assert!(!entries[1].cached());
    assert_eq!(entries[1].usage().total_tokens, 15);
    assert_eq!(entries[1].outputs().collect::<Vec<_>>(), ["answer: c"]);

    history.clear();
    assert!(history.is_empty());
}

#[tokio::test]
async fn failed_calls_and_zero_capacity_record_nothing() {
    let history = History::new();
    assert_eq!(history.capacity(), 10_000);
    let lm = RecordHistory::new(
        FakeLm::new().script(vec![Err(server_error())]).shared(),
        history.clone(),
    );
    assert!(lm.call(ask("q")).await.is_err());
    assert!(history.is_empty());

    let off = History::with_capacity(0);
    let lm = RecordHistory::new(FakeLm::new().shared(), off.clone());
    lm.call(ask("q")).await.unwrap();
    assert!(off.is_empty());
}

fn entry(response: LmResponse) -> HistoryEntry {
    HistoryEntry::new(
        "openai/gpt-4o-mini",
        LmRequest::new(vec![
            Message::system("  You are terse.\n"),
            Message::user("\nWhat is 2+2?  "),
        ]),
        response,
        Duration::from_millis(250),
        UNIX_EPOCH + Duration::new(1_714_566_896, 123_456_789),
    )
}

#[test]
fn inspect_history_matches_dspy_byte_for_byte() {
    let history = History::new();
    history.push(entry(LmResponse::text("gpt-4o-mini", "  4\n")));
    let mut two = LmResponse::text("gpt-4o-mini", "four");
    two.choices.push(Choice::text("4"));
    two.choices.push(Choice::text("IV"));
    history.push(entry(two));

    let expected_one = "\n\n\n\n[2024-05-01T12:34:56.123456]\n\n\
        System message:\n\nYou are terse.\n\n\n\
        User message:\n\nWhat is 2+2?\n\n\n\
        Response:\n\n4\n\n";
    assert_eq!(history.inspect(1).len(), history.render(1, false).len());
    assert_eq!(
        history.inspect(2),
        format!(
            "{expected_one}{}\n\n\n\n",
            "\n\n\n\n[2024-05-01T12:34:56.123456]\n\n\
             System message:\n\nYou are terse.\n\n\n\
             User message:\n\nWhat is 2+2?\n\n\n\
             Response:\n\nfour\n\n \t (and 2 other completions)\n"
        )
    );
    // n larger than the history prints everything; the trailer comes once.
    assert_eq!(history.inspect(5), history.inspect(2));

    let colored = history.render(1, true);
    assert!(colored.starts_with("\n\n\n\n\x1b[34m[2024-05-01T12:34:56.123456]\x1b[0m\n\n"));
    assert!(colored.contains("\x1b[31mSystem message:\x1b[0m\n\nYou are terse.\n\n\n"));
    assert!(colored.contains("\x1b[31mResponse:\x1b[0m\n\n\x1b[32mfour\x1b[0m\n\n"));
    assert!(colored.ends_with("\x1b[31m \t (and 2 other completions)\x1b[0m\n\n\n\n\n"));
}

#[test]
fn inspect_history_shows_tool_calls_like_dspy() {
    let history = History::new();
    let mut response = LmResponse::text("m", "");
    response.choices[0].tool_calls.push(ToolCall {
        id: "call_1".into(),
        name: "search".into(),
        args: json!({"query": "rust", "k": 3}),
    });
    history.push(entry(response));
    let text = history.inspect(1);
    assert!(
        text.ends_with(
            "What is 2+2?\n\n\nTool calls:\n\nsearch: {'query': 'rust', 'k': 3}\n\n\n\n\n\n"
        ),
        "{text:?}"
    );
    assert!(!text.contains("Response:"));
}

#[test]
fn empty_history_prints_only_the_trailer() {
    assert_eq!(History::new().inspect(3), "\n\n\n\n");
}

#[tokio::test]
async fn spans_carry_model_tokens_and_cache_hits_but_no_text() {
    let logs = LogCapture::default();
    let _guard = logs.install(tracing::Level::TRACE);
    let lm = LmBuilder::new(FakeLm::new().shared())
        .cache(ResponseCache::in_memory(10))
        .build();
    lm.call(ask("SECRET PROMPT")).await.unwrap();
    lm.call(ask("SECRET PROMPT")).await.unwrap();
    let text = logs.text();
    let closes: Vec<&str> = text.lines().filter(|l| l.contains("lm.call")).collect();
    assert_eq!(closes.len(), 2, "{text}");
    // The GenAI semantic conventions' names, as OpenTelemetry exports them.
    assert!(closes[0].contains("otel.name=chat model"), "{text}");
    assert!(
        closes[0].contains("gen_ai.operation.name=\"chat\""),
        "{text}"
    );
    assert!(
        closes[0].contains("gen_ai.provider.name=\"fake\""),
        "{text}"
    );
    assert!(
        closes[0].contains("gen_ai.request.model=\"model\""),
        "{text}"
    );
    assert!(closes[0].contains("gen_ai.usage.input_tokens=10"), "{text}");
    assert!(closes[0].contains("gen_ai.usage.output_tokens=5"), "{text}");
    assert!(closes[0].contains("dspy.cache_hit=false"), "{text}");
    assert!(closes[1].contains("dspy.cache_hit=true"), "{text}");
    assert!(closes[1].contains("gen_ai.usage.input_tokens=0"), "{text}");
    assert!(closes[0].contains("dspy.latency_ms="), "{text}");
    assert!(!text.contains("SECRET"), "{text}");
    assert!(!text.contains("gen_ai.input.messages"), "{text}");
}

#[tokio::test]
async fn text_is_traced_only_when_asked() {
    let logs = LogCapture::default();
    let _guard = logs.install(tracing::Level::TRACE);
    let lm = LmBuilder::new(FakeLm::new().shared())
        .trace(TraceLayer::new().with_text(true))
        .build();
    lm.call(ask("VISIBLE PROMPT")).await.unwrap();
    let text = logs.text();
    assert!(text.contains("gen_ai.input.messages="), "{text}");
    assert!(text.contains("VISIBLE PROMPT"), "{text}");
    assert!(text.contains("answer: VISIBLE PROMPT"), "{text}");

    let lm = Trace::new(FakeLm::new().script(vec![Err(server_error())]).shared());
    assert!(lm.call(ask("q")).await.is_err());
    let text = logs.text();
    assert!(text.contains("error.type=\"server_error\""), "{text}");
    assert!(text.contains("otel.status_code=\"ERROR\""), "{text}");
}

#[tokio::test(start_paused = true)]
async fn the_builder_puts_the_cache_outside_the_retries() {
    let fake = FakeLm::new()
        .script(vec![Err(server_error()), Err(server_error())])
        .shared();
    let tracker = UsageTracker::new();
    let history = History::new();
    let lm = LmBuilder::new(fake.clone())
        .timeout(Duration::from_secs(30))
        .concurrency_limit(4)
        .retry(RetryPolicy::new().base_delay(Duration::from_millis(10)))
        .cache(ResponseCache::in_memory(100))
        .track_usage(tracker.clone())
        .history(history.clone())
        .build();
    assert_eq!(lm.model(), "fake/model");
    assert!(!lm.call(ask("q")).await.unwrap().cached);
    assert_eq!(fake.calls(), 3, "two retries below the cache");
    assert!(lm.call(ask("q")).await.unwrap().cached);
    assert_eq!(fake.calls(), 3);
    // Usage and history see logical calls: retries are invisible to them.
    let total = tracker.snapshot().total();
    assert_eq!(
        (total.calls, total.failed_calls, total.cached_calls),
        (2, 0, 1)
    );
    assert_eq!(history.len(), 2);
}

/// Puts a marker in front of the last message, to check custom layers' order.
#[derive(Debug)]
struct Mark<L> {
    inner: L,
    mark: &'static str,
}

impl<L: LanguageModel> LanguageModel for Mark<L> {
    fn call(&self, mut request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        if let Some(last) = request.messages.last_mut() {
            last.content = format!("{}{}", self.mark, last.content);
        }
        self.inner.call(request)
    }
    fn model(&self) -> &str {
        self.inner.model()
    }
}

struct MarkLayer(&'static str);

impl<L> dspy_core::layer::Layer<L> for MarkLayer {
    type Lm = Mark<L>;
    fn layer(&self, inner: L) -> Mark<L> {
        Mark {
            inner,
            mark: self.0,
        }
    }
}

#[tokio::test]
async fn custom_layers_wrap_the_client_first_added_outermost() {
    let lm = LmBuilder::new(FakeLm::new().shared())
        .layer(MarkLayer("1"))
        .layer(MarkLayer("2"))
        .without_trace()
        .build();
    let response = lm.call(ask("q")).await.unwrap();
    assert_eq!(response.first_text(), Some("answer: 21q"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_stack_handles_many_concurrent_distinct_calls() {
    let fake = FakeLm::new().delay(Duration::from_millis(2)).shared();
    let tracker = UsageTracker::new();
    let lm = LmBuilder::new(fake.clone())
        .retry(RetryPolicy::new())
        .cache(ResponseCache::in_memory(10_000))
        .concurrency_limit(16)
        .timeout(Duration::from_secs(5))
        .track_usage(tracker.clone())
        .history(History::new())
        .build();
    let mut tasks = JoinSet::new();
    for i in 0..500 {
        let lm = lm.clone();
        tasks.spawn(async move { lm.call(ask(&(i % 250).to_string())).await.unwrap() });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    assert_eq!(fake.calls(), 250);
    assert!(fake.max_in_flight() <= 16);
    let total = tracker.snapshot().total();
    assert_eq!((total.calls, total.cached_calls), (500, 250));
    assert_eq!(total.usage.total_tokens, 250 * 15);
}
