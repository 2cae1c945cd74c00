//! Differential test: `loads` against outputs recorded from Python's `json_repair.loads`
//! (0.64.6) in `data/json_repair_cases.json`.
//!
//! Each case is `{"input": ..., "output": ..., "py_repr": ...}`. `output` is the Python result
//! written with `json.dumps`, so `3` and `3.0` stay distinct; non-finite floats, which JSON
//! cannot hold, are recorded as the strings `"NaN"`, `"Infinity"` and `"-Infinity"` (what
//! `loads` returns for them). `py_repr` is Python's `repr` of the result, for reading.
//!
//! To add cases, append inputs and regenerate the outputs with the oracle:
//!
//! ```text
//! /work/pyenv/bin/python - <<'PY'
//! import json, math, json_repair
//! path = "crates/dspy-adapters/tests/data/json_repair_cases.json"
//! def enc(v):
//!     if isinstance(v, float) and not math.isfinite(v):
//!         return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
//!     if isinstance(v, dict): return {k: enc(x) for k, x in v.items()}
//!     if isinstance(v, list): return [enc(x) for x in v]
//!     return v
//! cases = json.load(open(path, encoding="utf-8"))
//! for c in cases:
//!     r = json_repair.loads(c["input"])
//!     c["output"], c["py_repr"] = enc(r), repr(r)
//! with open(path, "w", encoding="utf-8") as f:
//!     json.dump(cases, f, ensure_ascii=False, indent=1); f.write("\n")
//! PY
//! ```

use dspy_adapters::value::json_repair::loads;
use serde_json::Value;

/// Inputs where `loads` knowingly differs from Python, with the reason.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// Equality that tells integers from floats and compares object key order. Floats may differ
/// by rounding in the last place: serde_json (without `float_roundtrip`) reads the fixture's
/// float literals, and integers too big for 64 bits, only to within an ulp or so.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.is_f64(), y.is_f64()) {
            (false, false) => x == y,
            (true, true) => {
                let (p, q) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                p == q || (p - q).abs() <= 4.0 * f64::EPSILON * p.abs().max(q.abs())
            }
            _ => false,
        },
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        _ => a == b,
    }
}

#[test]
fn agrees_with_python_json_repair() {
    let text = include_str!("data/json_repair_cases.json");
    let cases: Vec<Value> = serde_json::from_str(text).expect("fixture is valid JSON");
    assert!(cases.len() >= 100, "the corpus should not shrink");
    let mut mismatches = Vec::new();
    let mut known = 0;
    for case in &cases {
        let input = case["input"].as_str().expect("input is a string");
        let expected = &case["output"];
        let got = loads(input);
        if same(&got, expected) {
            continue;
        }
        if KNOWN_DIFFERENCES.iter().any(|(k, _)| *k == input) {
            known += 1;
            continue;
        }
        mismatches.push(format!(
            "input:    {input:?}\n  python: {expected}\n  rust:   {got}"
        ));
    }
    let agree = cases.len() - mismatches.len() - known;
    eprintln!(
        "{agree}/{} cases agree ({known} known differences)",
        cases.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} cases disagree with Python:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}

#[test]
fn known_differences_are_in_the_corpus() {
    let text = include_str!("data/json_repair_cases.json");
    let cases: Vec<Value> = serde_json::from_str(text).expect("fixture is valid JSON");
    for (input, _) in KNOWN_DIFFERENCES {
        assert!(
            cases.iter().any(|c| c["input"] == *input),
            "stale known difference: {input:?}"
        );
    }
}

/// Runs an extra corpus in the same format, e.g. a large generated one:
/// `JSON_REPAIR_CASES=/tmp/cases.json cargo test -p dspy-adapters --test json_repair -- --ignored`.
#[test]
#[ignore = "needs JSON_REPAIR_CASES=<path to a corpus file>"]
fn agrees_with_python_on_extra_corpus() {
    let Ok(path) = std::env::var("JSON_REPAIR_CASES") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("readable corpus");
    // (serde_json reads at most 128 levels of nesting, so keep outputs shallower than that.)
    let cases: Vec<Value> = serde_json::from_str(&text).expect("corpus is valid JSON");
    let mut mismatches = Vec::new();
    for case in &cases {
        let input = case["input"].as_str().expect("input is a string");
        let got = loads(input);
        if !same(&got, &case["output"]) {
            mismatches.push(format!(
                "input:    {input:?}\n  python: {}\n  rust:   {got}",
                case["output"]
            ));
        }
    }
    eprintln!(
        "{}/{} cases agree",
        cases.len() - mismatches.len(),
        cases.len()
    );
    for m in mismatches.iter().take(40) {
        eprintln!("{m}");
    }
    assert!(mismatches.is_empty(), "{} mismatches", mismatches.len());
}
