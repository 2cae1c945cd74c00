//! `settings`: the global adapter, nested `with_lm` / `with_adapter` scopes, and the global
//! `num_threads` / `max_errors` defaults reaching `Evaluate`.
//!
//! Settings are process-global and the tests of one binary run on parallel threads, so every
//! test here takes [`LOCK`] first and starts from [`reset`] (this binary holds only such tests).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dspy_core::adapters::AdapterKind;
use dspy_core::evaluate::{metric_fn, Evaluate};
use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};
use dspy_core::predict::Predict;
use dspy_core::{settings, Error, Example};
use serde_json::json;
use support::{chat, values};
use tokio::sync::{Mutex, MutexGuard};

/// An async lock: it is held across awaits, and a test that panics holding it does not poison
/// it for the others.
static LOCK: Mutex<()> = Mutex::const_new(());

/// Serializes the tests of this binary and puts the settings back to their defaults.
async fn exclusive() -> MutexGuard<'static, ()> {
    let guard = LOCK.lock().await;
    reset();
    guard
}

fn reset() {
    settings::clear_lm();
    settings::clear_adapter();
    settings::configure_num_threads(8);
    settings::configure_max_errors(10);
}

/// Answers every call in the format its prompt asks for (Chat or JSON), with `answer` set to
/// its own name; counts calls and the most in flight at once (each call takes 5 ms).
#[derive(Debug)]
struct Named {
    name: &'static str,
    calls: AtomicUsize,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    fail: bool,
    json_requests: AtomicUsize,
}

impl Named {
    fn new(name: &'static str) -> Arc<Named> {
        Named::with(name, false)
    }

    /// Fails every call with an LM error.
    fn failing(name: &'static str) -> Arc<Named> {
        Named::with(name, true)
    }

    fn with(name: &'static str, fail: bool) -> Arc<Named> {
        Arc::new(Named {
            name,
            calls: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            fail,
            json_requests: AtomicUsize::new(0),
        })
    }

    fn shared(self: &Arc<Self>) -> SharedLm {
        self.clone()
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl LanguageModel for Named {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            if self.fail {
                return Err(LmError::config(format!("{} refuses", self.name)));
            }
            let json = request.messages[0]
                .content
                .contains("Outputs will be a JSON object");
            let text = if json {
                self.json_requests.fetch_add(1, Ordering::SeqCst);
                format!("{{\"answer\": \"{}\"}}", self.name)
            } else {
                chat(&[("answer", self.name)])
            };
            Ok(LmResponse::text(self.name, text))
        })
    }

    fn model(&self) -> &str {
        self.name
    }
}

fn model_in_effect() -> Option<String> {
    settings::lm().map(|lm| lm.model().to_string())
}

fn adapter_in_effect() -> Option<AdapterKind> {
    settings::adapter().map(|a| a.kind())
}

fn qa() -> Predict {
    Predict::parse("question -> answer").unwrap()
}

async fn ask(program: &Predict) -> String {
    let pred = program
        .forward(values(json!({"question": "?"})))
        .await
        .unwrap();
    pred.get_str("answer").unwrap().to_string()
}

#[tokio::test]
async fn the_global_adapter_is_used_until_cleared() {
    let _g = exclusive().await;
    let lm = Named::new("lm");
    let program = qa().with_lm(lm.shared());
    assert_eq!(adapter_in_effect(), None);

    settings::configure_adapter(AdapterKind::Json);
    assert_eq!(adapter_in_effect(), Some(AdapterKind::Json));
    ask(&program).await;
    assert_eq!(lm.json_requests.load(Ordering::SeqCst), 1, "a JSON prompt");

    // A predictor's own adapter beats the global one.
    let own = qa().with_lm(lm.shared()).with_adapter(AdapterKind::Chat);
    ask(&own).await;
    assert_eq!(lm.json_requests.load(Ordering::SeqCst), 1);

    settings::clear_adapter();
    assert_eq!(adapter_in_effect(), None);
    ask(&program).await;
    assert_eq!(lm.calls(), 3);
    assert_eq!(
        lm.json_requests.load(Ordering::SeqCst),
        1,
        "back to the Chat adapter"
    );
}

#[tokio::test]
async fn nested_lm_scopes_inner_wins_and_the_outer_comes_back() {
    let _g = exclusive().await;
    let (global, outer, inner) = (
        Named::new("global"),
        Named::new("outer"),
        Named::new("inner"),
    );
    settings::configure(global.shared());
    let program = qa();

    let seen = settings::with_lm(outer.shared(), async {
        let mut seen = vec![(model_in_effect(), ask(&program).await)];
        let nested = settings::with_lm(inner.shared(), async {
            (model_in_effect(), ask(&program).await)
        })
        .await;
        seen.push(nested);
        // The inner scope ended: the outer LM is back.
        seen.push((model_in_effect(), ask(&program).await));
        seen
    })
    .await;
    let after = (model_in_effect(), ask(&program).await);

    let s = |m: &str| (Some(m.to_string()), m.to_string());
    assert_eq!(seen, [s("outer"), s("inner"), s("outer")]);
    assert_eq!(after, s("global"));
    assert_eq!((global.calls(), outer.calls(), inner.calls()), (1, 2, 1));

    // Without a global LM, leaving every scope leaves none.
    settings::clear_lm();
    let inside = settings::with_lm(outer.shared(), async { model_in_effect() }).await;
    assert_eq!(inside.as_deref(), Some("outer"));
    assert_eq!(model_in_effect(), None);
    assert!(matches!(
        qa().forward(values(json!({"question": "?"}))).await,
        Err(Error::NoLm)
    ));
}

#[tokio::test]
async fn nested_adapter_scopes_inner_wins_and_the_outer_comes_back() {
    let _g = exclusive().await;
    settings::configure_adapter(AdapterKind::Xml);
    let seen = settings::with_adapter(AdapterKind::Json, async {
        let mut seen = vec![adapter_in_effect()];
        seen.push(settings::with_adapter(AdapterKind::Chat, async { adapter_in_effect() }).await);
        seen.push(adapter_in_effect());
        seen
    })
    .await;
    assert_eq!(
        seen,
        [
            Some(AdapterKind::Json),
            Some(AdapterKind::Chat),
            Some(AdapterKind::Json)
        ]
    );
    assert_eq!(
        adapter_in_effect(),
        Some(AdapterKind::Xml),
        "the global one"
    );
}

#[tokio::test]
async fn an_lm_scope_keeps_the_enclosing_adapter_scope_and_the_reverse() {
    let _g = exclusive().await;
    let (outer, inner) = (Named::new("outer"), Named::new("inner"));
    let program = qa();
    let (kinds, answer) = settings::with_adapter(AdapterKind::Json, async {
        settings::with_lm(outer.shared(), async {
            settings::with_lm(inner.shared(), async {
                (
                    (model_in_effect(), adapter_in_effect()),
                    ask(&program).await,
                )
            })
            .await
        })
        .await
    })
    .await;
    assert_eq!(kinds, (Some("inner".to_string()), Some(AdapterKind::Json)));
    assert_eq!(answer, "inner");
    assert_eq!(inner.json_requests.load(Ordering::SeqCst), 1);

    let kinds = settings::with_lm(outer.shared(), async {
        settings::with_adapter(AdapterKind::Xml, async {
            (model_in_effect(), adapter_in_effect())
        })
        .await
    })
    .await;
    assert_eq!(kinds, (Some("outer".to_string()), Some(AdapterKind::Xml)));
}

#[tokio::test]
async fn scopes_do_not_reach_tasks_spawned_inside_them() {
    let _g = exclusive().await;
    let (global, scoped) = (Named::new("global"), Named::new("scoped"));
    settings::configure(global.shared());
    let spawned = settings::with_lm(scoped.shared(), async {
        tokio::spawn(async { model_in_effect() }).await.unwrap()
    })
    .await;
    assert_eq!(spawned.as_deref(), Some("global"));
}

fn devset(n: usize) -> Vec<Example> {
    (0..n)
        .map(|i| {
            Example::new()
                .with("question", format!("q{i}"))
                .with("answer", "lm")
                .with_inputs(["question"])
        })
        .collect()
}

#[tokio::test]
async fn evaluate_takes_the_global_thread_count_unless_given_one() {
    let _g = exclusive().await;
    let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
    for (global, own, expected) in [
        (3, None, 3),
        (1, None, 1),
        (0, None, 1), // zero is treated as one
        (3, Some(5), 5),
    ] {
        settings::configure_num_threads(global);
        assert_eq!(settings::num_threads(), global.max(1));
        let lm = Named::new("lm");
        let program = qa().with_lm(lm.shared());
        let mut evaluate = Evaluate::new(devset(12));
        if let Some(n) = own {
            evaluate = evaluate.num_threads(n);
        }
        let result = evaluate.run(&program, &exact).await.unwrap();
        assert_eq!(result.score, 100.0);
        assert_eq!(lm.calls(), 12);
        assert_eq!(
            lm.peak.load(Ordering::SeqCst),
            expected,
            "global {global}, own {own:?}"
        );
    }
}

#[tokio::test]
async fn evaluate_takes_the_global_error_limit_unless_given_one() {
    let _g = exclusive().await;
    let exact = metric_fn(|ex, pred| ex.get("answer") == pred.get("answer"));
    for (global, own, expected) in [(3, None, 3), (1, None, 1), (3, Some(5), 5)] {
        settings::configure_max_errors(global);
        assert_eq!(settings::max_errors(), global);
        let lm = Named::failing("lm");
        let program = qa().with_lm(lm.shared());
        let mut evaluate = Evaluate::new(devset(20)).num_threads(1);
        if let Some(n) = own {
            evaluate = evaluate.max_errors(n);
        }
        let err = evaluate.run(&program, &exact).await.unwrap_err();
        match err {
            Error::TooManyErrors {
                errors, max_errors, ..
            } => assert_eq!((errors, max_errors), (expected, expected)),
            other => panic!("expected TooManyErrors, got {other:?}"),
        }
        // One example at a time: the run stops at the limit.
        assert_eq!(lm.calls(), expected);
    }

    // Under the limit, failures are rows and the run finishes.
    settings::configure_max_errors(25);
    let lm = Named::failing("lm");
    let result = Evaluate::new(devset(20))
        .run(&qa().with_lm(lm.shared()), &exact)
        .await
        .unwrap();
    assert_eq!(result.score, 0.0);
    assert!(result.results.iter().all(|r| r.error.is_some()));
}
