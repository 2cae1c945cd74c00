//! Unit tests of `json_repair::loads`: LM-style inputs, Python types, deep nesting, large
//! inputs, character classes, the search index, and property tests.

use super::chars::{is_alnum, is_alpha, is_digit, is_space};
use super::parser::{Parser, NAIVE_SCAN};
use super::*;
use proptest::prelude::*;
use serde_json::json;

#[test]
fn reads_what_lms_write() {
    let fenced = "Sure!\n```json\n{\"answer\": \"Paris\", \"confidence\": 0.9}\n```\nBye.";
    assert_eq!(loads(fenced), json!({"answer": "Paris", "confidence": 0.9}));
    assert_eq!(
        loads("{'a': True, 'b': None, 'c': (1, 2)}"),
        json!({"a": true, "b": null, "c": [1, 2]})
    );
    assert_eq!(
        loads("{a: 1, // one\n b: [1, 2,], # two\n}"),
        json!({"a": 1, "b": [1, 2]})
    );
    assert_eq!(
        loads("{\"reasoning\": \"The capital is Paris, which"),
        json!({"reasoning": "The capital is Paris, which"})
    );
    assert_eq!(loads("{\"a\": 1} {\"b\": 2}"), json!([{"a": 1}, {"b": 2}]));
    assert_eq!(loads("[{a: 1, a: 2}]"), json!([{"a": 1}, {"a": 2}]));
}

#[test]
fn nothing_found_is_an_empty_string() {
    for text in ["", "   ", "no json here", "answer: 42", "'single'"] {
        assert_eq!(loads(text), json!(""), "{text:?}");
    }
}

#[test]
fn numbers_keep_their_python_type() {
    let v = loads("{\"i\": 3, \"f\": 3.0, \"e\": 1e3, \"n\": -0, \"u\": 1_000, \"h\": .5}");
    assert!(v["i"].is_u64() && v["f"].is_f64() && v["e"].is_f64());
    assert_eq!(v["n"], json!(0));
    assert_eq!(v["u"], json!(1000));
    assert_eq!(v["h"], json!(0.5));
    assert_eq!(
        loads("[18446744073709551615, -9223372036854775808]")[0],
        json!(u64::MAX)
    );
    assert_eq!(loads("[-9223372036854775808]")[0], json!(i64::MIN));
    assert_eq!(
        loads("[123456789012345678901234567890]")[0],
        json!(1.2345678901234568e29)
    );
    let huge = format!("[{}]", "9".repeat(400));
    assert_eq!(loads(&huge)[0], json!("9".repeat(400)));
    assert_eq!(
        loads("[NaN, Infinity, -Infinity, 1e999]"),
        json!(["NaN", "Infinity", "-Infinity", "Infinity"])
    );
}

#[test]
fn escapes_and_surrogates() {
    assert_eq!(loads(r#"{"a": "\ud83d\ude00"}"#), json!({"a": "😀"}));
    // Not valid JSON (no closing brace), so the repairing parser decodes these.
    assert_eq!(loads(r#"{"a": "\ud83d\ude00 \u00e9"#), json!({"a": "😀 é"}));
    assert_eq!(loads(r#"{"a": "\ud800 x"#), json!({"a": "\u{fffd} x"}));
    assert_eq!(loads(r#"["\ud800"]"#), json!(["\u{fffd}"]));
}

#[test]
fn deep_nesting_is_cut_off_without_overflowing() {
    let n = 20_000;
    let inputs = [
        "[".repeat(n),
        format!("{}{}", "[".repeat(n), "]".repeat(n)),
        "{\"a\": ".repeat(n),
        "{\"a\": [".repeat(n),
        "[{".repeat(n),
        "{".repeat(n),
        "(".repeat(n),
        format!("{{\"a\": {}", "\"```json ```".repeat(n)),
        format!("{{\"a\": [1]{}", ", [{\"b\": [1]".repeat(n)),
        format!("{{\"a\": 1}}{}", ", \"b\": 1}".repeat(n)),
        "{\\\"a\\\": {".repeat(n),
    ];
    for input in &inputs {
        let value = loads(input);
        // The result is well-formed and can be serialized (iteratively deep values would
        // also be fine; serde_json's own writer recurses, so keep this shallow check).
        assert!(!value.is_null(), "{}", &input[..20]);
    }
    // Within the limit nothing is cut off.
    let depth = |mut v: &Value| {
        let mut d = 0;
        while let Some(inner) = v.as_array().and_then(|a| a.first()) {
            v = inner;
            d += 1;
        }
        d
    };
    assert_eq!(depth(&loads(&format!("{}1", "[".repeat(300)))), 300);
    // Valid JSON is read as deep as Python's `json` reads it.
    let valid = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert_eq!(
        depth(&loads(&valid(STRICT_MAX_DEPTH))),
        STRICT_MAX_DEPTH - 1
    );
    assert_eq!(depth(&loads(&valid(STRICT_MAX_DEPTH + 1))), 0);
    let objects = format!(
        "{}1{}",
        "{\"a\": ".repeat(STRICT_MAX_DEPTH),
        "}".repeat(STRICT_MAX_DEPTH)
    );
    let mut v = &loads(&objects);
    let mut levels = 0;
    while let Some(inner) = v.get("a") {
        v = inner;
        levels += 1;
    }
    assert_eq!((levels, v), (STRICT_MAX_DEPTH, &json!(1)));
}

#[test]
fn big_awkward_inputs_stay_fast() {
    // Each of these made some look-ahead quadratic at one point; together they take a
    // fraction of a second.
    let n = 50_000;
    let inputs = [
        format!("{{\"a\": \"{}", "x } y ".repeat(n)),
        format!("[{}]", "\"a\"b\", ".repeat(n / 5)),
        format!("{{\"a\": \"[{}", "\"x".repeat(n / 5)),
        format!("{{\"a\": [1]{}}}", ", [1]".repeat(n)),
        format!(
            "{{\"k\": [{}{}]}}",
            "1, ".repeat(n),
            "{}, \"a\": 1, ".repeat(n / 10)
        ),
        format!("[{{{}}}]", "a: 1, ".repeat(n / 5)),
        "[{".repeat(n),
        "(".repeat(n),
    ];
    for input in &inputs {
        let start = std::time::Instant::now();
        let _ = loads(input);
        assert!(
            start.elapsed().as_secs() < 20,
            "too slow on {}...",
            &input[..20]
        );
    }
}

#[test]
fn character_classes_follow_python() {
    // Python 3.11: 'ा'.isalpha() is False (a combining vowel sign), 'Ⅻ'.isalpha() False,
    // '½'.isdigit() False, '²'.isdigit() True, '३'.isdigit() True, 'ª'.isalpha() True.
    assert!(!is_alpha('\u{93e}') && !is_alnum('\u{93e}'));
    assert!(!is_alpha('Ⅻ') && is_alnum('Ⅻ') && !is_digit('Ⅻ'));
    assert!(!is_digit('½') && is_alnum('½'));
    assert!(is_digit('²') && is_digit('३') && !is_alpha('३'));
    assert!(is_alpha('ª') && is_alpha('中') && is_alpha('é'));
    assert!(!is_alpha('\u{10ffff}') && !is_alnum('\u{80}'));
    assert!(is_space('\u{1c}') && is_space('\u{3000}') && !is_space('\u{200b}'));
    for c in ['a', 'Z', '0', '_', ' ', '{'] {
        assert_eq!(is_alpha(c), c.is_ascii_alphabetic());
        assert_eq!(is_alnum(c), c.is_ascii_alphanumeric());
    }
}

#[test]
fn unicode_tables_are_sorted_ranges() {
    for table in [
        py_unicode::ALPHA,
        py_unicode::DIGIT,
        py_unicode::OTHER_NUMERIC,
    ] {
        assert!(table.iter().all(|&(first, last)| first <= last));
        assert!(table.windows(2).all(|w| w[0].1 + 1 < w[1].0));
    }
    // `isalnum` adds OTHER_NUMERIC to `isalpha` and `isdigit`, which it does not overlap.
    for &(first, last) in py_unicode::OTHER_NUMERIC {
        for c in (first..=last).filter_map(char::from_u32) {
            assert!(is_alnum(c) && !is_alpha(c) && !is_digit(c), "{c:?}");
        }
    }
}

#[test]
fn skip_index_matches_scanning() {
    let texts = [
        r#"a\"b"c\\"d\\\"e"f:g}h]"#,
        r#"\\\\\\"x" \" \\" ]"#,
        "no targets here at all",
    ];
    for text in texts {
        let padded = format!("{}{text}", " ".repeat(NAIVE_SCAN + 3));
        let p = Parser::new(padded.chars().collect());
        let scan = |targets: &[char], from: usize| {
            let mut backslashes = 0;
            for (i, &c) in p.s.iter().enumerate().skip(from) {
                if c == '\\' {
                    backslashes += 1;
                    continue;
                }
                if targets.contains(&c) && backslashes % 2 == 0 {
                    return i as isize;
                }
                backslashes = 0;
            }
            p.s.len() as isize
        };
        for targets in [&['"'][..], &[':', '}'], &[']'], &['"', ']']] {
            for from in 0..p.s.len() {
                assert_eq!(p.skip_to(targets, from as isize), scan(targets, from));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_json_like_text(
        text in r#"[{}\[\]()"',:;#/*\\ \n`\-+.eE0-9a-zA-Z_“”„]{0,80}"#
    ) {
        let _ = loads(&text);
    }

    #[test]
    fn never_panics_on_any_text(text in any::<String>()) {
        let _ = loads(&text);
    }

    #[test]
    fn valid_json_round_trips(value in json_value()) {
        let text = value.to_string();
        prop_assert_eq!(loads(&text), value);
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

#[test]
fn repair_container_reads_objects_and_arrays_only() {
    assert_eq!(repair_container(" [1, 2,"), Some(json!([1, 2])));
    assert_eq!(repair_container("{'a': True}"), Some(json!({"a": true})));
    // The closing fence is not read into a cut-off string.
    assert_eq!(
        repair_container("```json\n{\"a\": \"x\n```"),
        Some(json!({"a": "x"}))
    );
    // Only half an escape is dropped: `\\` is a whole one.
    assert_eq!(repair_container(r#"{"a": "x\\"#), Some(json!({"a": "x\\"})));
    assert_eq!(
        repair_container(r#"{"a": "x\\\"#),
        Some(json!({"a": "x\\"}))
    );
    for prose in [
        "",
        "search {rust}",
        "see [1]",
        "\"a\": 1}",
        "```\nnot json\n```",
    ] {
        assert_eq!(repair_container(prose), None, "{prose:?}");
    }
}
