//! `pydantic_schema` against pydantic 2.14.4: every non-null `schema` recorded in the DSPy
//! conformance fixtures, plus handwritten cases from `data/pydantic_schema_cases.json`
//! (regenerate with `data/pydantic_schema_cases.py`). Schemas are compared as serialized
//! text, so key order counts.

#[path = "support/fixture_types.rs"]
mod fixture_types;

use std::path::PathBuf;
use std::sync::Arc;

use dspy_adapters::signature::{
    pydantic_schema, EnumDef, EnumMember, FieldType, LiteralValue, ModelDef, ModelField,
};
use fixture_types::FixtureTypes;
use serde_json::{json, Value};

/// The fixture folder: `DSPY_CONFORMANCE_DIR`, or the workspace's DSPy 3.4.1 fixtures.
fn fixtures_dir() -> PathBuf {
    std::env::var_os("DSPY_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance/dspy-3.4.1")
        })
}

fn text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Compares one schema; on a difference, describes it.
fn check(what: &str, ty: &FieldType, expected: &Value) -> Result<(), String> {
    let got = text(&pydantic_schema(ty));
    let want = text(expected);
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}\n  expected: {want}\n  got:      {got}"))
    }
}

#[test]
fn fixture_schemas_match_pydantic() {
    let dir = fixtures_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let (mut matched, mut problems) = (0, Vec::new());
    for path in &paths {
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let case: Value = match std::fs::read_to_string(path).map(|t| serde_json::from_str(&t)) {
            Ok(Ok(case)) => case,
            other => {
                problems.push(format!("{file}: unreadable: {other:?}"));
                continue;
            }
        };
        let sig = &case["signature"];
        let types = FixtureTypes::from_signature(sig);
        let fields = ["inputs", "outputs"]
            .iter()
            .flat_map(|k| sig[k].as_array().into_iter().flatten());
        for field in fields {
            let schema = &field["schema"];
            if schema.is_null() {
                continue;
            }
            let py_type = field["py_type"].as_str().unwrap_or_default();
            let what = format!(
                "{file}: field `{}`: {py_type}",
                field["name"].as_str().unwrap_or("?")
            );
            let result = types
                .parse(py_type)
                .map_err(|e| format!("{what}: cannot build type: {e}"))
                .and_then(|ty| check(&what, &ty, schema));
            match result {
                Ok(()) => matched += 1,
                Err(p) => problems.push(p),
            }
        }
    }
    println!(
        "{matched} fixture schemas match pydantic; {} differ",
        problems.len()
    );
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(matched > 0, "no fixture schemas found in {}", dir.display());
}

fn handwritten() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/pydantic_schema_cases.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn handwritten_schemas_match_pydantic() {
    let data = handwritten();
    let types = FixtureTypes::new(data.get("type_defs"));
    let cases = data["cases"].as_array().cloned().unwrap_or_default();
    assert!(!cases.is_empty());
    let problems: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let py_type = case["py_type"].as_str().unwrap_or_default();
            match types.parse(py_type) {
                Ok(ty) => check(py_type, &ty, &case["schema"]).err(),
                Err(e) => Some(format!("{py_type}: cannot build type: {e}")),
            }
        })
        .collect();
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn field(name: &str, ty: FieldType) -> ModelField {
    ModelField {
        name: name.into(),
        ty,
        required: true,
        default: None,
        description: None,
    }
}

fn model(name: &str, fields: Vec<ModelField>) -> FieldType {
    FieldType::Model(Arc::new(ModelDef {
        name: name.into(),
        doc: None,
        fields,
    }))
}

fn level(int_enum: bool) -> FieldType {
    FieldType::Enum(Arc::new(EnumDef {
        name: "Level".into(),
        doc: None,
        int_enum,
        members: vec![EnumMember {
            name: "LOW".into(),
            value: json!(1),
        }],
    }))
}

/// Definitions sharing a name: one `$defs` entry when their schemas are equal.
#[test]
fn same_named_definitions_match_pydantic() {
    let data = handwritten();
    let named = &data["named"];
    let item = || model("Item", vec![field("a", FieldType::Int)]);
    let wrapper = model("Wrapper", vec![field("x", item()), field("y", item())]);
    let levels = FieldType::Union(vec![level(true), level(false), FieldType::None]);
    let nested = model(
        "Item",
        vec![field(
            "inner",
            model("Item", vec![field("b", FieldType::Str)]),
        )],
    );
    let problems: Vec<String> = [
        ("same-name-same-schema", wrapper),
        ("same-name-enum-kinds", levels),
        ("top-and-nested-same-name", nested),
    ]
    .iter()
    .filter_map(|(id, ty)| check(id, ty, &named[id]).err())
    .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Different definitions sharing a name get numbered names (pydantic would use their Python
/// module paths, which Rust types don't have).
#[test]
fn clashing_definitions_get_distinct_names() {
    let a = model("Item", vec![field("a", FieldType::Int)]);
    let b = model("Item", vec![field("b", FieldType::Str)]);
    let schema = pydantic_schema(&FieldType::Union(vec![a, b]));
    assert_eq!(
        text(&schema),
        text(&json!({
            "$defs": {
                "Item__1": {"properties": {"a": {"title": "A", "type": "integer"}}, "required": ["a"], "title": "Item", "type": "object"},
                "Item__2": {"properties": {"b": {"title": "B", "type": "string"}}, "required": ["b"], "title": "Item", "type": "object"}
            },
            "anyOf": [{"$ref": "#/$defs/Item__1"}, {"$ref": "#/$defs/Item__2"}]
        }))
    );
}

/// Types Python would reject still give a schema, without panicking.
#[test]
fn odd_types_do_not_panic() {
    let mut deep = FieldType::Int;
    for i in 0..64 {
        deep = match i % 4 {
            0 => FieldType::List(Box::new(deep)),
            1 => FieldType::optional(deep),
            2 => FieldType::Dict(Box::new(FieldType::Str), Box::new(deep)),
            _ => FieldType::Tuple(vec![deep, FieldType::Any]),
        };
    }
    let odd = [
        FieldType::Union(vec![]),
        FieldType::Literal(vec![]),
        FieldType::Tuple(vec![]),
        FieldType::Literal(vec![
            LiteralValue::Float(f64::NAN),
            LiteralValue::Float(f64::INFINITY),
        ]),
        FieldType::Enum(Arc::new(EnumDef {
            name: "".into(),
            doc: Some("An enumeration.".into()),
            int_enum: false,
            members: vec![EnumMember {
                name: "X".into(),
                value: json!({"b": 1, "a": [2]}),
            }],
        })),
        model(
            "",
            vec![
                ModelField {
                    default: Some(json!({"$ref": "#/$defs/x"})),
                    required: false,
                    ..field("", FieldType::Union(vec![FieldType::None, FieldType::None]))
                },
                field("dup", FieldType::Int),
                field("dup", FieldType::Str),
            ],
        ),
        deep,
    ];
    for ty in &odd {
        assert!(pydantic_schema(ty).is_object(), "{ty}");
    }
    assert_eq!(
        text(&pydantic_schema(&FieldType::Union(vec![]))),
        r#"{"anyOf":[]}"#
    );
    assert_eq!(
        text(&pydantic_schema(&FieldType::Literal(vec![]))),
        r#"{"enum":[]}"#
    );
}
