//! Every adapter's `parse` takes arbitrary and adversarial text without panicking: it returns
//! the signature's outputs or a typed error.

use std::sync::Arc;

use dspy_adapters::signature::{EnumDef, EnumMember, LiteralValue, ModelDef, ModelField};
use dspy_adapters::{AdapterKind, FieldSpec, FieldType, ParseErrorKind, SignatureSpec};
use proptest::prelude::*;
use serde_json::json;

fn specs() -> Vec<SignatureSpec> {
    let person = FieldType::Model(Arc::new(ModelDef {
        name: "Person".into(),
        doc: None,
        fields: vec![
            ModelField {
                name: "name".into(),
                ty: FieldType::Str,
                required: true,
                default: None,
                description: None,
            },
            ModelField {
                name: "tags".into(),
                ty: FieldType::List(Box::new(FieldType::Str)),
                required: false,
                default: Some(json!([])),
                description: None,
            },
        ],
    }));
    let color = FieldType::Enum(Arc::new(EnumDef {
        name: "Color".into(),
        int_enum: false,
        doc: None,
        members: vec![EnumMember {
            name: "RED".into(),
            value: json!("red"),
        }],
    }));
    let typed = SignatureSpec::builder()
        .input(FieldSpec::new("question", FieldType::Str))
        .output(FieldSpec::new("answer", FieldType::Str))
        .output(FieldSpec::new("score", FieldType::Int))
        .output(FieldSpec::new(
            "items",
            FieldType::List(Box::new(FieldType::Float)),
        ))
        .output(FieldSpec::new("person", FieldType::optional(person)))
        .output(FieldSpec::new("color", color))
        .output(FieldSpec::new(
            "label",
            FieldType::Literal(vec![LiteralValue::Str("yes".into()), LiteralValue::Int(1)]),
        ))
        .output(FieldSpec::new(
            "map",
            FieldType::Dict(Box::new(FieldType::Str), Box::new(FieldType::Any)),
        ))
        .build()
        .expect("valid spec");
    vec![
        SignatureSpec::parse("question -> answer").expect("valid"),
        SignatureSpec::parse("a, b -> c: bool, d: tuple[int, str]").expect("valid"),
        typed,
    ]
}

/// Fragments real (and broken) completions are made of.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[[ ## answer ## ]]".to_string()),
        Just("[[ ## score ## ]]\n".to_string()),
        Just("[[ ## completed ## ]]".to_string()),
        Just("[[ ## ".to_string()),
        Just(" ## ]]".to_string()),
        Just("{\"answer\": ".to_string()),
        Just("{'answer': '".to_string()),
        Just("\"score\": 3.5,".to_string()),
        Just("}".to_string()),
        Just("]".to_string()),
        Just("[".repeat(64)),
        Just("{".repeat(64)),
        Just("<answer>".to_string()),
        Just("</answer>".to_string()),
        Just("<person><name>x</name><tags><item>a</item></tags></person>".to_string()),
        Just("<![CDATA[".to_string()),
        Just("&amp;&lt;&#x1F600;&bogus;".to_string()),
        Just("```json\n".to_string()),
        Just("```".to_string()),
        Just("\u{2028}\u{2029}\u{85}\r\n\r\x0b\x0c\x1c".to_string()),
        Just("True None null NaN -Infinity 1e999 1_000".to_string()),
        Just("é🦀\u{200d}\u{feff}".to_string()),
        "\\PC{0,40}",
        any::<String>(),
    ]
}

fn completion() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..24).prop_map(|parts| parts.concat())
}

fn check(text: &str) {
    for spec in specs() {
        for kind in [AdapterKind::Chat, AdapterKind::Json, AdapterKind::Xml] {
            match kind.adapter().parse(&spec, text) {
                Ok(values) => {
                    for field in spec.outputs() {
                        assert!(
                            values.contains_key(&field.name),
                            "{kind}: output `{}` missing from Ok",
                            field.name
                        );
                    }
                }
                Err(e) => {
                    assert_eq!(e.adapter, kind);
                    assert_eq!(e.completion, text);
                    if let ParseErrorKind::MissingFields { missing, .. } = &e.kind {
                        assert!(
                            !missing.is_empty(),
                            "{kind}: missing_fields error with nothing missing"
                        );
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics(text in completion()) {
        check(&text);
    }
}

#[test]
fn deep_nesting_and_huge_inputs() {
    check(&"[".repeat(200_000));
    check(&"{\"a\":".repeat(100_000));
    check(&"<a>".repeat(50_000));
    check(&format!("[[ ## answer ## ]]\n{}", "x".repeat(2_000_000)));
    check(&"[[ ## answer ## ]]\n".repeat(20_000));
}
