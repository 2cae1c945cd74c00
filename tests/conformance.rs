//! Runs every DSPy conformance fixture in a folder against our adapters.
//!
//! Default folder: `tests/conformance/dspy-3.4.1/` (copied from `../shared/conformance`).
//! `DSPY_CONFORMANCE_DIR=/path` runs that folder instead; `CONFORMANCE_FILTER=text` runs only
//! cases whose id contains `text`. Prints `conformance: N passed, M failed[, K skipped]` and a
//! readable diff per failure; exits non-zero when any case fails.

#[path = "support/fixture.rs"]
mod fixture;
#[path = "../crates/dspy-adapters/tests/support/fixture_types.rs"]
mod fixture_types;

use std::path::PathBuf;
use std::process::ExitCode;

use dspy_adapters::{AdapterKind, Message};
use fixture::{demos_at, spec_from_fixture, str_at, values_at};
use serde_json::Value;

enum Outcome {
    Pass,
    Fail(String),
    /// A case this build cannot run yet (none at the moment); kept so new ops can be added
    /// before they are supported.
    #[allow(dead_code)]
    Skip(String),
}

fn main() -> ExitCode {
    let dir = std::env::var_os("DSPY_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/dspy-3.4.1")
        });
    let filter = std::env::var("CONFORMANCE_FILTER").unwrap_or_default();
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) => {
            eprintln!(
                "conformance: cannot read fixture folder {}: {e}",
                dir.display()
            );
            return ExitCode::FAILURE;
        }
    };
    paths.sort();

    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut skip_reasons = std::collections::BTreeMap::<String, usize>::new();
    for path in &paths {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.contains(&filter) {
            continue;
        }
        let outcome = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()))
        {
            Ok(case) => run_case(&case),
            Err(e) => Outcome::Fail(format!("unreadable fixture: {e}")),
        };
        match outcome {
            Outcome::Pass => passed += 1,
            Outcome::Skip(why) => {
                skipped += 1;
                *skip_reasons.entry(why).or_default() += 1;
            }
            Outcome::Fail(diff) => {
                failed += 1;
                println!("FAIL {name}\n{diff}\n");
            }
        }
    }
    for (why, n) in &skip_reasons {
        println!("skipped {n}: {why}");
    }
    let skipped_text = if skipped > 0 {
        format!(", {skipped} skipped")
    } else {
        String::new()
    };
    println!("conformance: {passed} passed, {failed} failed{skipped_text}");
    if passed + failed == 0 {
        eprintln!("conformance: no fixture ran in {}", dir.display());
        return ExitCode::FAILURE;
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn run_case(case: &Value) -> Outcome {
    let adapter = match case.get("adapter").and_then(Value::as_str) {
        Some("chat") => AdapterKind::Chat,
        Some("json") => AdapterKind::Json,
        Some("xml") => AdapterKind::Xml,
        other => return Outcome::Fail(format!("unknown adapter {other:?}")),
    }
    .adapter();
    let spec = match case
        .get("signature")
        .ok_or("no signature".to_string())
        .and_then(spec_from_fixture)
    {
        Ok(spec) => spec,
        Err(e) => return Outcome::Fail(format!("cannot build signature: {e}")),
    };
    match case.get("op").and_then(Value::as_str) {
        Some("format") => {
            let got = adapter.format(&spec, &demos_at(case, "demos"), &values_at(case, "inputs"));
            compare_messages(&got, case)
        }
        Some("parse") => {
            let completion = match str_at(case, "completion") {
                Ok(c) => c,
                Err(e) => return Outcome::Fail(e),
            };
            let expected = case.get("expected").cloned().unwrap_or_default();
            match (adapter.parse(&spec, completion), expected.get("outputs")) {
                (Ok(got), Some(want)) => {
                    let got = Value::Object(got);
                    if &got == want {
                        Outcome::Pass
                    } else {
                        Outcome::Fail(format!(
                            "parsed outputs differ\n  want: {want}\n  got:  {got}\n  completion: {completion:?}"
                        ))
                    }
                }
                (Ok(got), None) => Outcome::Fail(format!(
                    "expected a {} error, got outputs {}",
                    expected.get("error_kind").unwrap_or(&Value::Null),
                    Value::Object(got)
                )),
                (Err(e), Some(want)) => {
                    Outcome::Fail(format!("expected outputs {want}, got error: {e}"))
                }
                (Err(e), None) => {
                    let want_kind = expected
                        .get("error_kind")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if e.kind_name() == want_kind {
                        Outcome::Pass
                    } else {
                        Outcome::Fail(format!(
                            "expected a {want_kind} error, got a {} error: {e}",
                            e.kind_name()
                        ))
                    }
                }
            }
        }
        Some("load_format") => match load_and_format(case, spec, adapter) {
            Ok(got) => compare_messages(&got, case),
            Err(e) => Outcome::Fail(e),
        },
        other => Outcome::Fail(format!("unknown op {other:?}")),
    }
}

/// Builds the fixture's program, loads `saved_program` into it and formats a call with the
/// loaded predictor's instructions, field descriptions and demos.
fn load_and_format(
    case: &Value,
    spec: dspy_adapters::SignatureSpec,
    adapter: &dyn dspy_adapters::Adapter,
) -> Result<Vec<Message>, String> {
    use dspy::core::module::ModuleExt;
    use dspy::core::predict::{ChainOfThought, Predict};

    let saved = case.get("saved_program").ok_or("no saved_program")?;
    let predict = match case.get("module").and_then(Value::as_str) {
        Some("Predict") => {
            let mut program = Predict::new(spec);
            program.load_state(saved).map_err(|e| e.to_string())?;
            program
        }
        Some("ChainOfThought") => {
            // The fixture's signature already holds the prepended `reasoning` field.
            let mut program = ChainOfThought::from_predict(Predict::new(spec));
            program.load_state(saved).map_err(|e| e.to_string())?;
            program.predict().clone()
        }
        other => return Err(format!("unknown module {other:?}")),
    };
    let demos: Vec<dspy_adapters::Values> =
        predict.demos().iter().map(|d| d.values().clone()).collect();
    Ok(adapter.format(predict.signature(), &demos, &values_at(case, "inputs")))
}

fn compare_messages(got: &[Message], case: &Value) -> Outcome {
    let want = case
        .pointer("/expected/messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut report = String::new();
    if got.len() != want.len() {
        report.push_str(&format!(
            "  message count: want {}, got {}\n",
            want.len(),
            got.len()
        ));
    }
    for (i, w) in want.iter().enumerate() {
        let (w_role, w_content) = (
            w.get("role").and_then(Value::as_str).unwrap_or(""),
            w.get("content").and_then(Value::as_str).unwrap_or(""),
        );
        let Some(g) = got.get(i) else {
            report.push_str(&format!("  message {i} ({w_role}) missing\n"));
            continue;
        };
        if g.role.as_str() != w_role {
            report.push_str(&format!(
                "  message {i}: role want {w_role}, got {}\n",
                g.role.as_str()
            ));
        }
        if g.content != w_content {
            report.push_str(&format!(
                "  message {i} ({w_role}) content differs:\n{}",
                diff(w_content, &g.content)
            ));
        }
    }
    if report.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail(report)
    }
}

/// A line diff with visible line ends (`⏎`) and trailing spaces (`·`).
fn diff(want: &str, got: &str) -> String {
    let show = |s: &str| {
        let trimmed = s.trim_end_matches(' ');
        format!("{trimmed}{}", "·".repeat(s.len() - trimmed.len()))
    };
    let mut out = String::new();
    let d = similar::TextDiff::from_lines(want, got);
    for change in d.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => "    - ",
            similar::ChangeTag::Insert => "    + ",
            similar::ChangeTag::Equal => "      ",
        };
        let line = change.value();
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "⏎"),
            None => (line, ""),
        };
        out.push_str(&format!("{sign}{}{nl}\n", show(body)));
    }
    out
}
