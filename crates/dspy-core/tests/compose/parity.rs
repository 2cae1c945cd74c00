//! Parity with Python DSPy 3.4.1: `BestOfN`, `Refine`, `MultiChainComparison` and `majority`
//! replay the LM outputs recorded by `scripts/record_module_fixtures.py` and must send every
//! message byte for byte, with the same `n`, rollout id and temperature, and return the same
//! prediction.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use dspy_core::adapters::{AdapterKind, Values};
use dspy_core::compose::{BestOfN, Majority, MultiChainComparison, Refine};
use dspy_core::example::Prediction;
use dspy_core::module::Module;
use dspy_core::predict::ChainOfThought;
use dspy_core::{settings, Error};
use dspy_testkit::ScriptedLm;

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/modules")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run scripts/record_module_fixtures.py",
            path.display()
        )
    });
    let fx: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(fx["dspy_version"], "3.4.1");
    fx
}

fn object(v: &Value) -> Values {
    v.as_object().cloned().unwrap_or_default()
}

/// A scripted LM answering with the recorded outputs, in order.
fn replay(fx: &Value) -> Arc<ScriptedLm> {
    let calls = fx["calls"].as_array().unwrap();
    Arc::new(ScriptedLm::new(
        calls
            .iter()
            .map(|c| c["output"].as_str().unwrap().to_string()),
    ))
}

/// Runs `fut` as the recorder ran its program: the scripted LM and the Chat adapter in scope.
async fn run<F: std::future::Future>(lm: &Arc<ScriptedLm>, fut: F) -> F::Output {
    settings::with_lm(lm.clone(), settings::with_adapter(AdapterKind::Chat, fut)).await
}

/// Every request against the recorded call: messages byte for byte, `n`, rollout id and
/// temperature. A call Python made with no temperature of its own shows the recording LM's
/// default (DummyLM's 0.0); the Rust request leaves it unset.
fn assert_calls(fx: &Value, lm: &ScriptedLm) {
    let calls = fx["calls"].as_array().unwrap();
    let requests = lm.requests();
    assert_eq!(requests.len(), calls.len(), "number of LM calls");
    assert_eq!(fx["num_calls"].as_u64(), Some(calls.len() as u64));
    for (i, (call, request)) in calls.iter().zip(&requests).enumerate() {
        let want = call["messages"].as_array().unwrap();
        assert_eq!(
            request.messages.len(),
            want.len(),
            "call {i}: number of messages"
        );
        for (j, (got, want)) in request.messages.iter().zip(want).enumerate() {
            assert_eq!(
                got.role.as_str(),
                want["role"].as_str().unwrap(),
                "call {i} message {j}"
            );
            let want = want["content"].as_str().unwrap();
            if got.content != want {
                let at = got
                    .content
                    .chars()
                    .zip(want.chars())
                    .take_while(|(a, b)| a == b)
                    .count();
                let tail = |s: &str| {
                    s.chars()
                        .skip(at.saturating_sub(40))
                        .take(120)
                        .collect::<String>()
                };
                panic!(
                    "call {i} message {j} differs at char {at}:\n  rust:   {:?}\n  python: {:?}",
                    tail(&got.content),
                    tail(want)
                );
            }
        }
        assert_eq!(request.n.map(u64::from), call["n"].as_u64(), "call {i}: n");
        assert_eq!(
            request.rollout_id,
            call["rollout_id"].as_u64(),
            "call {i}: rollout_id"
        );
        let temperature = call["temperature"].as_f64();
        match request.temperature {
            Some(t) => assert_eq!(Some(t), temperature, "call {i}: temperature"),
            None => assert_eq!(temperature, Some(0.0), "call {i}: unset temperature"),
        }
    }
}

fn assert_prediction(fx: &Value, pred: &Prediction) {
    assert_eq!(Value::Object(pred.values().clone()), fx["prediction"]);
}

fn question(fx: &Value) -> Values {
    object(&fx["config"]["inputs"])
}

fn one_word(_: &Values, pred: &Prediction) -> f64 {
    let words = pred
        .get_str("answer")
        .map_or(0, |a| a.split_whitespace().count());
    if words == 1 {
        1.0
    } else {
        0.0
    }
}

#[tokio::test]
async fn best_of_n_matches_python() {
    let fx = fixture("best_of_n");
    assert_eq!(fx["config"]["N"], 3);
    let lm = replay(&fx);
    let cot = ChainOfThought::parse("question -> answer").unwrap();
    let best = BestOfN::new(cot, 3, one_word, 1.0);
    let pred = run(&lm, best.forward(question(&fx))).await.unwrap();
    assert_calls(&fx, &lm);
    assert_prediction(&fx, &pred);
}

#[tokio::test]
async fn best_of_n_without_reaching_the_threshold_matches_python() {
    let fx = fixture("best_of_n-no-threshold");
    let table = object(&fx["config"]["reward_table"]);
    let reward = move |_: &Values, pred: &Prediction| -> Result<f64, Error> {
        let answer = pred.get_str("answer").unwrap_or_default();
        table
            .get(answer)
            .and_then(Value::as_f64)
            .ok_or_else(|| Error::custom(format!("no reward for {answer:?}")))
    };
    let lm = replay(&fx);
    let cot = ChainOfThought::parse("question -> answer").unwrap();
    let threshold = fx["config"]["threshold"].as_f64().unwrap();
    let best = BestOfN::new(cot, 3, reward, threshold);
    let pred = run(&lm, best.forward(question(&fx))).await.unwrap();
    assert_calls(&fx, &lm);
    assert_prediction(&fx, &pred);
}

#[tokio::test]
async fn refine_matches_python() {
    let fx = fixture("refine");
    let lm = replay(&fx);
    let cot = ChainOfThought::parse("question -> answer").unwrap();
    let refine = Refine::new(cot, 3, one_word, 1.0)
        .program_code(fx["module_code"].as_str().unwrap())
        .reward_code(fx["reward_fn_code"].as_str().unwrap());
    let pred = run(&lm, refine.forward(question(&fx))).await.unwrap();
    assert_calls(&fx, &lm);
    assert_prediction(&fx, &pred);
}

#[tokio::test]
async fn multi_chain_comparison_matches_python() {
    let fx = fixture("multi_chain_comparison");
    let m = fx["config"]["M"].as_u64().unwrap() as usize;
    let mcc = MultiChainComparison::parse(fx["config"]["signature"].as_str().unwrap(), m).unwrap();
    for field in mcc.predict().signature().fields() {
        let want = &fx["signature_fields"][&field.name];
        assert_eq!(want["prefix"], field.prefix.as_str(), "{}", field.name);
        assert_eq!(want["desc"], field.stored_desc().as_str(), "{}", field.name);
    }
    let names: Vec<&str> = mcc
        .predict()
        .signature()
        .fields()
        .map(|f| f.name.as_str())
        .collect();
    let want: Vec<&str> = fx["signature_fields"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, want);

    let completions: Vec<Values> = fx["config"]["completions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut c = object(c);
            c.remove("kind");
            c
        })
        .collect();
    let lm = replay(&fx);
    let pred = run(&lm, mcc.compare(&completions, question(&fx)))
        .await
        .unwrap();
    assert_calls(&fx, &lm);
    assert_prediction(&fx, &pred);
}

#[test]
fn majority_matches_python() {
    let fx = fixture("majority");
    for case in fx["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut vote = Majority::new();
        if let Some(field) = case["kwargs"]["field"].as_str() {
            vote = vote.field(field);
        }
        if case["kwargs"].get("normalize").is_some_and(Value::is_null) {
            vote = vote.exact();
        }
        let rows: Vec<Values> = case["completions"]
            .as_array()
            .unwrap()
            .iter()
            .map(object)
            .collect();
        let chosen = match case["input_kind"].as_str().unwrap() {
            "list[Prediction]" => {
                vote.of_predictions(rows.into_iter().map(Prediction::new).collect())
            }
            _ => vote.of_prediction(&Prediction::from_completions(rows)),
        }
        .unwrap();
        assert_eq!(
            Value::Object(chosen.values().clone()),
            case["output"],
            "case {name}"
        );
    }
    for (text, want) in fx["normalize_text"].as_object().unwrap() {
        assert_eq!(
            dspy_core::compose::normalize_text(text),
            want.as_str().unwrap(),
            "{text:?}"
        );
    }
}
