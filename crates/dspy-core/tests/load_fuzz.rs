//! Loading a saved program never panics or overflows, whatever the file holds: random JSON,
//! valid saved programs with random parts replaced, and random text. By default one batch of
//! `PROPTEST_CASES` (400) cases per kind; `DSPY_FUZZ_SECONDS=600` keeps drawing batches for
//! that long (`DSPY_FUZZ_SECONDS=600 cargo test --release -p dspy-core --test load_fuzz --
//! --nocapture`).

use dspy_core::module::ModuleExt;
use dspy_core::predict::{ChainOfThought, Predict};
use dspy_core::Example;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

/// The keys of DSPy's saved programs, which random JSON draws often so it reaches deep paths.
const SAVED_KEYS: &[&str] = &[
    "traces",
    "train",
    "demos",
    "signature",
    "instructions",
    "fields",
    "prefix",
    "description",
    "lm",
    "metadata",
];

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::from)),
        "\\PC{0,12}".prop_map(Value::from),
        proptest::sample::select([SAVED_KEYS, &["${answer}", "Answer:", "augmented"]].concat())
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::vec(
                (
                    proptest::sample::select(
                        [
                            SAVED_KEYS,
                            &[
                                "predict",
                                "question",
                                "answer",
                                "reasoning",
                                "extended_signature"
                            ],
                        ]
                        .concat()
                    ),
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

/// A valid saved Predict with one part replaced by random JSON.
fn mutated_state() -> impl Strategy<Value = Value> {
    let mut program = Predict::parse("question -> answer").unwrap();
    program.set_demos(vec![Example::new()
        .with("question", "q")
        .with("answer", "a")]);
    let state = program.dump_state();
    let paths = vec![
        "/demos",
        "/demos/0",
        "/demos/0/answer",
        "/signature",
        "/signature/instructions",
        "/signature/fields",
        "/signature/fields/0",
        "/signature/fields/1/prefix",
        "/traces",
        "/lm",
    ];
    (proptest::sample::select(paths), any_json()).prop_map(move |(path, value)| {
        let mut s = state.clone();
        if let Some(slot) = s.pointer_mut(path) {
            *slot = value;
        }
        s
    })
}

fn load_everywhere(state: &Value) {
    let _ = Predict::parse("question -> answer")
        .unwrap()
        .load_state(state);
    let _ = ChainOfThought::parse("question -> answer")
        .unwrap()
        .load_state(state);
    let _ = Predict::parse("a, b -> c: int")
        .unwrap()
        .load_state(&json!({ "self": state }));
}

#[test]
fn loading_never_panics() {
    let cases = dspy_testkit::fuzz::proptest_cases();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("program.json");
    let started = std::time::Instant::now();
    let batches = dspy_testkit::fuzz::for_a_while(|| {
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&prop_oneof![any_json(), mutated_state()], |state| {
                load_everywhere(&state);
                Ok(())
            })
            .unwrap();
        runner
            .run(&"\\PC{0,300}", |text| {
                std::fs::write(&file, &text).unwrap();
                let _ = Predict::parse("question -> answer").unwrap().load(&file);
                Ok(())
            })
            .unwrap();
    });
    println!(
        "load fuzz: {batches} batches of {cases} cases per kind in {:.0} s, no failure",
        started.elapsed().as_secs_f64()
    );
}
