//! The JSON prefix validator and its token mask.

use super::*;

fn valid(kind: JsonKind, text: &str) -> bool {
    JsonPrefix::new(kind).feed(text.as_bytes())
}

fn done(kind: JsonKind, text: &str) -> bool {
    let mut s = JsonPrefix::new(kind);
    s.feed(text.as_bytes()) && s.is_done()
}

const OBJ: JsonKind = JsonKind::Object;
const ARR: JsonKind = JsonKind::Array;

#[test]
fn valid_prefixes_are_accepted() {
    for p in [
        "",
        " \n",
        "{",
        "{ \"",
        "{\"country",
        "{\"country\"",
        "{\"country\": ",
        "{\"country\": \"Fra",
        "{\"a\": [1, 2.5, -0.5e3, 1E+9, 0, true, false, null, {}, []], \"b\": {",
        "{\"a\": tr",
        "{\"a\": -",
        "{\"a\": 12",
        "{\"a\": 1.",
        "{\"a\": 1e-",
        "{\"a\": \"caf\u{e9} \u{1F600}\", \"b\":",
    ] {
        assert!(valid(OBJ, p), "{p:?}");
    }
    for p in ["[", "[\"a\", ", "[[[1]], {\"x\": [", "[ ]"] {
        assert!(valid(ARR, p), "{p:?}");
    }
    // A multi-byte character may be split across tokens (bytes).
    let mut s = JsonPrefix::new(OBJ);
    assert!(s.feed(b"{\"k\": \"caf\xC3"));
    assert!(s.feed(b"\xA9\"}") && s.is_done());
}

#[test]
fn invalid_prefixes_are_rejected() {
    for p in [
        "{country_facts}",
        "{country",
        "{'a': 1}",
        "[1]",
        "x",
        "\"a\"",
        "{\"a\" 1",
        "{\"a\": }",
        "{\"a\": 1,}",
        "{\"a\": 1]",
        "{\"a\": 01",
        "{\"a\": -a",
        "{\"a\": 1.e5",
        "{\"a\": .5",
        "{\"a\": +1",
        "{\"a\": True",
        "{\"a\": nul}",
        "{\"a\": \"line\nbreak\"",
        "{\"a\": \"\\x\"",
        "{\"a\": \"\\u12g4\"",
        "{1: 2}",
        "{,",
        "{} x",
        "{}}",
    ] {
        assert!(!valid(OBJ, p), "{p:?}");
    }
    // A number must be complete before what follows it.
    assert!(!valid(OBJ, "{\"a\": 1e}"));
    assert!(!valid(OBJ, "{\"a\": -}"));
    assert!(!valid(ARR, "{}"));
    assert!(!valid(ARR, "[1 2]"));
    assert!(!valid(ARR, "[,"));
}

#[test]
fn escapes_are_read_whole() {
    assert!(done(
        OBJ,
        r#"{"q\"uote": "a\\b\/c\b\f\n\r\t\u00e9\uD83D\uDE00"}"#
    ));
    // An escaped quote does not end the string.
    assert!(valid(OBJ, r#"{"a": "say \"hi\""#));
    assert!(!done(OBJ, r#"{"a": "x\"}"#));
    assert!(valid(OBJ, r#"{"a": "\u00"#));
    assert!(!valid(OBJ, r#"{"a": "\u00"}"#));
}

#[test]
fn completion_is_detected_at_the_closing_bracket() {
    assert!(done(OBJ, "{}"));
    assert!(done(OBJ, " {\"country\": \"France\"} \n"));
    assert!(done(
        OBJ,
        "{\"a\": {\"b\": [1, {\"c\": null}]}, \"d\": -0.5e3}"
    ));
    assert!(done(ARR, "[[], [1], \"]\"]"));
    assert!(!done(OBJ, "{\"a\": {}"));
    assert!(!done(OBJ, "{\"a\": \"}\""));
    assert_eq!(progress(OBJ, b"\n{\"a\": 1}"), Progress::Done { end: 9 });
    assert_eq!(progress(OBJ, b"{} [[ ## x"), Progress::Done { end: 2 });
    assert_eq!(progress(OBJ, b"\n{\"a\": 1"), Progress::Open);
    assert_eq!(progress(OBJ, b""), Progress::Open);
    assert_eq!(progress(OBJ, b"{country_facts}"), Progress::Off);
}

#[test]
fn nesting_deeper_than_the_cap_is_invalid() {
    // The state stays small enough to copy for every token (the mask's cost).
    assert!(std::mem::size_of::<JsonPrefix>() <= 12);
    let depth = MAX_DEPTH as usize;
    assert!(valid(ARR, &"[".repeat(depth)));
    assert!(done(
        ARR,
        &format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    ));
    assert!(!valid(ARR, &"[".repeat(depth + 1)));
    let objects = "{\"a\": ".repeat(depth);
    assert!(valid(OBJ, &objects));
    assert!(!valid(OBJ, &format!("{objects}{{")));
    // Brackets must match the containers they close at every depth.
    assert!(!valid(ARR, "[{\"a\": [}"));
}

#[test]
fn the_kind_comes_from_the_type_or_the_schema() {
    assert_eq!(json_kind("dict[str, Any]", None), Some(OBJ));
    assert_eq!(json_kind("list[list[str]]", None), Some(ARR));
    assert_eq!(json_kind("tuple[int, str]", None), Some(ARR));
    let model = r#"{"type": "object", "properties": {"a": {"type": "integer"}}}"#;
    assert_eq!(json_kind("Country", Some(model)), Some(OBJ));
    assert_eq!(json_kind("Items", Some(r#"{"type": "array"}"#)), Some(ARR));
    assert_eq!(json_kind("M", Some(r#"{"properties": {}}"#)), Some(OBJ));
    let optional = r#"{"anyOf": [{"type": "string"}, {"type": "null"}]}"#;
    for (ty, schema) in [
        ("Optional[str]", Some(optional)),
        (
            "datetime",
            Some(r#"{"type": "string", "format": "date-time"}"#),
        ),
        ("str", None),
        ("Country", Some("{not json")),
        ("Optional[dict[str, int]]", None),
    ] {
        assert_eq!(json_kind(ty, schema), None, "{ty}");
    }
}

/// A small vocabulary: ids 0..=10, id 11 is the end of the turn (no bytes).
const VOCAB: [&str; 11] = [
    "{", "country", "_facts", "}", "\"", "\": \"", "France", "\"}", "\n", " {\"", "\"}\n\n",
];
const EOS: u32 = 11;

fn allowed(value: &str) -> Option<Vec<usize>> {
    let vocab: Vec<Vec<u8>> = VOCAB.iter().map(|t| t.as_bytes().to_vec()).collect();
    let mut logits = vec![0.0f32; VOCAB.len() + 1];
    mask_json(OBJ, value.as_bytes(), &vocab, &[EOS], &mut logits).then(|| {
        (0..logits.len())
            .filter(|&i| logits[i].is_finite())
            .collect()
    })
}

#[test]
fn the_mask_keeps_only_tokens_that_keep_the_json_valid() {
    // At the start: `{` and ` {"`, not whitespace only, not the end of the turn.
    assert_eq!(allowed("\n"), Some(vec![0, 9]));
    // After `{`: `}`, whitespace or tokens opening a key; not the placeholder's `country`.
    assert_eq!(allowed("{"), Some(vec![3, 4, 5, 7, 8]));
    // Inside a key any text but a raw newline goes, and the key may close.
    assert_eq!(allowed("{\""), Some(vec![0, 1, 2, 3, 4, 5, 6, 9]));
    // Inside a value's string; `"}` and `"}\n\n` close the object.
    assert_eq!(
        allowed("{\"country\": \"France"),
        Some(vec![0, 1, 2, 3, 4, 6, 7, 9, 10])
    );
    // A complete value or an invalid one: no mask.
    assert_eq!(allowed("{}"), None);
    assert_eq!(allowed("{country"), None);
    // Logits kept are the model's own; impossible ones stay impossible.
    let vocab: Vec<Vec<u8>> = VOCAB.iter().map(|t| t.as_bytes().to_vec()).collect();
    let mut logits: Vec<f32> = (0..12).map(|i| i as f32).collect();
    logits[9] = f32::NEG_INFINITY;
    assert!(mask_json(OBJ, b"", &vocab, &[EOS], &mut logits));
    assert_eq!(logits[0], 0.0);
    assert!(logits
        .iter()
        .enumerate()
        .all(|(i, l)| i == 0 || *l == f32::NEG_INFINITY));
}

#[test]
fn without_an_allowed_token_the_logits_are_left_alone() {
    let vocab: Vec<Vec<u8>> = VOCAB.iter().map(|t| t.as_bytes().to_vec()).collect();
    let mut logits = vec![0.0f32; 12];
    logits[0] = f32::NEG_INFINITY;
    logits[9] = f32::NEG_INFINITY;
    let before = logits.clone();
    assert!(!mask_json(OBJ, b"", &vocab, &[EOS], &mut logits));
    assert_eq!(logits, before);
    // No token opens an array.
    let mut logits = vec![0.0f32; 12];
    assert!(!mask_json(ARR, b"", &vocab, &[EOS], &mut logits));
    // Logits longer or shorter than the vocabulary do not panic.
    let mut short = vec![0.0f32; 3];
    assert!(mask_json(OBJ, b"", &vocab, &[EOS], &mut short));
    assert_eq!(short, [0.0, f32::NEG_INFINITY, f32::NEG_INFINITY]);
    let mut long = vec![0.0f32; 40];
    assert!(mask_json(OBJ, b"{", &vocab, &[EOS, 99], &mut long));
    assert!(long[11..].iter().all(|l| *l == f32::NEG_INFINITY));
}
