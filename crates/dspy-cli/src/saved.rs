//! A saved program: DSPy JSON, one entry per predictor (by name) plus `metadata`; or one
//! predictor's state alone.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::CliError;

/// The predictors of a saved program, in file order.
pub(crate) struct Saved {
    /// `(name, state)` per predictor; a lone predictor's state is named `self`.
    pub predictors: Vec<(String, Value)>,
    /// The `metadata` entry, if any.
    pub metadata: Option<Value>,
}

/// Most bytes read from a program file.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Reads and checks a saved program.
pub(crate) fn read(path: &Path) -> Result<Saved, CliError> {
    let read_err = |source| CliError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_FILE_BYTES {
        return Err(CliError::NotAProgram {
            path: path.to_path_buf(),
            problem: format!("it is {size} bytes, more than the {MAX_FILE_BYTES} read"),
        });
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    let value: Value = serde_json::from_str(&text).map_err(|source| CliError::NotJson {
        path: path.to_path_buf(),
        source,
    })?;
    let not_program = |problem: &str| CliError::NotAProgram {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    };
    let Value::Object(mut map) = value else {
        return Err(not_program("the top level should be a JSON object"));
    };
    let metadata = map.remove("metadata");
    if is_predictor(&map) {
        return Ok(Saved {
            predictors: vec![("self".to_string(), Value::Object(map))],
            metadata,
        });
    }
    let predictors: Vec<(String, Value)> = map
        .into_iter()
        .filter(|(_, v)| v.as_object().is_some_and(is_predictor))
        .collect();
    if predictors.is_empty() {
        return Err(not_program(
            "no entry holds a predictor state (an object with `signature` and `demos`)",
        ));
    }
    Ok(Saved {
        predictors,
        metadata,
    })
}

/// Whether an object is one predictor's state.
fn is_predictor(map: &Map<String, Value>) -> bool {
    map.contains_key("signature") && (map.contains_key("demos") || map.contains_key("lm"))
}
