//! Unit tests of `validate`: pydantic's lax coercions per type, unions, literals, enums,
//! models, and error messages.

use std::sync::Arc;

use serde_json::{json, Value};

use super::validate;
use crate::signature::{EnumDef, EnumMember, FieldType, LiteralValue, ModelDef, ModelField};

fn list(t: FieldType) -> FieldType {
    FieldType::List(Box::new(t))
}

fn union(members: Vec<FieldType>) -> FieldType {
    FieldType::Union(members)
}

fn model(name: &str, fields: Vec<(&str, FieldType, Option<Value>)>) -> FieldType {
    FieldType::Model(Arc::new(ModelDef {
        doc: None,
        name: name.into(),
        fields: fields
            .into_iter()
            .map(|(n, ty, default)| ModelField {
                name: n.into(),
                ty,
                required: default.is_none(),
                default,
                description: None,
            })
            .collect(),
    }))
}

/// Asserts `validate(input, ty)` gives `want` (`None`: an error).
fn check(ty: &FieldType, cases: &[(Value, Option<Value>)]) {
    for (input, want) in cases {
        let got = validate(input, ty).ok();
        assert_eq!(&got, want, "validate({input}, {ty})");
    }
}

#[test]
fn str_takes_only_strings() {
    check(
        &FieldType::Str,
        &[
            (json!("a"), Some(json!("a"))),
            (json!(42), None),
            (json!(1.5), None),
            (json!(null), None),
        ],
    );
}

#[test]
fn int_coercions() {
    check(
        &FieldType::Int,
        &[
            (json!(3), Some(json!(3))),
            (json!(3.0), Some(json!(3))),
            (json!("42"), Some(json!(42))),
            (json!(" 42\n"), Some(json!(42))),
            (json!("3.000"), Some(json!(3))),
            (json!("-1_000"), Some(json!(-1000))),
            (json!("+3"), Some(json!(3))),
            (json!(true), Some(json!(1))),
            (json!(3.5), None),
            (json!("3.5"), None),
            (json!("3."), None),
            (json!("0x10"), None),
            (json!("1e3"), None),
            (json!("1__0"), None),
            (json!("42 apples"), None),
            (json!(null), None),
            (json!([1]), None),
        ],
    );
}

#[test]
fn float_coercions() {
    check(
        &FieldType::Float,
        &[
            (json!(3), Some(json!(3.0))),
            (json!(0.5), Some(json!(0.5))),
            (json!("2.75"), Some(json!(2.75))),
            (json!(" 1e5 "), Some(json!(100000.0))),
            (json!("1_000.5"), Some(json!(1000.5))),
            (json!(".5"), Some(json!(0.5))),
            (json!(false), Some(json!(0.0))),
            (json!("inf"), None),
            (json!("nan"), None),
            (json!("3,5"), None),
            (json!(null), None),
        ],
    );
    assert!(validate(&json!(3), &FieldType::Float)
        .unwrap()
        .as_number()
        .unwrap()
        .is_f64());
}

#[test]
fn bool_coercions() {
    let mut cases = Vec::new();
    for word in ["true", "True", "YES", "y", "on", "t", "1"] {
        cases.push((json!(word), Some(json!(true))));
    }
    for word in ["false", "No", "n", "OFF", "f", "0"] {
        cases.push((json!(word), Some(json!(false))));
    }
    cases.extend([
        (json!(1), Some(json!(true))),
        (json!(0.0), Some(json!(false))),
        (json!(" true"), None),
        (json!("maybe"), None),
        (json!(2), None),
        (json!(1.5), None),
        (json!(null), None),
    ]);
    check(&FieldType::Bool, &cases);
}

#[test]
fn containers_validate_items() {
    check(
        &list(FieldType::Int),
        &[
            (json!([1, "2", 3.0]), Some(json!([1, 2, 3]))),
            (json!("1,2"), None),
            (json!({"a": 1}), None),
            (json!([1, "x"]), None),
        ],
    );
    let pair = FieldType::Tuple(vec![FieldType::Int, FieldType::Str]);
    check(
        &pair,
        &[
            (json!([1, "a"]), Some(json!([1, "a"]))),
            (json!([1]), None),
            (json!([1, "a", 2]), None),
            (json!("x"), None),
        ],
    );
    let int_keys = FieldType::Dict(Box::new(FieldType::Int), Box::new(FieldType::Str));
    check(
        &int_keys,
        &[
            (json!({"1": "a"}), Some(json!({"1": "a"}))),
            (json!({"x": "a"}), None),
            (json!([["1", "a"]]), None),
        ],
    );
    let str_int = FieldType::Dict(Box::new(FieldType::Str), Box::new(FieldType::Int));
    check(
        &str_int,
        &[
            (json!({"a": "1"}), Some(json!({"a": 1}))),
            (json!({"a": "x"}), None),
        ],
    );
}

#[test]
fn unions_prefer_exact_then_earliest() {
    let int_str = union(vec![FieldType::Int, FieldType::Str]);
    check(
        &int_str,
        &[
            (json!("5"), Some(json!("5"))),
            (json!(5), Some(json!(5))),
            (json!(null), None),
        ],
    );
    check(
        &union(vec![FieldType::Int, FieldType::Float]),
        &[
            (json!("3.0"), Some(json!(3))),
            (json!(3.0), Some(json!(3.0))),
        ],
    );
    check(
        &union(vec![FieldType::Float, FieldType::Int]),
        &[(json!(3), Some(json!(3))), (json!("3"), Some(json!(3.0)))],
    );
    check(
        &union(vec![FieldType::Bool, FieldType::Int]),
        &[(json!("1"), Some(json!(true))), (json!(1), Some(json!(1)))],
    );
    check(
        &union(vec![FieldType::Str, FieldType::Bool]),
        &[(json!("true"), Some(json!("true")))],
    );
    let optional = FieldType::optional(FieldType::Int);
    check(
        &optional,
        &[
            (json!(null), Some(json!(null))),
            (json!("7"), Some(json!(7))),
            (json!("None"), None),
        ],
    );
    // Between models, the one that set more fields wins.
    let p = model("P", vec![("a", FieldType::Int, None)]);
    let q = model(
        "Q",
        vec![("a", FieldType::Int, None), ("c", FieldType::Float, None)],
    );
    check(
        &union(vec![p.clone(), q.clone()]),
        &[(json!({"a": 1, "c": 2}), Some(json!({"a": 1, "c": 2.0})))],
    );
    check(
        &union(vec![q, p]),
        &[(json!({"a": 1}), Some(json!({"a": 1})))],
    );
}

#[test]
fn literals_and_enums() {
    let ints = FieldType::Literal(vec![LiteralValue::Int(1), LiteralValue::Int(2)]);
    check(
        &ints,
        &[
            (json!(1), Some(json!(1))),
            (json!(1.0), Some(json!(1))),
            (json!(true), Some(json!(1))),
            (json!("1"), None),
            (json!(3), None),
        ],
    );
    let words = FieldType::Literal(vec![
        LiteralValue::Str("a".into()),
        LiteralValue::Str("b".into()),
    ]);
    check(
        &words,
        &[
            (json!("a"), Some(json!("a"))),
            (json!("A"), None),
            (json!(" a"), None),
        ],
    );
    let pri = FieldType::Enum(Arc::new(EnumDef {
        doc: None,
        name: "Pri".into(),
        int_enum: true,
        members: vec![
            EnumMember {
                name: "LOW".into(),
                value: json!(1),
            },
            EnumMember {
                name: "HIGH".into(),
                value: json!(3),
            },
        ],
    }));
    check(
        &pri,
        &[
            (json!(3), Some(json!(3))),
            (json!("3"), Some(json!(3))),
            (json!(3.0), Some(json!(3))),
            (json!("HIGH"), None),
            (json!(2), None),
        ],
    );
}

#[test]
fn models_fill_defaults_and_ignore_extra_keys() {
    let address = model("Address", vec![("city", FieldType::Str, None)]);
    let person = model(
        "Person",
        vec![
            ("name", FieldType::Str, None),
            ("age", FieldType::Int, None),
            ("address", address, None),
            ("tags", list(FieldType::Str), Some(json!([]))),
        ],
    );
    check(
        &person,
        &[
            (
                json!({"age": "36", "name": "Ada", "extra": 1, "address": {"city": "London"}}),
                Some(json!({"name": "Ada", "age": 36, "address": {"city": "London"}, "tags": []})),
            ),
            (json!({"name": "Bo"}), None),
            (
                json!({"name": "Bo", "age": "old", "address": {"city": "x"}}),
                None,
            ),
            (json!("Ada"), None),
        ],
    );
    let got = validate(
        &json!({"age": 1, "address": {"city": "c"}, "name": "n"}),
        &person,
    )
    .unwrap();
    let keys: Vec<&str> = got
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["name", "age", "address", "tags"]);
}

#[test]
fn errors_read_like_pydantic() {
    let err = validate(&json!(["a", 2, "b"]), &list(FieldType::Int)).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("2 validation errors for list[int]\n0\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='a', input_type=str]"), "{text}");
    assert!(
        text.contains("\n2\n  Input should be a valid integer"),
        "{text}"
    );
    let err = validate(
        &json!("x".repeat(100)),
        &FieldType::optional(FieldType::Int),
    )
    .unwrap_err();
    assert_eq!(err.title(), "nullable[int]");
    assert_eq!(
        err.errors()[0].input_repr,
        format!("'{}...{}'", "x".repeat(24), "x".repeat(23))
    );
    let person = model("P", vec![("a", FieldType::Int, None)]);
    let err = validate(&json!({}), &person).unwrap_err();
    assert!(err.to_string().starts_with("1 validation error for P\na\n  Field required [type=missing, input_value={}, input_type=dict]"));
}
