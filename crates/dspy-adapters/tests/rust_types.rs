//! `field_type_of` against Python: for each Rust type, the type name DSPy shows and the JSON
//! Schema pydantic generates for the equivalent Python annotation, recorded in
//! `data/rust_types_cases.json` (regenerate with `data/rust_types_cases.py`). Schemas are
//! compared as serialized text, so key order counts.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use dspy_adapters::signature::{field_type_of, pydantic_schema, FieldType};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(JsonSchema, Serialize, Deserialize)]
struct Address {
    street: String,
    city: String,
}

#[derive(JsonSchema, Serialize, Deserialize)]
struct Person {
    name: String,
    /// Age in whole years
    age: u32,
    address: Address,
    #[serde(default)]
    nicknames: Vec<String>,
}

#[derive(JsonSchema, Serialize, Deserialize)]
struct Team {
    team_name: String,
    lead: Person,
    members: Vec<Person>,
}

#[derive(JsonSchema, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Color {
    Red,
    Green,
    #[serde(rename = "Blue")]
    Blue,
}

/// Traffic light colours.
#[derive(JsonSchema, Serialize, Deserialize)]
enum Light {
    /// Stop.
    Red,
    /// Wait.
    Amber,
    /// Go.
    Green,
}

fn three() -> i64 {
    3
}

/// A user profile.
///
/// Second paragraph.
#[derive(JsonSchema, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    /// The login name
    user_name: String,
    email: Option<String>,
    age: Option<u8>,
    #[serde(default = "three")]
    retries: i64,
    #[serde(default)]
    tags: Vec<String>,
    favourite: Option<Color>,
    scores: HashMap<String, f64>,
    light: Light,
    #[serde(skip)]
    secret: String,
}

#[derive(JsonSchema, Serialize, Deserialize)]
struct Circle {
    radius: f64,
}

/// A rectangle.
#[derive(JsonSchema, Serialize, Deserialize)]
struct Rect {
    width: f64,
    height: f64,
}

#[derive(JsonSchema, Serialize, Deserialize)]
#[serde(untagged)]
enum ShapeUntagged {
    Circle(Circle),
    Rect(Rect),
}

#[derive(JsonSchema, Serialize, Deserialize)]
#[serde(tag = "kind")]
enum ShapeInternal {
    Circle { radius: f64 },
    Rect(Rect),
    Empty,
}

#[derive(JsonSchema, Serialize, Deserialize)]
#[schemars(rename = "Shape")]
enum ShapeExternal {
    Circle {
        radius: f64,
    },
    Rect(Rect),
    /// Documented, so schemars keeps it in place (see below).
    Unit,
}

#[derive(JsonSchema, Serialize, Deserialize)]
#[schemars(rename = "Shape")]
#[serde(tag = "t", content = "c")]
enum ShapeAdjacent {
    Circle { radius: f64 },
    Point(f64, f64),
}

#[derive(JsonSchema, Serialize, Deserialize)]
struct Tree {
    value: i32,
    children: Vec<Tree>,
}

/// The Rust type of each case id.
fn rust_type(id: &str) -> Option<FieldType> {
    Some(match id {
        "string" => field_type_of::<String>(),
        "u8" => field_type_of::<u8>(),
        "i64" => field_type_of::<i64>(),
        "f64" => field_type_of::<f64>(),
        "bool" => field_type_of::<bool>(),
        "vec_string" => field_type_of::<Vec<String>>(),
        "btreeset_i32" => field_type_of::<BTreeSet<i32>>(),
        "hashmap_string_i32" => field_type_of::<HashMap<String, i32>>(),
        "btreemap_i64_string" => field_type_of::<BTreeMap<i64, String>>(),
        "tuple_i32_string" => field_type_of::<(i32, String)>(),
        "option_string" => field_type_of::<Option<String>>(),
        "option_vec_i32" => field_type_of::<Option<Vec<i32>>>(),
        "value" => field_type_of::<Value>(),
        "map_value" => field_type_of::<serde_json::Map<String, Value>>(),
        "vec_vec_f64" => field_type_of::<Vec<Vec<f64>>>(),
        "team" => field_type_of::<Team>(),
        "vec_person" => field_type_of::<Vec<Person>>(),
        "profile" => field_type_of::<Profile>(),
        "color" => field_type_of::<Color>(),
        "light" => field_type_of::<Light>(),
        "option_color" => field_type_of::<Option<Color>>(),
        "shape_untagged" => field_type_of::<ShapeUntagged>(),
        "shape_internal" => field_type_of::<ShapeInternal>(),
        "shape_external" => field_type_of::<ShapeExternal>(),
        "shape_adjacent" => field_type_of::<ShapeAdjacent>(),
        "tree" => field_type_of::<Tree>(),
        _ => return None,
    })
}

#[test]
fn rust_types_match_python_equivalents() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rust_types_cases.json");
    let text = std::fs::read_to_string(&path).expect("cases file");
    let data: Value = serde_json::from_str(&text).expect("cases JSON");
    let cases = data["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap_or_default();
        let Some(ty) = rust_type(id) else {
            failures.push(format!("{id}: no Rust type for this case"));
            continue;
        };
        let want_name = case["dspy_name"].as_str().unwrap_or_default();
        if ty.dspy_name() != want_name {
            failures.push(format!(
                "{id}: name {:?}, Python {want_name:?}",
                ty.dspy_name()
            ));
        }
        let got = serde_json::to_string(&pydantic_schema(&ty)).unwrap_or_default();
        let want = serde_json::to_string(&case["schema"]).unwrap_or_default();
        if got != want {
            failures.push(format!("{id}: schema\n  python: {want}\n  rust:   {got}"));
        }
    }
    assert!(cases.len() >= 26, "only {} cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn unit_enum_members_are_serialized_names() {
    let FieldType::Enum(def) = field_type_of::<Color>() else {
        panic!("not an enum")
    };
    let names: Vec<&str> = def.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["red", "green", "Blue"]);
    assert!(!def.int_enum);
}

#[test]
fn model_fields_keep_requiredness_and_defaults() {
    let FieldType::Model(def) = field_type_of::<Profile>() else {
        panic!("not a model")
    };
    let summary: Vec<(&str, bool, Option<&Value>)> = def
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.required, f.default.as_ref()))
        .collect();
    assert_eq!(summary[0], ("userName", true, None));
    assert_eq!(summary[1], ("email", false, Some(&Value::Null)));
    assert_eq!(summary[3], ("retries", false, Some(&serde_json::json!(3))));
    assert_eq!(def.fields.len(), 8, "skipped field left out");
}

/// schemars lists the unit variants that have no doc comment or schemars attribute before
/// the other variants, so declaration order is lost for them.
#[test]
fn undocumented_unit_variants_come_first() {
    #[derive(JsonSchema)]
    enum Light {
        /// Stop.
        Red,
        Amber,
    }
    #[derive(JsonSchema)]
    enum Mixed {
        Circle(Circle),
        Unit,
    }
    assert_eq!(
        serde_json::to_string(&pydantic_schema(&field_type_of::<Light>())).unwrap_or_default(),
        r#"{"enum":["Amber","Red"],"title":"Light","type":"string"}"#
    );
    assert_eq!(
        field_type_of::<Mixed>().dspy_name(),
        "Union[Literal['Unit'], MixedCircle]"
    );
}
