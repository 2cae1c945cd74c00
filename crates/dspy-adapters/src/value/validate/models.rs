//! Models (fields in declaration order, defaults filled in) and `dspy.History`.

use serde_json::{Map, Value};

use super::{at, check, fail, Checked, Exactness, State, MAX_DEPTH};
use crate::signature::{FieldType, ModelDef};
use crate::value::validation_error::{LineError, LocItem};

pub(super) fn check_model(value: &Value, def: &ModelDef, state: &mut State) -> Checked {
    let Value::Object(input) = value else {
        return fail(
            "model_type",
            format!(
                "Input should be a valid dictionary or instance of {}",
                def.name
            ),
            value,
        );
    };
    if state.depth >= MAX_DEPTH {
        return fail(
            "recursion_loop",
            "Recursion error - cyclic reference detected",
            value,
        );
    }
    state.floor(Exactness::Strict);
    state.depth += 1;
    let mut out = Map::new();
    let mut errors = Vec::new();
    let mut fields_set = 0;
    for field in &def.fields {
        match input.get(&field.name) {
            Some(v) => {
                fields_set += 1;
                match check(v, &field.ty, state) {
                    Ok(v) => {
                        out.insert(field.name.clone(), v);
                    }
                    Err(e) => errors.extend(at(LocItem::Key(field.name.clone()), e)),
                }
            }
            None if field.required => {
                let mut e = LineError::new("missing", "Field required", value);
                e.loc.push(LocItem::Key(field.name.clone()));
                errors.push(e);
            }
            None => {
                out.insert(
                    field.name.clone(),
                    field.default.clone().unwrap_or(Value::Null),
                );
            }
        }
    }
    state.depth -= 1;
    state.fields_set = Some(fields_set);
    if errors.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(errors)
    }
}

/// `dspy.History`: an object whose `messages` is a list of dicts.
pub(super) fn check_history(value: &Value, state: &mut State) -> Checked {
    let Value::Object(input) = value else {
        return fail(
            "model_type",
            "Input should be a valid dictionary or instance of History",
            value,
        );
    };
    state.floor(Exactness::Strict);
    let Some(messages) = input.get("messages") else {
        let mut e = LineError::new("missing", "Field required", value);
        e.loc.push(LocItem::Key("messages".to_string()));
        return Err(vec![e]);
    };
    let list_of_dicts = FieldType::List(Box::new(FieldType::Dict(
        Box::new(FieldType::Str),
        Box::new(FieldType::Any),
    )));
    let messages = check(messages, &list_of_dicts, state)
        .map_err(|e| at(LocItem::Key("messages".to_string()), e))?;
    let mut out = Map::new();
    out.insert("messages".to_string(), messages);
    Ok(Value::Object(out))
}

/// `dspy.ToolCalls`: any shape DSPy accepts, as `{"tool_calls": [{"id", "name", "args"}]}`.
pub(super) fn check_tool_calls(value: &Value, state: &mut State) -> Checked {
    state.floor(Exactness::Strict);
    crate::tools::normalize_tool_calls(value).map_err(|message| {
        vec![LineError::new(
            "value_error",
            format!("Value error, {message}"),
            value,
        )]
    })
}

/// `dspy.Tool` in its JSON form, `{"name", "desc", "args"}`.
pub(super) fn check_tool(value: &Value, state: &mut State) -> Checked {
    state.floor(Exactness::Strict);
    crate::tools::normalize_tool(value).map_err(|message| {
        vec![LineError::new(
            "value_error",
            format!("Value error, {message}"),
            value,
        )]
    })
}
