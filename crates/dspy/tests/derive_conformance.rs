//! Typed signatures against Python class signatures: each `#[derive(Signature)]` struct here
//! is the Rust form of the signature a DSPy 3.4.1 conformance fixture was recorded with. Their
//! specs must agree field by field (names, order, type names, JSON Schemas, descriptions,
//! prefixes, instructions), and the adapters must format the same messages for both.

#[path = "../../../tests/support/fixture.rs"]
mod fixture;
#[path = "../../dspy-adapters/tests/support/fixture_types.rs"]
mod fixture_types;

use std::path::PathBuf;

use dspy::prelude::*;
use dspy::schemars::JsonSchema;
use fixture::{demos_at, spec_from_fixture, values_at};
use serde::{Deserialize, Serialize};
use serde_json::Value;

// chat-format-out-model-team

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone)]
#[schemars(crate = "dspy::schemars")]
struct Address {
    street: String,
    city: String,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone)]
#[schemars(crate = "dspy::schemars")]
struct Person {
    name: String,
    /// Age in whole years
    age: u32,
    address: Address,
    #[serde(default)]
    nicknames: Vec<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone)]
#[schemars(crate = "dspy::schemars")]
struct Team {
    team_name: String,
    lead: Person,
    members: Vec<Person>,
}

#[derive(Signature)]
struct BuildTeam {
    #[input]
    description: String,
    #[output]
    team: Team,
}

// json-format-out-enum

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone)]
#[schemars(crate = "dspy::schemars")]
#[serde(rename_all = "lowercase")]
enum Color {
    Red,
    Green,
    Blue,
}

#[derive(Signature)]
struct PickColor {
    #[input]
    object: String,
    #[output]
    color: Color,
}

// chat-format-sig-multi-io-descs

#[derive(Signature)]
struct MultiIo {
    #[input(desc = "the user's question")]
    question: String,
    #[input(desc = "retrieved passages")]
    context: Vec<String>,
    #[input]
    audience: String,
    #[output(desc = "a concise answer")]
    answer: String,
    #[output(desc = "between 0 and 1")]
    confidence: f64,
    #[output]
    citations: Vec<i64>,
}

// chat-format-sig-docstring-multiline (`label` is a `Literal[...]` in Python, which Rust
// types cannot spell, so that field's type is not compared)

/// Classify the support ticket.
///
/// Rules:
///   - Be precise.
///   - Use the `label` field only.
///
/// Return nothing else.
#[derive(Signature)]
struct Ticket {
    #[input]
    ticket: String,
    #[output]
    label: String,
}

// chat-format-out-union

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone)]
#[schemars(crate = "dspy::schemars")]
#[serde(untagged)]
enum IntOrStr {
    Int(i64),
    Str(String),
}

#[derive(Signature)]
struct ParseValue {
    #[input]
    text: String,
    #[output]
    value: IntOrStr,
}

// chat-format-out-optional-int

#[derive(Signature)]
struct Year {
    #[input]
    question: String,
    #[output]
    year: Option<i64>,
}

struct Case {
    fixture: &'static str,
    spec: fn() -> &'static SignatureSpec,
    /// Fields whose Python type has no Rust spelling; their types are not compared.
    untyped: &'static [&'static str],
    /// Whether the whole `FieldType` values must be equal (not only names and schemas):
    /// false for enums, whose Rust member names are the serialized names.
    same_type_values: bool,
}

const CASES: &[Case] = &[
    Case {
        fixture: "chat-format-out-model-team",
        spec: BuildTeam::spec,
        untyped: &[],
        same_type_values: true,
    },
    Case {
        fixture: "json-format-out-enum",
        spec: PickColor::spec,
        untyped: &[],
        same_type_values: false,
    },
    Case {
        fixture: "chat-format-sig-multi-io-descs",
        spec: MultiIo::spec,
        untyped: &[],
        same_type_values: true,
    },
    Case {
        fixture: "chat-format-sig-docstring-multiline",
        spec: Ticket::spec,
        untyped: &["label"],
        same_type_values: true,
    },
    Case {
        fixture: "chat-format-out-union",
        spec: ParseValue::spec,
        untyped: &[],
        same_type_values: true,
    },
    Case {
        fixture: "chat-format-out-optional-int",
        spec: Year::spec,
        untyped: &[],
        same_type_values: true,
    },
];

fn load(id: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/conformance/dspy-3.4.1")
        .join(format!("{id}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn schema_text(field: &FieldSpec) -> String {
    field
        .schema
        .as_ref()
        .map(|s| serde_json::to_string(s).unwrap_or_default())
        .unwrap_or_default()
}

/// Differences between the derived spec and the fixture's, one line each.
fn spec_differences(case: &Case, ours: &SignatureSpec, theirs: &SignatureSpec) -> Vec<String> {
    let mut out = Vec::new();
    if ours.instructions() != theirs.instructions() {
        out.push(format!(
            "instructions: {:?} != {:?}",
            ours.instructions(),
            theirs.instructions()
        ));
    }
    for (side, a, b) in [
        ("input", ours.inputs(), theirs.inputs()),
        ("output", ours.outputs(), theirs.outputs()),
    ] {
        let names =
            |fields: &[FieldSpec]| fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
        if names(a) != names(b) {
            out.push(format!("{side} names: {:?} != {:?}", names(a), names(b)));
            continue;
        }
        for (x, y) in a.iter().zip(b) {
            let n = &x.name;
            if x.desc != y.desc {
                out.push(format!("{n}: desc {:?} != {:?}", x.desc, y.desc));
            }
            if x.prefix != y.prefix {
                out.push(format!("{n}: prefix {:?} != {:?}", x.prefix, y.prefix));
            }
            if x.default != y.default || x.constraints != y.constraints {
                out.push(format!("{n}: default/constraints differ"));
            }
            if case.untyped.contains(&n.as_str()) {
                continue;
            }
            if x.ty.dspy_name() != y.ty.dspy_name() {
                out.push(format!(
                    "{n}: type {} != {}",
                    x.ty.dspy_name(),
                    y.ty.dspy_name()
                ));
            }
            if schema_text(x) != schema_text(y) {
                out.push(format!(
                    "{n}: schema\n    ours:   {}\n    python: {}",
                    schema_text(x),
                    schema_text(y)
                ));
            }
            if case.same_type_values && x.ty != y.ty {
                out.push(format!(
                    "{n}: type values differ\n    ours:   {:?}\n    python: {:?}",
                    x.ty, y.ty
                ));
            }
        }
    }
    out
}

#[test]
fn derived_specs_match_python_class_signatures() {
    let mut failures = Vec::new();
    for case in CASES {
        let fixture = load(case.fixture);
        let theirs = spec_from_fixture(&fixture["signature"]).expect("fixture signature");
        let ours = (case.spec)();
        for diff in spec_differences(case, ours, &theirs) {
            failures.push(format!("{}: {diff}", case.fixture));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn enum_members_are_the_python_values() {
    let fixture = load("json-format-out-enum");
    let theirs = spec_from_fixture(&fixture["signature"]).expect("fixture signature");
    let values = |spec: &SignatureSpec| match &spec.outputs()[0].ty {
        FieldType::Enum(def) => def
            .members
            .iter()
            .map(|m| m.value.clone())
            .collect::<Vec<_>>(),
        other => panic!("not an enum: {other:?}"),
    };
    assert_eq!(values(PickColor::spec()), values(&theirs));
}

/// Same messages from the derived spec and the fixture's spec, and (once the adapter formats)
/// the messages DSPy recorded.
#[test]
fn derived_specs_format_like_python() {
    let mut failures = Vec::new();
    for case in CASES.iter().filter(|c| c.untyped.is_empty()) {
        let fixture = load(case.fixture);
        let theirs = spec_from_fixture(&fixture["signature"]).expect("fixture signature");
        let adapter = match fixture["adapter"].as_str() {
            Some("json") => AdapterKind::Json,
            Some("xml") => AdapterKind::Xml,
            _ => AdapterKind::Chat,
        }
        .adapter();
        let demos = demos_at(&fixture, "demos");
        let inputs = values_at(&fixture, "inputs");
        let ours: Vec<(String, String)> = adapter
            .format((case.spec)(), &demos, &inputs)
            .into_iter()
            .map(|m| (m.role.as_str().to_string(), m.content))
            .collect();
        let from_fixture: Vec<(String, String)> = adapter
            .format(&theirs, &demos, &inputs)
            .into_iter()
            .map(|m| (m.role.as_str().to_string(), m.content))
            .collect();
        if ours != from_fixture {
            failures.push(format!(
                "{}: messages differ from the fixture spec's",
                case.fixture
            ));
        }
        if ours.is_empty() {
            continue; // The adapter does not format yet.
        }
        let recorded: Vec<(String, String)> = fixture["expected"]["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                (
                    m["role"].as_str().unwrap_or_default().to_string(),
                    m["content"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        if ours != recorded {
            failures.push(format!("{}: messages differ from DSPy's", case.fixture));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
