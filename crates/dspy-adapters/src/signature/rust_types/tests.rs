//! Unit tests of `field_type_of` and `field_type_from_schema`.

use super::*;

#[test]
fn scalars() {
    assert_eq!(field_type_of::<String>(), FieldType::Str);
    assert_eq!(field_type_of::<str>(), FieldType::Str);
    assert_eq!(field_type_of::<u8>(), FieldType::Int);
    assert_eq!(field_type_of::<i128>(), FieldType::Int);
    assert_eq!(field_type_of::<f32>(), FieldType::Float);
    assert_eq!(field_type_of::<bool>(), FieldType::Bool);
    assert_eq!(field_type_of::<()>(), FieldType::None);
    assert_eq!(field_type_of::<serde_json::Value>(), FieldType::Any);
}

#[test]
fn containers() {
    assert_eq!(field_type_of::<Vec<u8>>().dspy_name(), "list[int]");
    assert_eq!(field_type_of::<[i32; 3]>().dspy_name(), "list[int]");
    assert_eq!(
        field_type_of::<std::collections::BTreeMap<i32, String>>().dspy_name(),
        "dict[int, str]"
    );
    assert_eq!(
        field_type_of::<Option<Option<(i32, String)>>>().dspy_name(),
        "Union[tuple[int, str], NoneType]"
    );
}

#[test]
fn bad_schemas_are_any() {
    for schema in [
        serde_json::json!({"$ref": "#/$defs/Missing"}),
        serde_json::json!({"$ref": "http://elsewhere"}),
        serde_json::json!({"type": 3}),
        serde_json::json!({"anyOf": []}),
        serde_json::json!(false),
        serde_json::json!({"allOf": [{"$ref": "#"}]}),
    ] {
        assert_eq!(
            field_type_from_schema(&schema, "X"),
            FieldType::Any,
            "{schema}"
        );
    }
}

#[test]
fn deep_nesting_is_capped() {
    let mut schema = serde_json::json!({"type": "string"});
    for _ in 0..500 {
        schema = serde_json::json!({"type": "array", "items": schema});
    }
    let ty = field_type_from_schema(&schema, "X");
    assert!(ty.dspy_name().contains("list[Any]"));
}
