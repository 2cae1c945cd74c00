//! Runs every DSPy conformance fixture in a folder against our adapters.
//!
//! Default folder: `tests/conformance/dspy-3.4.1/` (copied from `../shared/conformance`).
//! `DSPY_CONFORMANCE_DIR=/path` runs that folder instead; `CONFORMANCE_FILTER=text` runs only
//! cases whose id contains `text`. Prints `conformance: N passed, M failed` and a readable diff
//! per failure; exits non-zero when any case fails.
//!
//! The run fails loudly rather than passing on less than it was given:
//!
//! * every `*.json` file is a case, and a file that cannot be read, names an unknown `op` or
//!   adapter, or whose `id` is not its file name fails;
//! * the folder holds nothing but `README.md` and `*.json` files, and when its README gives
//!   the case count (`total  226`) the folder holds exactly that many cases (the default folder
//!   must give it);
//! * a folder (or filter) with no cases fails.
//!
//! `parse` cases that DSPy rejects must fail with the same kind of error, and our message must
//! contain the fixture's `message_contains`; where `support/parse_error_messages.json` records
//! DSPy's whole message for the same case (adapter and completion), ours must equal it. In the
//! default folder every such case must have a recorded message and every recorded message must
//! belong to a case.
//! `load_format` cases load the saved program into a `Predict` or `ChainOfThought` and call it
//! with a scripted LM: the messages of the first request it sends are compared.

#[path = "support/fixture.rs"]
mod fixture;
#[path = "../crates/dspy-adapters/tests/support/fixture_types.rs"]
mod fixture_types;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use dspy_adapters::{AdapterKind, Message, SignatureSpec};
use fixture::{demos_at, spec_from_fixture, str_at, values_at};
use serde_json::Value;

/// DSPy's whole parse-error messages for the default folder's failing cases, recorded by
/// `support/record_parse_error_messages.py`.
const RECORDED_MESSAGES: &str = include_str!("support/parse_error_messages.json");

enum Outcome {
    Pass,
    Fail(String),
}

fn main() -> ExitCode {
    let default_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/dspy-3.4.1");
    let dir = std::env::var_os("DSPY_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| default_dir.clone());
    let is_default = same_dir(&dir, &default_dir);
    let filter = std::env::var("CONFORMANCE_FILTER").unwrap_or_default();

    let folder = match Folder::read(&dir) {
        Ok(folder) => folder,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut problems = folder.problems(is_default);
    let recorded = match recorded_messages() {
        Ok(recorded) => recorded,
        Err(e) => {
            problems.push(format!("support/parse_error_messages.json: {e}"));
            BTreeMap::new()
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("conformance: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let context = Context {
        recorded,
        used: RefCell::new(BTreeSet::new()),
        require_recorded: is_default,
        runtime: &runtime,
    };

    let (mut passed, mut failed) = (0, 0);
    for path in &folder.cases {
        let name = file_stem(path);
        if !name.contains(&filter) {
            continue;
        }
        let outcome = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()))
        {
            Ok(case) => match case.get("id").and_then(Value::as_str) {
                Some(id) if id == name => context.run_case(&case),
                id => Outcome::Fail(format!("  the case's id is {id:?}, not its file name")),
            },
            Err(e) => Outcome::Fail(format!("  unreadable fixture: {e}")),
        };
        match outcome {
            Outcome::Pass => passed += 1,
            Outcome::Fail(diff) => {
                failed += 1;
                println!("FAIL {name}\n{diff}\n");
            }
        }
    }
    if is_default && filter.is_empty() {
        let used = context.used.borrow();
        for id in context.recorded.keys().filter(|id| !used.contains(*id)) {
            problems.push(format!(
                "support/parse_error_messages.json records a message for `{id}`, which matches \
                 no failing parse case here (re-record it)"
            ));
        }
    }
    for problem in &problems {
        println!("FOLDER PROBLEM: {problem}");
    }
    let problems_text = match problems.len() {
        0 => String::new(),
        1 => ", 1 folder problem".to_string(),
        n => format!(", {n} folder problems"),
    };
    println!("conformance: {passed} passed, {failed} failed{problems_text}");
    if passed + failed == 0 {
        eprintln!(
            "conformance: no case ran in {}{}",
            dir.display(),
            if filter.is_empty() {
                String::new()
            } else {
                format!(" (CONFORMANCE_FILTER={filter:?})")
            }
        );
        return ExitCode::FAILURE;
    }
    if failed > 0 || !problems.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What a fixture folder holds.
struct Folder {
    /// The `*.json` files, sorted: one case each.
    cases: Vec<PathBuf>,
    /// The case count the README gives (its `total` line), if it has one.
    readme_total: Option<usize>,
    has_readme: bool,
    /// Entries that are neither the README nor a `*.json` file.
    unexpected: Vec<String>,
}

impl Folder {
    fn read(dir: &Path) -> Result<Folder, String> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read fixture folder {}: {e}", dir.display()))?;
        let mut folder = Folder {
            cases: Vec::new(),
            readme_total: None,
            has_readme: false,
            unexpected: Vec::new(),
        };
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_file = path.is_file();
            if is_file && name == "README.md" {
                folder.has_readme = true;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                folder.readme_total = readme_total(&text);
            } else if is_file && path.extension().is_some_and(|x| x == "json") {
                folder.cases.push(path);
            } else {
                folder.unexpected.push(name);
            }
        }
        folder.cases.sort();
        folder.unexpected.sort();
        Ok(folder)
    }

    /// Why the folder does not hold what it should.
    fn problems(&self, is_default: bool) -> Vec<String> {
        let mut problems = Vec::new();
        if self.cases.is_empty() {
            problems.push("the folder holds no case (`*.json` file)".to_string());
        }
        for name in &self.unexpected {
            problems.push(format!(
                "`{name}` is neither README.md nor a `*.json` case file"
            ));
        }
        match self.readme_total {
            Some(total) if total != self.cases.len() => problems.push(format!(
                "README.md lists {total} cases, the folder holds {}",
                self.cases.len()
            )),
            Some(_) => {}
            None if is_default && !self.has_readme => {
                problems.push("the default folder has no README.md".to_string())
            }
            None if is_default => problems.push(
                "the default folder's README.md gives no case count (`total  N` line)".to_string(),
            ),
            None => {}
        }
        problems
    }
}

/// The number on the README's `total  N` line.
fn readme_total(readme: &str) -> Option<usize> {
    readme.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("total"), Some(n), None) => n.parse().ok(),
            _ => None,
        }
    })
}

/// A recorded DSPy message and the case it belongs to.
struct Recorded {
    adapter: String,
    completion: String,
    message: String,
}

fn recorded_messages() -> Result<BTreeMap<String, Recorded>, String> {
    let file: Value = serde_json::from_str(RECORDED_MESSAGES).map_err(|e| e.to_string())?;
    let messages = file
        .get("messages")
        .and_then(Value::as_object)
        .ok_or("no `messages` object")?;
    messages
        .iter()
        .map(|(id, entry)| {
            let recorded = Recorded {
                adapter: str_at(entry, "adapter")?.to_string(),
                completion: str_at(entry, "completion")?.to_string(),
                message: str_at(entry, "message")?.to_string(),
            };
            Ok((id.clone(), recorded))
        })
        .collect()
}

struct Context<'r> {
    /// DSPy's whole parse-error messages by case id.
    recorded: BTreeMap<String, Recorded>,
    /// The recorded messages compared so far.
    used: RefCell<BTreeSet<String>>,
    /// Every failing parse case must have a recorded message (the default folder).
    require_recorded: bool,
    runtime: &'r tokio::runtime::Runtime,
}

impl Context<'_> {
    fn run_case(&self, case: &Value) -> Outcome {
        let kind = match case.get("adapter").and_then(Value::as_str) {
            Some("chat") => AdapterKind::Chat,
            Some("json") => AdapterKind::Json,
            Some("xml") => AdapterKind::Xml,
            other => return Outcome::Fail(format!("  unknown adapter {other:?}")),
        };
        let spec = match case
            .get("signature")
            .ok_or("no signature".to_string())
            .and_then(spec_from_fixture)
        {
            Ok(spec) => spec,
            Err(e) => return Outcome::Fail(format!("  cannot build signature: {e}")),
        };
        match case.get("op").and_then(Value::as_str) {
            Some("format") => {
                let got = kind.adapter().format(
                    &spec,
                    &demos_at(case, "demos"),
                    &values_at(case, "inputs"),
                );
                compare_messages(&got, case)
            }
            Some("parse") => self.parse_case(case, kind, &spec),
            Some("load_format") => match self.load_and_call(case, spec, kind) {
                Ok(got) => compare_messages(&got, case),
                Err(e) => Outcome::Fail(format!("  {e}")),
            },
            other => Outcome::Fail(format!("  unknown op {other:?}")),
        }
    }

    fn parse_case(&self, case: &Value, kind: AdapterKind, spec: &SignatureSpec) -> Outcome {
        let completion = match str_at(case, "completion") {
            Ok(c) => c,
            Err(e) => return Outcome::Fail(format!("  {e}")),
        };
        let expected = case.get("expected").cloned().unwrap_or_default();
        let want_error = expected.get("error");
        match (
            kind.adapter().parse(spec, completion),
            expected.get("outputs"),
        ) {
            (_, Some(_)) if want_error.is_some() => {
                Outcome::Fail("  the fixture expects both outputs and an error".to_string())
            }
            (Ok(got), Some(want)) => {
                let got = Value::Object(got);
                if &got == want {
                    Outcome::Pass
                } else {
                    Outcome::Fail(format!(
                        "  parsed outputs differ\n  want: {want}\n  got:  {got}\n  completion: {completion:?}"
                    ))
                }
            }
            (Err(e), Some(want)) => {
                Outcome::Fail(format!("  expected outputs {want}, got error: {e}"))
            }
            (_, None) if want_error.is_none() => {
                Outcome::Fail("  the fixture expects neither outputs nor an error".to_string())
            }
            (Ok(got), None) => Outcome::Fail(format!(
                "  expected a {} error, got outputs {}",
                expected.get("error_kind").unwrap_or(&Value::Null),
                Value::Object(got)
            )),
            (Err(e), None) => self.compare_error(case, &expected, &e),
        }
    }

    /// Compares a parse error with the fixture's `error`, `error_kind` and `message_contains`,
    /// and with DSPy's whole message where one is recorded for this case.
    fn compare_error(
        &self,
        case: &Value,
        expected: &Value,
        e: &dspy_adapters::ParseError,
    ) -> Outcome {
        let mut report = String::new();
        let message = e.to_string();
        match expected.get("error").and_then(Value::as_str) {
            Some("AdapterParseError") => {}
            other => report.push_str(&format!(
                "  the fixture expects a {other:?} exception; we only raise AdapterParseError\n"
            )),
        }
        let want_kind = expected
            .get("error_kind")
            .and_then(Value::as_str)
            .unwrap_or("");
        if e.kind_name() != want_kind {
            report.push_str(&format!(
                "  error kind: want {want_kind}, got {}\n",
                e.kind_name()
            ));
        }
        match expected.get("message_contains").and_then(Value::as_str) {
            Some(part) if !message.contains(part) => report.push_str(&format!(
                "  the message does not contain {part:?}\n  message: {message:?}\n"
            )),
            Some(_) => {}
            None => report.push_str("  the fixture gives no `message_contains`\n"),
        }
        let id = case.get("id").and_then(Value::as_str).unwrap_or("");
        let recorded = self.recorded.get(id).filter(|recorded| {
            case.get("adapter").and_then(Value::as_str) == Some(recorded.adapter.as_str())
                && case.get("completion").and_then(Value::as_str)
                    == Some(recorded.completion.as_str())
        });
        match recorded {
            Some(recorded) => {
                self.used.borrow_mut().insert(id.to_string());
                if message != recorded.message {
                    report.push_str(&format!(
                        "  message differs from DSPy's:\n{}",
                        diff(&recorded.message, &message)
                    ));
                }
            }
            None if self.require_recorded => report.push_str(
                "  support/parse_error_messages.json has no DSPy message for this case \
                 (re-record it)\n",
            ),
            None => {}
        }
        if report.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail(report)
        }
    }

    /// Builds the fixture's program, loads `saved_program` into it and calls it with `inputs`
    /// and a scripted LM; returns the messages of the first request the program sent.
    fn load_and_call(
        &self,
        case: &Value,
        spec: SignatureSpec,
        kind: AdapterKind,
    ) -> Result<Vec<Message>, String> {
        use dspy::core::lm::SharedLm;
        use dspy::core::module::ModuleExt;
        use dspy::core::predict::{ChainOfThought, Predict};
        use dspy_testkit::ScriptedLm;

        let saved = case.get("saved_program").ok_or("no saved_program")?;
        let inputs = values_at(case, "inputs");
        // Only the first request matters: it is sent before any answer is read. The placeholder
        // answers do not always parse (typed outputs, JSON), and then the call fails or makes
        // DSPy's JSON-fallback request, which is not compared.
        let lm = Arc::new(ScriptedLm::auto());
        let shared: SharedLm = lm.clone();
        let module = case.get("module").and_then(Value::as_str);
        let predictor = case.get("predictor").unwrap_or(&Value::Null);
        let result = match (module, predictor.as_str()) {
            (Some("Predict"), None) if predictor.is_null() => {
                let mut program = Predict::new(spec);
                program.load_state(saved).map_err(|e| e.to_string())?;
                let program = program.with_lm(shared).with_adapter(kind);
                self.runtime.block_on(program.forward(inputs))
            }
            (Some("ChainOfThought"), Some("predict")) => {
                // The fixture's signature already holds the prepended `reasoning` field.
                let mut program = ChainOfThought::from_predict(Predict::new(spec));
                program.load_state(saved).map_err(|e| e.to_string())?;
                program.predict_mut().set_lm(Some(shared));
                program.predict_mut().set_adapter(kind);
                self.runtime.block_on(program.forward(inputs))
            }
            _ => {
                return Err(format!(
                    "unknown module {module:?} with predictor {predictor} (Predict has none, \
                     ChainOfThought has \"predict\")"
                ))
            }
        };
        match lm.requests().into_iter().next() {
            Some(request) => Ok(request.messages),
            None => Err(format!(
                "the loaded program sent no request: {}",
                match result {
                    Ok(_) => "the call succeeded".to_string(),
                    Err(e) => e.to_string(),
                }
            )),
        }
    }
}

fn compare_messages(got: &[Message], case: &Value) -> Outcome {
    let want = case
        .pointer("/expected/messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut report = String::new();
    if want.is_empty() {
        report.push_str("  the fixture expects no messages\n");
    }
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
