//! Every adapter's `parse` takes arbitrary and adversarial text without panicking or overflowing
//! the stack: it returns the signature's outputs or a typed error that describes itself.

use std::sync::Arc;

use dspy_adapters::signature::{EnumDef, EnumMember, ModelDef, ModelField};
use dspy_adapters::{AdapterKind, FieldSpec, FieldType, ParseErrorKind, SignatureSpec};
use proptest::prelude::*;
use serde_json::json;

fn citation() -> FieldType {
    let field = |name: &str, ty| ModelField {
        name: name.into(),
        ty,
        required: true,
        default: None,
        description: None,
    };
    FieldType::Model(Arc::new(ModelDef {
        doc: None,
        name: "Citation".into(),
        fields: vec![
            field("source", FieldType::Str),
            field("page", FieldType::Int),
        ],
    }))
}

fn color() -> FieldType {
    let member = |name: &str, value: &str| EnumMember {
        name: name.into(),
        value: json!(value),
    };
    FieldType::Enum(Arc::new(EnumDef {
        doc: None,
        name: "Color".into(),
        int_enum: false,
        members: vec![member("RED", "red"), member("GREEN", "green")],
    }))
}

/// Signatures covering every kind of output type.
fn specs() -> Vec<SignatureSpec> {
    let list = |t| FieldType::List(Box::new(t));
    let outputs: Vec<Vec<(&str, FieldType)>> = vec![
        vec![("answer", FieldType::Str)],
        vec![
            ("answer", FieldType::Str),
            ("n", FieldType::Int),
            ("tags", list(FieldType::Str)),
        ],
        vec![
            ("x", FieldType::optional(FieldType::Float)),
            ("b", FieldType::Bool),
        ],
        vec![
            ("c", citation()),
            ("cs", list(citation())),
            ("o", FieldType::optional(citation())),
        ],
        vec![
            ("e", color()),
            (
                "u",
                FieldType::Union(vec![FieldType::Int, FieldType::Str, citation()]),
            ),
        ],
        vec![
            (
                "d",
                FieldType::Dict(Box::new(FieldType::Str), Box::new(list(FieldType::Int))),
            ),
            ("t", FieldType::Tuple(vec![FieldType::Int, FieldType::Str])),
            ("a", FieldType::Any),
        ],
    ];
    outputs
        .into_iter()
        .map(|outs| {
            let mut b = SignatureSpec::builder().input(FieldSpec::new("question", FieldType::Str));
            for (name, ty) in outs {
                b = b.output(FieldSpec::new(name, ty));
            }
            b.build().expect("valid spec")
        })
        .collect()
}

const ADAPTERS: [AdapterKind; 3] = [AdapterKind::Chat, AdapterKind::Json, AdapterKind::Xml];

/// Parses `completion` with every adapter and signature; an `Ok` holds every output field, an
/// error names its adapter, keeps the raw text, and a missing-fields error names what is missing.
fn parse_all(completion: &str) {
    for spec in specs() {
        for kind in ADAPTERS {
            match kind.adapter().parse(&spec, completion) {
                Ok(values) => {
                    for field in spec.outputs() {
                        assert!(
                            values.contains_key(&field.name),
                            "{kind}: output `{}` missing from an Ok result",
                            field.name
                        );
                    }
                    assert_eq!(
                        values.len(),
                        spec.outputs().len(),
                        "{kind}: extra keys in {values:?}"
                    );
                }
                Err(e) => {
                    assert_eq!(e.adapter, kind);
                    assert_eq!(e.completion, completion);
                    if let ParseErrorKind::MissingFields { missing, .. } = &e.kind {
                        assert!(
                            !missing.is_empty(),
                            "{kind}: missing_fields error with nothing missing"
                        );
                    }
                    assert!(!e.to_string().is_empty());
                }
            }
        }
    }
}

/// Pieces LM output (and hostile input) is made of: markers, tags, JSON and Python syntax,
/// odd line breaks and Unicode.
fn fragment() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "[[ ## answer ## ]]",
        "[[ ## n ## ]]",
        "[[ ## tags ## ]]",
        "[[ ## c ## ]]",
        "[[ ## completed ## ]]",
        "[[ ## ",
        " ## ]]",
        "[[",
        "]]",
        "<answer>",
        "</answer>",
        "<c>",
        "</c>",
        "<item>",
        "</item>",
        "<source>",
        "</source>",
        "<page>",
        "</page>",
        "<entry key=\"k\">",
        "</entry>",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<?pi x?>",
        "&amp;",
        "&lt;",
        "&#233;",
        "&#xD800;",
        "&bogus;",
        "<",
        ">",
        "&",
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "\"",
        "'",
        "'''",
        ",",
        ":",
        "\\",
        "\\u00e9",
        "\\ud800",
        "\\x41",
        "\\N{BULLET}",
        "True",
        "None",
        "null",
        "1",
        "-3.5e-7",
        "1_000",
        "0x1F",
        "2j",
        "...",
        "1e999",
        "99999999999999999999999",
        "yes",
        "red",
        "GREEN",
        "```json",
        "```",
        "\n",
        "\r\n",
        "\r",
        "\u{2028}",
        "\u{85}",
        "\x0b",
        "\x1c",
        " ",
        "\t",
        "\u{3000}",
        "é",
        "😀",
        "\u{0}",
        "#",
        "//",
        "/*",
        "*/",
        "b'",
        "f'",
        "set()",
    ];
    prop_oneof![
        4 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        1 => "\\PC{0,8}",
    ]
}

/// 400 cases per property; `PROPTEST_CASES=100000` searches longer.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics(parts in proptest::collection::vec(fragment(), 0..40)) {
        parse_all(&parts.concat());
    }

    #[test]
    fn parse_never_panics_on_any_text(text in "\\PC{0,200}") {
        parse_all(&text);
    }
}

/// Deep nesting, long inputs and many sections finish without overflowing the stack.
#[test]
fn hostile_inputs_finish() {
    let deep = 20_000;
    let inputs = [
        "[".repeat(deep),
        "{".repeat(deep),
        format!("{}1{}", "[".repeat(deep), "]".repeat(deep)),
        format!("{}{}", "{\"a\":".repeat(deep), "}".repeat(deep)),
        format!("[[ ## answer ## ]]\n{}", "(".repeat(deep)),
        format!("[[ ## n ## ]]\n{}", "[".repeat(deep)),
        format!("<c>{}x{}</c>", "<a>".repeat(deep), "</a>".repeat(deep)),
        format!(
            "<answer>{}x{}</answer>",
            "<a>".repeat(deep),
            "</a>".repeat(deep)
        ),
        format!("<answer>{}", "<a>".repeat(deep)),
        "[[ ## answer ## ]]\n".repeat(20_000),
        "[[ ## answer ## ]] x\r\n".repeat(20_000),
        "x\n".repeat(200_000),
        "<answer>x</answer>".repeat(20_000),
        format!("{{\"answer\": \"{}\"}}", "a".repeat(1_000_000)),
        "{".repeat(40_000) + &"}".repeat(10),
        "[".repeat(200_000),
        format!("[[ ## answer ## ]]\n{}", "x".repeat(2_000_000)),
    ];
    for input in &inputs {
        parse_all(input);
    }
}

/// Every parser of this crate on random text for a while: adapter completions (all three
/// adapters, every output type), `parse_value` (JSON repair and Python literals behind it) for
/// every field type, JSON repair alone, and string signatures. By default one batch of
/// `PROPTEST_CASES` (400) per parser; with `DSPY_FUZZ_SECONDS=600` it keeps drawing new batches
/// for that long (the long-run mode: `DSPY_FUZZ_SECONDS=600 cargo test --release -p
/// dspy-adapters --test parse_robustness long_run -- --nocapture`).
#[test]
fn long_run_over_every_parser() {
    use proptest::test_runner::{Config, TestRunner};
    use std::time::{Duration, Instant};

    let budget = std::env::var("DSPY_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs);
    let types: Vec<FieldType> = specs()
        .iter()
        .flat_map(|s| s.outputs().iter().map(|f| f.ty.clone()).collect::<Vec<_>>())
        .collect();
    let text = prop_oneof![
        proptest::collection::vec(fragment(), 0..40).prop_map(|p| p.concat()),
        "\\PC{0,200}",
    ];
    let signature_text = proptest::collection::vec(
        prop_oneof![
            proptest::sample::select(vec![
                "question",
                "answer",
                ",",
                "->",
                ":",
                " ",
                "list[",
                "dict[",
                "]",
                "str",
                "int",
                "Literal[",
                "'a'",
                "Optional[",
                "Union[",
                "|",
                "tuple[",
                "float",
                "bool",
                "x_1",
                "\"",
                "é",
                "[",
                "->->",
                "None",
            ])
            .prop_map(str::to_owned),
            "\\PC{0,6}",
        ],
        0..30,
    )
    .prop_map(|p| p.concat());

    let started = Instant::now();
    let (mut batches, mut cases) = (0u64, 0u64);
    loop {
        let mut runner = TestRunner::new(Config {
            cases: cases_per_batch(),
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&text, |t| {
                parse_all(&t);
                for ty in &types {
                    let _ = dspy_adapters::value::parse_value(&t, ty);
                }
                let _ = dspy_adapters::value::json_repair::loads(&t);
                Ok(())
            })
            .unwrap();
        runner
            .run(&signature_text, |t| {
                if let Ok(spec) = SignatureSpec::parse(&t) {
                    assert!(!spec.outputs().is_empty(), "a signature has outputs: {t:?}");
                }
                Ok(())
            })
            .unwrap();
        batches += 1;
        cases += 2 * u64::from(cases_per_batch());
        match budget {
            Some(b) if started.elapsed() < b => continue,
            _ => break,
        }
    }
    println!(
        "long run: {batches} batches, {cases} cases in {:.0} s, no failure",
        started.elapsed().as_secs_f64()
    );
}

fn cases_per_batch() -> u32 {
    cases()
}
