//! Every semantic check of `#[derive(Signature)]`. Nothing here emits tokens.

use std::collections::HashMap;

use crate::ast::{ModuleStruct, Signature};
use crate::attr::Role;
use crate::errors::Errors;

/// Field names DSPy or pydantic refuse in a `dspy.Signature` class (checked with DSPy 3.4.1
/// and pydantic 2.14.4), with the reason.
pub(crate) const RESERVED: &[(&str, &str)] = &[
    ("signature", "DSPy signatures have a `signature` property"),
    (
        "instructions",
        "DSPy signatures have an `instructions` property",
    ),
    (
        "input_fields",
        "DSPy signatures have an `input_fields` property",
    ),
    (
        "output_fields",
        "DSPy signatures have an `output_fields` property",
    ),
    ("fields", "DSPy signatures have a `fields` property"),
    ("model_config", "it is pydantic's model configuration"),
    (
        "model_dump",
        "it clashes with pydantic's `BaseModel.model_dump`",
    ),
    (
        "model_dump_json",
        "it clashes with pydantic's `BaseModel.model_dump_json`",
    ),
    (
        "model_validate",
        "it clashes with pydantic's `BaseModel.model_validate`",
    ),
    (
        "model_validate_json",
        "it clashes with pydantic's `BaseModel.model_validate_json`",
    ),
    (
        "model_validate_strings",
        "it clashes with pydantic's `BaseModel.model_validate_strings`",
    ),
];

/// Python keywords: not valid field names in Python (reachable from Rust as raw identifiers).
const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

pub(crate) fn check(sig: &Signature<'_>, errors: &mut Errors) {
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.error_at(sig.generics, "a signature cannot be generic");
    }
    let mut seen: HashMap<&str, ()> = HashMap::new();
    for field in &sig.fields {
        match field.roles.as_slice() {
            [] => errors.error_at(
                field.ident,
                format!("field `{}` needs `#[input]` or `#[output]`", field.name),
            ),
            [_] => {}
            [first, rest @ ..] => {
                for extra in rest {
                    let message = if extra.role == first.role {
                        format!("duplicate `#[{}]` attribute", extra.role.attr_name())
                    } else {
                        format!(
                            "field `{}` is marked both `#[input]` and `#[output]`; a field is one or the other",
                            field.name
                        )
                    };
                    errors.error_at(&extra.original, message);
                }
            }
        }
        if seen.insert(field.name.as_str(), ()).is_some() {
            errors.error_at(
                field.ident,
                format!(
                    "field name `{}` is used twice; input and output fields must have distinct names",
                    field.name
                ),
            );
        }
        check_name(field.ident, &field.name, errors);
    }
    let has_output = sig
        .fields
        .iter()
        .any(|f| f.roles.iter().any(|r| r.role == Role::Output));
    if !has_output {
        errors.error_at(
            sig.ident,
            "a signature needs at least one `#[output]` field",
        );
    }
}

fn check_name(ident: &syn::Ident, name: &str, errors: &mut Errors) {
    if let Some((_, why)) = RESERVED.iter().find(|(n, _)| *n == name) {
        errors.error_at(
            ident,
            format!("`{name}` is a reserved field name: {why}; rename the field"),
        );
    } else if name.starts_with('_') {
        errors.error_at(
            ident,
            format!("field `{name}` starts with `_`, which pydantic does not allow in field names"),
        );
    } else if PYTHON_KEYWORDS.contains(&name) {
        errors.error_at(
            ident,
            format!("`{name}` is a Python keyword and cannot be a DSPy field name"),
        );
    }
}

/// The checks of `#[module]`.
pub(crate) fn check_module(module: &ModuleStruct<'_>, errors: &mut Errors) {
    for field in &module.fields {
        for extra in field.skips.iter().skip(1) {
            errors.error_at(&extra.original, "duplicate `#[module(skip)]` attribute");
        }
    }
}
