//! A fake LM and a log capture for the layer tests.

#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dspy_core::adapters::Message;
use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, Usage};

/// Counts calls and calls in flight, answers after a delay, and plays scripted results first.
///
/// The delay is `request.extra["delay_ms"]` when present, else the fake's default.
#[derive(Debug)]
pub struct FakeLm {
    model: String,
    delay: Duration,
    script: Mutex<VecDeque<Result<LmResponse, LmError>>>,
    calls: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl FakeLm {
    pub fn new() -> FakeLm {
        FakeLm {
            model: "fake/model".into(),
            delay: Duration::ZERO,
            script: Mutex::new(VecDeque::new()),
            calls: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }

    pub fn delay(mut self, d: Duration) -> FakeLm {
        self.delay = d;
        self
    }

    /// Results of the first calls, in order; later calls answer normally.
    pub fn script(self, results: Vec<Result<LmResponse, LmError>>) -> FakeLm {
        *self.script.lock().unwrap() = results.into();
        self
    }

    /// Every call fails with `error`.
    pub fn always_failing(self, error: LmError, n: usize) -> FakeLm {
        self.script((0..n).map(|_| Err(error.clone())).collect())
    }

    pub fn shared(self) -> Arc<FakeLm> {
        Arc::new(self)
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

struct InFlight<'a>(&'a FakeLm);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl LanguageModel for FakeLm {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            let _guard = InFlight(self);
            let delay = request
                .extra
                .get("delay_ms")
                .and_then(|v| v.as_u64())
                .map_or(self.delay, Duration::from_millis);
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if let Some(scripted) = self.script.lock().unwrap().pop_front() {
                return scripted;
            }
            Ok(answer(&request))
        })
    }

    fn model(&self) -> &str {
        &self.model
    }
}

/// What the fake answers: `answer: <last message>`, 10 prompt + 5 completion tokens.
pub fn answer(request: &LmRequest) -> LmResponse {
    let last = request
        .messages
        .last()
        .map(|m| m.content.as_str())
        .unwrap_or("");
    let mut response = LmResponse::text("fake-model-v1", format!("answer: {last}"));
    response.usage = Usage {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
    };
    response
}

pub fn ok(text: &str) -> Result<LmResponse, LmError> {
    Ok(LmResponse::text("fake-model-v1", text))
}

pub fn server_error() -> LmError {
    LmError::Server {
        status: 503,
        message: "overloaded".into(),
        retry_after: None,
    }
}

/// A request asking `question`.
pub fn ask(question: &str) -> LmRequest {
    LmRequest::new(vec![
        Message::system("You answer questions."),
        Message::user(question),
    ])
}

/// `ask(question)` whose fake call takes `ms` milliseconds.
pub fn ask_slow(question: &str, ms: u64) -> LmRequest {
    let mut r = ask(question);
    r.extra.insert("delay_ms".into(), ms.into());
    r
}

/// Collects what `tracing` prints on this thread while the guard lives.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Installs a subscriber for this thread at `level`, printing span closes too.
    ///
    /// `tracing` caches per call site whether anyone listens, for the whole process. A test
    /// without a subscriber that reaches a call site first would cache "never" and hide it
    /// from a capturing test running beside it, so a silent global subscriber is set first:
    /// every thread then has a listener and call sites stay enabled.
    pub fn install(&self, level: tracing::Level) -> tracing::subscriber::DefaultGuard {
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
        });
        let sink = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(move || sink.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
        guard
    }
}

impl io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
