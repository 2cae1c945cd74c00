//! Saving and loading programs in DSPy's JSON format: files written by Python DSPy 3.4.1
//! (`tests/data/`, made by `make_saved_programs.py`) load, apply and save back byte for byte.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dspy_core::adapters::signature::{ModelDef, ModelField};
use dspy_core::adapters::{FieldSpec, FieldType, SignatureSpec};
use dspy_core::module::{Module, ModuleExt};
use dspy_core::predict::{ChainOfThought, Predict};
use dspy_core::state::StateError;
use dspy_core::Example;
use serde_json::{json, Value};
use support::MultiHop;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Loads the Python file into `program`, saves it again and checks the bytes are the same.
fn assert_round_trip<M: Module>(program: &mut M, file: &str) {
    program.load(data(file)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(file);
    program.save(&out).unwrap();
    assert_eq!(
        read(&out),
        read(&data(file)),
        "{file} changed in a load/save round trip"
    );
}

fn typed_signature() -> SignatureSpec {
    let person = ModelDef {
        name: "Person".to_string(),
        doc: None,
        fields: vec![
            ModelField {
                name: "name".to_string(),
                ty: FieldType::Str,
                required: true,
                default: None,
                description: None,
            },
            ModelField {
                name: "age".to_string(),
                ty: FieldType::Int,
                required: true,
                default: None,
                description: None,
            },
        ],
    };
    SignatureSpec::builder()
        .instructions("Extract the person.\n\nKeep the name as written.")
        .input(FieldSpec::new("bio", FieldType::Str).with_desc("a short biography"))
        .output(FieldSpec::new("person", FieldType::Model(Arc::new(person))))
        .output(FieldSpec::new("score", FieldType::Float))
        .build()
        .unwrap()
}

#[test]
fn python_files_load_and_save_back_unchanged() {
    assert_round_trip(
        &mut Predict::parse("question -> answer").unwrap(),
        "predict_demos.json",
    );
    assert_round_trip(
        &mut ChainOfThought::parse("question -> answer, confidence: float").unwrap(),
        "cot_edited.json",
    );
    assert_round_trip(&mut MultiHop::new(), "multi.json");
    assert_round_trip(&mut Predict::new(typed_signature()), "typed.json");
}

#[test]
fn a_program_built_in_rust_saves_what_python_saves() {
    let program = Predict::parse("question -> answer")
        .unwrap()
        .with_demos(vec![
            Example::new()
                .with("question", "Capital of Spain?")
                .with("answer", "Madrid")
                .with_inputs(["question"]),
            Example::new()
                .with("question", "Capital of Peru?")
                .with("answer", "Lima"),
        ]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.json");
    program.save(&out).unwrap();
    assert_eq!(read(&out), read(&data("predict_demos.json")));

    let mut cot = ChainOfThought::parse("question -> answer, confidence: float").unwrap();
    let predict = cot.predict_mut();
    predict.set_instructions("Think step by step, then answer.\nBe brief.");
    predict.update_field("answer", |f| f.desc = Some("One word.".to_string()));
    predict.set_demos(vec![Example::new()
        .with("question", "Capital of Kenya?")
        .with("reasoning", "Kenya's capital is Nairobi.")
        .with("answer", "Nairobi")
        .with("confidence", 1.0)
        .with("augmented", true)]);
    let out = dir.path().join("cot.json");
    cot.save(&out).unwrap();
    assert_eq!(read(&out), read(&data("cot_edited.json")));
}

#[test]
fn loading_applies_instructions_fields_and_demos() {
    let mut cot = ChainOfThought::parse("question -> answer, confidence: float").unwrap();
    cot.load(data("cot_edited.json")).unwrap();
    let p = cot.predict();
    assert_eq!(
        p.signature().instructions(),
        "Think step by step, then answer.\nBe brief."
    );
    let answer = p.signature().field("answer").unwrap().1;
    assert_eq!(answer.desc.as_deref(), Some("One word."));
    assert_eq!(p.signature().field("reasoning").unwrap().1.desc, None);
    assert_eq!(p.demos().len(), 1);
    assert_eq!(p.demos()[0].get("augmented"), Some(&json!(true)));
    assert_eq!(
        p.demos()[0].input_keys(),
        None,
        "loaded demos are plain values"
    );

    let mut multi = MultiHop::new();
    multi.load(data("multi.json")).unwrap();
    assert_eq!(
        multi.hops[1].demos()[0].get("context"),
        Some(&json!(["a", "b"]))
    );
    assert!(multi.hops[0].demos().is_empty());
}

#[test]
fn instructions_are_cleaned_like_inspect_cleandoc() {
    let mut p = Predict::parse("question -> answer").unwrap();
    let mut state = p.dump_state();
    state["signature"]["instructions"] = json!("\n    First line.\n      Indented.\n\tTabbed.\n\n");
    p.load_state(&state).unwrap();
    assert_eq!(
        p.signature().instructions(),
        "First line.\n  Indented.\n    Tabbed."
    );
}

#[test]
fn files_that_do_not_fit_give_errors_naming_predictor_and_field() {
    // A multi-predictor file into a bare predictor: no signature at the top level.
    let mut p = Predict::parse("question -> answer").unwrap();
    let err = p.load(data("multi.json")).unwrap_err();
    assert!(
        matches!(err, StateError::Shape { ref predictor, ref key, .. } if predictor == "self" && key == "signature"),
        "{err}"
    );

    // A file for another program shape.
    let mut cot = ChainOfThought::parse("question -> answer").unwrap();
    let err = cot.load(data("predict_demos.json")).unwrap_err();
    assert!(
        err.to_string().contains("no state for predictor `predict`"),
        "{err}"
    );

    // A signature with a different number of fields.
    let mut wide = Predict::parse("question, context -> answer").unwrap();
    let err = wide.load(data("predict_demos.json")).unwrap_err();
    assert!(
        matches!(
            err,
            StateError::FieldCount {
                expected: 3,
                found: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("question, context, answer"),
        "{err}"
    );

    // A field entry without a prefix.
    let mut state: Value = serde_json::from_str(&read(&data("predict_demos.json"))).unwrap();
    state["signature"]["fields"][1] = json!({"description": "x"});
    let err = p.load_state(&state).unwrap_err();
    assert_eq!(
        err.to_string(),
        "predictor `self`, field `answer` (number 2 in the file): `prefix` is missing or not a string"
    );

    // Legacy files.
    let mut legacy: Value = serde_json::from_str(&read(&data("predict_demos.json"))).unwrap();
    legacy["extended_signature"] = json!({});
    assert!(matches!(
        p.load_state(&legacy),
        Err(StateError::LegacyExtendedSignature { .. })
    ));

    // Missing files and other formats.
    assert!(matches!(
        p.load(data("missing.json")),
        Err(StateError::Io { .. })
    ));
    assert!(matches!(
        p.load("x.pkl"),
        Err(StateError::UnsupportedPath { .. })
    ));
}

#[test]
fn a_failed_load_changes_nothing() {
    let mut multi = MultiHop::new();
    let mut state: Value = serde_json::from_str(&read(&data("multi.json"))).unwrap();
    state["generate_answer.predict"]["signature"]["instructions"] = json!("Changed.");
    state["summarize"]["demos"] = json!("not a list");
    let err = multi.load_state(&state).unwrap_err();
    assert!(
        err.to_string()
            .contains("predictor `summarize`: `demos` should be a list"),
        "{err}"
    );
    assert_eq!(
        multi.generate_answer.predict().signature().instructions(),
        "Given the fields `question`, produce the fields `answer`."
    );
}

#[test]
fn save_replaces_the_file_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("program.json");
    let big = |n: usize| {
        let demos: Vec<Example> = (0..n)
            .map(|i| {
                Example::new()
                    .with("question", "x".repeat(2_000))
                    .with("answer", i.to_string())
            })
            .collect();
        Predict::parse("question -> answer")
            .unwrap()
            .with_demos(demos)
    };
    big(10).save(&path).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (path, stop) = (path.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut reads = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let text = std::fs::read_to_string(&path).unwrap();
                let parsed: Result<Value, _> = serde_json::from_str(&text);
                assert!(
                    parsed.is_ok(),
                    "a reader saw a partly written file ({} bytes)",
                    text.len()
                );
                reads += 1;
            }
            reads
        })
    };
    for round in 0..40 {
        big(200 + round % 2).save(&path).unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads = reader.join().expect("every read saw a whole file");
    assert!(reads > 0);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "program.json")
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
    }
}

#[test]
fn save_into_a_missing_folder_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("program.json");
    let err = Predict::parse("q -> a").unwrap().save(&path).unwrap_err();
    assert!(matches!(err, StateError::Io { .. }), "{err}");
    assert!(!path.exists());
}

#[test]
fn what_save_writes_always_loads() {
    let dir = tempfile::tempdir().unwrap();
    let nested = |levels: usize| {
        let mut v = json!("leaf");
        for _ in 0..levels {
            v = json!([v]);
        }
        v
    };
    let with_demo = |v: Value| {
        Predict::parse("question -> answer")
            .unwrap()
            .with_demos(vec![Example::new().with("question", "q").with("answer", v)])
    };
    // A value as deep as a file may hold saves and loads back.
    let ok = dir.path().join("ok.json");
    let mut saved = with_demo(nested(100));
    saved.save(&ok).unwrap();
    let mut loaded = Predict::parse("question -> answer").unwrap();
    loaded.load(&ok).unwrap();
    assert_eq!(loaded.demos(), saved.demos_mut().as_slice());
    // A deeper one (JSON repair of a model's output can nest hundreds of levels) is refused
    // before anything is written, instead of writing a file `load` rejects.
    let deep = dir.path().join("deep.json");
    let err = with_demo(nested(400)).save(&deep).unwrap_err();
    assert!(matches!(err, StateError::TooDeep { .. }), "{err}");
    assert!(!deep.exists());
    // A hostile file nested 100,000 levels deep is an error, not a stack overflow.
    let hostile = dir.path().join("hostile.json");
    std::fs::write(
        &hostile,
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    let err = Predict::parse("q -> a")
        .unwrap()
        .load(&hostile)
        .unwrap_err();
    assert!(matches!(err, StateError::Json { .. }), "{err}");
}
