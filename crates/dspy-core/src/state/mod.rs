//! Saving and loading a program's learned state in DSPy's JSON format, so files move between
//! Python DSPy 3.4.1 and this crate in both directions.
//!
//! The file holds, per predictor (keyed by its dotted name, or at the top level for a bare
//! [`Predict`]): `traces`, `train`, `demos`, `signature` (`instructions` and one `{prefix,
//! description}` per field, inputs then outputs), `lm`, and then `metadata.dependency_versions`.
//! Use [`ModuleExt::save`](crate::module::ModuleExt::save) and
//! [`ModuleExt::load`](crate::module::ModuleExt::load).
//!
//! Loading replaces each predictor's instructions (cleaned up like Python's
//! `inspect.cleandoc`), its fields' prefixes and descriptions (by position) and its demos (as
//! plain values, without input marks). `traces`, `train`, `lm` and `fields` are kept as they
//! were read and written back on save. The LM itself is not rebuilt from the file: give
//! predictors their LM in code.

mod error;

use std::path::Path;

use serde_json::{json, Map, Value};

use dspy_adapters::Values;

use crate::example::Example;
use crate::module::Module;
use crate::predict::Predict;

pub use error::StateError;

/// The `metadata.dependency_versions` written into saved programs: the versions of the Python
/// DSPy 3.4.1 environment whose format this crate writes, so Python DSPy loads the files
/// without version warnings.
pub const DEPENDENCY_VERSIONS: [(&str, &str); 3] = [
    ("python", "3.11"),
    ("dspy", "3.4.1"),
    ("cloudpickle", "3.1"),
];

/// The `metadata` object of a saved program.
pub fn metadata() -> Value {
    let versions: Map<String, Value> = DEPENDENCY_VERSIONS
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    json!({ "dependency_versions": versions })
}

impl Predict {
    /// This predictor's state as DSPy's `Predict.dump_state()` writes it.
    ///
    /// ```
    /// let p = dspy_core::predict::Predict::parse("question -> answer").unwrap();
    /// let state = p.dump_state();
    /// assert_eq!(state["signature"]["fields"][1]["prefix"], "Answer:");
    /// assert_eq!(state["signature"]["fields"][1]["description"], "${answer}");
    /// ```
    pub fn dump_state(&self) -> Value {
        let spec = self.signature();
        let fields: Vec<Value> = spec
            .fields()
            .map(|f| json!({"prefix": f.prefix, "description": f.stored_desc()}))
            .collect();
        let mut state = Map::new();
        state.insert("traces".into(), Value::Array(self.extras.traces.clone()));
        state.insert("train".into(), Value::Array(self.extras.train.clone()));
        state.insert(
            "demos".into(),
            Value::Array(
                self.demos()
                    .iter()
                    .map(|d| Value::Object(d.values().clone()))
                    .collect(),
            ),
        );
        state.insert(
            "signature".into(),
            json!({"instructions": spec.instructions(), "fields": fields}),
        );
        if let Some(fields) = &self.extras.fields {
            state.insert("fields".into(), fields.clone());
        }
        state.insert(
            "lm".into(),
            self.extras.lm_state.clone().unwrap_or(Value::Null),
        );
        Value::Object(state)
    }
}

/// A predictor state read and checked against its predictor, ready to apply.
struct LoadedState {
    instructions: String,
    fields: Vec<(String, String)>,
    demos: Vec<Example>,
    traces: Vec<Value>,
    train: Vec<Value>,
    lm_state: Option<Value>,
    decision_fields: Option<Value>,
}

impl LoadedState {
    fn read(predict: &Predict, name: &str, state: &Value) -> Result<LoadedState, StateError> {
        let shape = |key: &str, problem: &str| StateError::Shape {
            predictor: name.to_string(),
            key: key.to_string(),
            problem: problem.to_string(),
        };
        let state = state
            .as_object()
            .ok_or_else(|| shape("state", "should be a JSON object"))?;
        if state.contains_key("extended_signature") {
            return Err(StateError::LegacyExtendedSignature {
                predictor: name.to_string(),
            });
        }
        let list = |key: &str| -> Result<Vec<Value>, StateError> {
            match state.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => Ok(items.clone()),
                Some(_) => Err(shape(key, "should be a list")),
            }
        };
        let traces = list("traces")?;
        let train = list("train")?;
        let demos = list("demos")?
            .into_iter()
            .enumerate()
            .map(|(i, d)| match d {
                Value::Object(values) => Ok(Example::from_values(values)),
                _ => Err(shape(&format!("demos[{i}]"), "should be a JSON object")),
            })
            .collect::<Result<Vec<_>, _>>()?;

        let signature = state
            .get("signature")
            .and_then(Value::as_object)
            .ok_or_else(|| shape("signature", "is missing or not a JSON object"))?;
        let instructions = signature
            .get("instructions")
            .and_then(Value::as_str)
            .ok_or_else(|| shape("signature.instructions", "is missing or not a string"))?;
        let saved_fields = signature
            .get("fields")
            .and_then(Value::as_array)
            .ok_or_else(|| shape("signature.fields", "is missing or not a list"))?;
        let spec = predict.signature();
        let names: Vec<&str> = spec.fields().map(|f| f.name.as_str()).collect();
        if saved_fields.len() != names.len() {
            return Err(StateError::FieldCount {
                predictor: name.to_string(),
                expected: names.len(),
                found: saved_fields.len(),
                fields: names.join(", "),
            });
        }
        let mut fields = Vec::with_capacity(names.len());
        for (i, (saved, field)) in saved_fields.iter().zip(&names).enumerate() {
            let text = |key: &str| {
                saved
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| StateError::Field {
                        predictor: name.to_string(),
                        field: field.to_string(),
                        position: i + 1,
                        key: key.to_string(),
                    })
            };
            fields.push((text("prefix")?, text("description")?));
        }
        Ok(LoadedState {
            instructions: dspy_pytext::cleandoc(instructions),
            fields,
            demos,
            traces,
            train,
            lm_state: state.get("lm").filter(|v| !v.is_null()).cloned(),
            decision_fields: state
                .get("fields")
                .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
                .cloned(),
        })
    }

    fn apply(self, predict: &mut Predict) {
        let mut spec = predict.signature().with_instructions(self.instructions);
        let names: Vec<String> = spec.fields().map(|f| f.name.clone()).collect();
        for (name, (prefix, description)) in names.iter().zip(self.fields) {
            spec = spec.with_updated_field(name, |f| {
                *f = f.clone().with_prefix(prefix).with_desc(description);
            });
        }
        predict.set_signature(spec);
        predict.set_demos(self.demos);
        predict.extras.traces = self.traces;
        predict.extras.train = self.train;
        predict.extras.lm_state = self.lm_state;
        predict.extras.fields = self.decision_fields;
    }
}

/// True when the program is one bare predictor, which DSPy saves at the top level.
fn is_bare<M: Module + ?Sized>(program: &M) -> bool {
    let names = program.named_predictors();
    names.len() == 1 && names[0].0 == "self"
}

/// The program's state as DSPy's `Module.dump_state()` returns it (without metadata).
pub(crate) fn dump<M: Module + ?Sized>(program: &M) -> Value {
    let predictors = program.named_predictors();
    if let [(name, predict)] = predictors.as_slice() {
        if name == "self" {
            return predict.dump_state();
        }
    }
    Value::Object(
        predictors
            .into_iter()
            .map(|(name, p)| (name, p.dump_state()))
            .collect(),
    )
}

/// Applies a state read from a file: checks every predictor first, then changes them all.
pub(crate) fn load<M: Module + ?Sized>(program: &mut M, state: &Value) -> Result<(), StateError> {
    let bare = is_bare(program);
    let mut loaded = Vec::new();
    for (name, predict) in program.named_predictors() {
        let entry = if bare {
            state
        } else {
            state
                .get(&name)
                .ok_or_else(|| StateError::MissingPredictor {
                    predictor: name.clone(),
                    available: available_names(state),
                })?
        };
        loaded.push(LoadedState::read(predict, &name, entry)?);
    }
    for ((_, predict), state) in program.named_predictors_mut().into_iter().zip(loaded) {
        state.apply(predict);
    }
    Ok(())
}

fn available_names(state: &Value) -> String {
    let names: Vec<&str> = state
        .as_object()
        .map(|o| {
            o.keys()
                .map(String::as_str)
                .filter(|k| *k != "metadata")
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        "no predictors".to_string()
    } else {
        names.join(", ")
    }
}

fn check_path(path: &Path) -> Result<(), StateError> {
    if path.extension().is_some_and(|e| e == "json") {
        Ok(())
    } else {
        Err(StateError::UnsupportedPath {
            path: path.to_path_buf(),
        })
    }
}

/// Writes the program's state plus metadata, as `program.save(path)` does in DSPy.
pub(crate) fn save<M: Module + ?Sized>(program: &M, path: &Path) -> Result<(), StateError> {
    check_path(path)?;
    let mut state = match dump(program) {
        Value::Object(map) => map,
        _ => Values::new(),
    };
    state.insert("metadata".into(), metadata());
    let mut text =
        serde_json::to_string_pretty(&Value::Object(state)).map_err(|source| StateError::Json {
            path: path.to_path_buf(),
            source,
        })?;
    text.push('\n');
    // What `load` cannot read back (nesting past serde_json's recursion limit) is not written.
    if serde_json::from_str::<Value>(&text).is_err() {
        return Err(StateError::TooDeep {
            path: path.to_path_buf(),
        });
    }
    write_atomically(path, text.as_bytes()).map_err(|source| StateError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and renames it over
/// `path`: a reader (or a crash) sees the old file or the new one, never a part.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;

    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".dspy-save-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // What a plain write gives under the usual umask (tempfile's default is 0600).
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Reads a saved program and applies it.
pub(crate) fn load_file<M: Module + ?Sized>(
    program: &mut M,
    path: &Path,
) -> Result<(), StateError> {
    check_path(path)?;
    let text = std::fs::read_to_string(path).map_err(|source| StateError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let state: Value = serde_json::from_str(&text).map_err(|source| StateError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    warn_on_version_mismatch(&state);
    load(program, &state)
}

fn warn_on_version_mismatch(state: &Value) {
    let Some(saved) = state
        .pointer("/metadata/dependency_versions")
        .and_then(Value::as_object)
    else {
        return;
    };
    for (key, ours) in DEPENDENCY_VERSIONS {
        if let Some(theirs) = saved.get(key).and_then(Value::as_str) {
            if theirs != ours {
                tracing::warn!(
                    key,
                    saved = theirs,
                    expected = ours,
                    "the program was saved with a different version; it may behave differently"
                );
            }
        }
    }
}
