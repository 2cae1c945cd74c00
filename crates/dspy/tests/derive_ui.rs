//! Compile tests for `#[derive(Signature)]`, `#[module]` and `#[tool]`: `ui/{signature,module,tool}/pass/*.rs`
//! must build and run, `ui/{signature,module,tool}/fail/*.rs` must fail with the errors in their
//! `.stderr` files. They run on every compiler, in one of two modes:
//!
//! - **Exact**, on the pinned stable toolchain (1.95): trybuild compares the whole `.stderr`,
//!   rustc's notes and help included. Update the version and the `.stderr` files together, with
//!   `TRYBUILD=overwrite`.
//! - **Relaxed**, on any other compiler (or with `DSPY_UI_RELAXED=1`), where rustc's notes and
//!   help may be worded differently. The cases are built as the binaries of a scratch cargo
//!   project (`target/tmp/dspy-ui-relaxed/`); each must-pass case must build and run, and each
//!   must-fail case must fail with every error of its `.stderr`, at the same `file:line:col`:
//!   - `error: ..` (what our macros emit) word for word;
//!   - `error[E0277]: ..` (our `#[diagnostic::on_unimplemented]` message around type names
//!     rustc prints its own way) word for word outside the `quoted` parts;
//!   - other `error[E....]: ..` (rustc's own text) by its code only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn signature_ui() {
    ui("signature");
}

#[test]
fn module_ui() {
    ui("module");
}

#[test]
fn tool_ui() {
    ui("tool");
}

/// Whether this is the compiler the `.stderr` files were written with.
#[rustversion::stable(1.95)]
const PINNED_COMPILER: bool = true;
#[rustversion::not(stable(1.95))]
const PINNED_COMPILER: bool = false;

fn ui(group: &str) {
    let forced = std::env::var("DSPY_UI_RELAXED").is_ok_and(|v| !v.is_empty() && v != "0");
    if PINNED_COMPILER && !forced {
        let t = trybuild::TestCases::new();
        t.pass(format!("tests/ui/{group}/pass/*.rs"));
        t.compile_fail(format!("tests/ui/{group}/fail/*.rs"));
    } else {
        let why = if forced {
            "DSPY_UI_RELAXED is set"
        } else {
            "not rustc 1.95"
        };
        println!("UI tests of `{group}`, relaxed ({why}): our error messages and locations");
        relaxed(group);
    }
}

/// One error of a compiler output: `error[code]: message`, then ` --> file:line:col`.
#[derive(Debug, PartialEq)]
struct Diag {
    code: Option<String>,
    message: String,
    location: Option<String>,
}

impl Diag {
    /// Whether `actual` is this expected error, by the rules in the file's doc comment.
    fn matched_by(&self, actual: &Diag) -> bool {
        let same_message = match self.code.as_deref() {
            None => self.message == actual.message,
            Some("E0277") => mask_quoted(&self.message) == mask_quoted(&actual.message),
            Some(_) => true,
        };
        self.code == actual.code && self.location == actual.location && same_message
    }
}

impl std::fmt::Display for Diag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "error[{code}]: {}", self.message)?,
            None => write!(f, "error: {}", self.message)?,
        }
        match &self.location {
            Some(location) => write!(f, "\n   --> {location}"),
            None => Ok(()),
        }
    }
}

/// The errors of a rendered compiler output, locations made relative to `base` (`base/` is
/// removed from them).
fn parse_errors(output: &str, base: &str) -> Vec<Diag> {
    let lines: Vec<&str> = output.lines().collect();
    let mut errors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix("error") else {
            continue;
        };
        let (code, message) = if let Some(message) = rest.strip_prefix(": ") {
            (None, message)
        } else if let Some((code, message)) =
            rest.strip_prefix('[').and_then(|r| r.split_once("]: "))
        {
            (Some(code.to_string()), message)
        } else {
            continue;
        };
        let location = lines
            .get(i + 1)
            .and_then(|l| l.trim_start().strip_prefix("--> "))
            .map(|l| l.trim().replace(&format!("{base}/"), ""));
        errors.push(Diag {
            code,
            message: message.trim_end().to_string(),
            location,
        });
    }
    errors
}

/// `text` with every `quoted` part replaced by `…`.
fn mask_quoted(text: &str) -> String {
    let parts = text.split('`').enumerate();
    let masked = parts.map(|(i, part)| if i % 2 == 1 { "…" } else { part });
    masked.collect::<Vec<_>>().join("`")
}

/// One UI case: its binary's name in the scratch project, its file, and whether it must fail.
struct Case {
    name: String,
    path: PathBuf,
    must_fail: bool,
}

/// What building the scratch project gave: each binary's rendered errors and executable.
struct Build {
    errors: HashMap<String, String>,
    executables: HashMap<String, PathBuf>,
    cargo_stderr: String,
}

/// Builds the cases of `tests/ui/{group}` as the binaries of a scratch cargo project, then
/// checks each (see the file's doc comment).
fn relaxed(group: &str) {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cases = Vec::new();
    for kind in ["pass", "fail"] {
        let dir = crate_dir.join("tests/ui").join(group).join(kind);
        for entry in std::fs::read_dir(&dir).expect("the cases folder") {
            let path = entry.expect("a case").path();
            if path.extension().is_some_and(|e| e == "rs") {
                let stem = path.file_stem().expect("a name").to_string_lossy();
                let name = format!("{kind}_{stem}");
                let must_fail = kind == "fail";
                cases.push(Case {
                    name,
                    path,
                    must_fail,
                });
            }
        }
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));

    let build = build(group, crate_dir, &cases);
    let mut problems = Vec::new();
    for case in &cases {
        let file = case.path.strip_prefix(crate_dir).unwrap_or(&case.path);
        let problem = check(case, &build, crate_dir);
        let verdict = if problem.is_some() { "FAILED" } else { "ok" };
        println!("test {} ... {verdict}", file.display());
        if let Some(problem) = problem {
            problems.push(format!("{}: {problem}", file.display()));
        }
    }
    if !problems.is_empty() {
        let mut report = format!(
            "{} of {} UI cases failed:\n\n{}",
            problems.len(),
            cases.len(),
            problems.join("\n\n")
        );
        // A case with neither errors nor a binary: cargo itself failed, and says why.
        let silent = |c: &Case| {
            !build.errors.contains_key(&c.name) && !build.executables.contains_key(&c.name)
        };
        if cases.iter().any(silent) {
            report += &format!("\n\ncargo said:\n{}", build.cargo_stderr);
        }
        panic!("{report}");
    }
}

/// Writes a scratch project with one binary per case (the workspace's dependency versions,
/// one target folder for both groups) and builds them all.
fn build(group: &str, crate_dir: &Path, cases: &[Case]) -> Build {
    let utf8 = |p: &Path| p.to_str().expect("a UTF-8 path").to_string();
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dspy-ui-relaxed");
    let project = scratch.join(group);
    std::fs::create_dir_all(&project).expect("scratch folder");
    let mut locks = crate_dir.ancestors().map(|d| d.join("Cargo.lock"));
    let lock = locks
        .find(|l| l.is_file())
        .expect("the workspace's Cargo.lock");
    std::fs::copy(lock, project.join("Cargo.lock")).expect("copy Cargo.lock");
    let mut manifest = format!(
        "[package]\nname = \"dspy-ui-{group}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         publish = false\n\n[dependencies]\ndspy = {{ path = {:?} }}\n\
         dspy-core = {{ path = {:?} }}\nserde = {{ version = \"1\", features = [\"derive\"] }}\n\n\
         [profile.dev]\ndebug = false\n\n[workspace]\n",
        utf8(crate_dir),
        utf8(&crate_dir.join("../dspy-core")),
    );
    for case in cases {
        let (name, path) = (&case.name, utf8(&case.path));
        manifest += &format!("\n[[bin]]\nname = {name:?}\npath = {path:?}\n");
    }
    std::fs::write(project.join("Cargo.toml"), manifest).expect("write Cargo.toml");

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--bins", "--keep-going", "--message-format=json"])
        .arg("--color=never")
        .arg("--manifest-path")
        .arg(project.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(scratch.join("target"))
        .output()
        .expect("cargo runs");
    let mut build = Build {
        errors: HashMap::new(),
        executables: HashMap::new(),
        cargo_stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let target = msg["target"]["name"].as_str().unwrap_or_default();
        match msg["reason"].as_str() {
            Some("compiler-message") if msg["message"]["level"] == "error" => {
                let text = msg["message"]["rendered"].as_str().unwrap_or_default();
                let all = build.errors.entry(target.to_string()).or_default();
                *all += text;
                *all += "\n";
            }
            Some("compiler-artifact") => {
                if let Some(exe) = msg["executable"].as_str() {
                    build.executables.insert(target.to_string(), exe.into());
                }
            }
            _ => {}
        }
    }
    build
}

/// What is wrong with `case` in `build`, if anything.
fn check(case: &Case, build: &Build, crate_dir: &Path) -> Option<String> {
    let base = crate_dir.to_str().expect("a UTF-8 path");
    let output = build.errors.get(&case.name).map_or("", String::as_str);
    match (case.must_fail, build.executables.get(&case.name)) {
        (true, Some(_)) => Some("compiled, but must fail to compile".to_string()),
        (true, None) => {
            let expected = std::fs::read_to_string(case.path.with_extension("stderr"))
                .expect("the case's .stderr");
            let actual = parse_errors(output, base);
            let missing: Vec<String> = parse_errors(&expected, base)
                .into_iter()
                .filter(|e| !actual.iter().any(|a| e.matched_by(a)))
                .map(|e| e.to_string())
                .collect();
            (!missing.is_empty()).then(|| {
                let missing = missing.join("\n");
                format!("expected errors not reported:\n{missing}\nthe compiler said:\n{output}")
            })
        }
        (false, None) => Some(format!("did not compile:\n{output}")),
        (false, Some(exe)) => {
            let run = Command::new(exe).output().expect("the case runs");
            (!run.status.success()).then(|| {
                let stderr = String::from_utf8_lossy(&run.stderr);
                format!("ran and failed ({}):\n{stderr}", run.status)
            })
        }
    }
}

#[test]
fn relaxed_checks_keep_our_text_and_locations() {
    let expected = "error: `#[module]` needs named fields\n  --> tests/ui/x.rs:4:10\n   |\n\n\
                    error[E0277]: `Map<String, Value>` is not a typed module input\n \
                    --> tests/ui/x.rs:12:1\n\nerror[E0124]: field `text` is already declared\n \
                    --> tests/ui/x.rs:8:5\n";
    let expected = parse_errors(expected, "/src/dspy");
    assert_eq!(expected.len(), 3);
    assert_eq!(expected[0].code, None);
    assert_eq!(expected[0].location.as_deref(), Some("tests/ui/x.rs:4:10"));
    let cases = [
        // Our macro's message: word for word, at the same place; the path is made relative.
        (0, "error: `#[module]` needs named fields\n --> /src/dspy/tests/ui/x.rs:4:10", true),
        (0, "error: `#[module]` needs named fields\n --> tests/ui/x.rs:4:11", false),
        (0, "error: `#[module]` needs fields\n --> tests/ui/x.rs:4:10", false),
        // Our on_unimplemented message: rustc may print the type its own way.
        (1, "error[E0277]: `serde_json::Map<String, Value>` is not a typed module input\n --> tests/ui/x.rs:12:1", true),
        (1, "error[E0277]: `Map` is not a module input\n --> tests/ui/x.rs:12:1", false),
        // rustc's own error: the code at the same place.
        (2, "error[E0124]: field `text` was declared before\n --> tests/ui/x.rs:8:5", true),
        (2, "error[E0277]: field `text` is already declared\n --> tests/ui/x.rs:8:5", false),
    ];
    for (i, text, matches) in cases {
        let actual = parse_errors(text, "/src/dspy").remove(0);
        assert_eq!(expected[i].matched_by(&actual), matches, "{text}");
    }
}
