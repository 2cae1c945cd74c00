//! Unit tests of `literal_eval`: scalars, containers, and what Python rejects.

use super::{literal_eval, LiteralError};
use serde_json::{json, Value};

fn eval(text: &str) -> Option<Value> {
    literal_eval(text).ok()
}

#[test]
fn scalars() {
    assert_eq!(eval("True"), Some(json!(true)));
    assert_eq!(eval("None"), Some(json!(null)));
    assert_eq!(eval("'x'"), Some(json!("x")));
    assert_eq!(eval("\"it's\""), Some(json!("it's")));
    assert_eq!(eval("'a' 'b'"), Some(json!("ab")));
    assert_eq!(eval("r'\\n'"), Some(json!("\\n")));
    assert_eq!(eval("'\\x41\\u00e9\\101\\d'"), Some(json!("A\u{e9}A\\d")));
    assert_eq!(eval("'''a\nb'''"), Some(json!("a\nb")));
    assert_eq!(eval("1_000"), Some(json!(1000)));
    assert_eq!(eval("123_456.789"), Some(json!(123456.789)));
    assert_eq!(eval("0x10"), Some(json!(16)));
    assert_eq!(eval("-5"), Some(json!(-5)));
    assert_eq!(eval("+1.5"), Some(json!(1.5)));
    assert_eq!(eval("-(1)"), Some(json!(-1)));
    assert_eq!(eval("1e3"), Some(json!(1000.0)));
    assert_eq!(eval(".5"), Some(json!(0.5)));
    assert_eq!(eval("5."), Some(json!(5.0)));
    assert_eq!(eval("00"), Some(json!(0)));
    assert_eq!(eval("  7  # seven\n"), Some(json!(7)));
}

#[test]
fn containers() {
    assert_eq!(eval("1, 2"), Some(json!([1, 2])));
    assert_eq!(eval("1,"), Some(json!([1])));
    assert_eq!(eval("(1, 'x')"), Some(json!([1, "x"])));
    assert_eq!(eval("()"), Some(json!([])));
    assert_eq!(eval("(1)"), Some(json!(1)));
    assert_eq!(eval("[1, [2, (3,)],]"), Some(json!([1, [2, [3]]])));
    assert_eq!(
        eval("{'a': 1, 'b': [True, None]}"),
        Some(json!({"a": 1, "b": [true, null]}))
    );
    assert_eq!(
        eval("{1: 'a', 2.5: 'b',}"),
        Some(json!({"1": "a", "2.5": "b"}))
    );
    assert_eq!(eval("{1, 2}"), Some(json!([1, 2])));
    assert_eq!(eval("set()"), Some(json!([])));
    assert_eq!(eval("{}"), Some(json!({})));
    assert_eq!(eval("[\n  1,\n  2\n]"), Some(json!([1, 2])));
}

#[test]
fn rejections() {
    for text in [
        "",
        "yes",
        "Paris",
        "1 2",
        "1 + 2",
        "--1",
        "-True",
        "03",
        "1__0",
        "1_",
        "1abc",
        "f'x'",
        "'a",
        "'a\nb'",
        "[1, 2",
        "x = 1",
        "1\n2",
        "1e400",
        "99999999999999999999",
        "{[1]: 2}",
        "frozenset()",
        "'\\N{BULLET}'",
        "'\\ud800'",
        "\u{a0}1",
        "~1",
        "(1,) (2,)",
        // A non-ASCII name before a quote (found by the parse property test): no panic.
        "\u{1d400}\"",
        "é'x'",
    ] {
        assert_eq!(eval(text), None, "{text:?}");
    }
    for text in ["...", "2j", "1+2j", "-1.5-2J", "b'\\xff'", "[1, ...]"] {
        assert_eq!(
            literal_eval(text),
            Err(LiteralError::NoJsonForm),
            "{text:?}"
        );
    }
    assert_eq!(eval("b'x\\x41'"), Some(json!("xA")));
    assert_eq!(eval("b'a' b'b'"), Some(json!("ab")));
    assert_eq!(eval("'a' b'b'"), None);
    assert_eq!(eval("b'\\u0041'"), Some(json!("\\u0041")));
    assert_eq!(eval("-(-1)"), None);
    for (text, want) in [
        ("\n1", Some(json!(1))),
        ("\n 1", None),
        ("{1: 2,}", Some(json!({"1": 2}))),
        ("{1,}", Some(json!([1]))),
        ("0x_1f", Some(json!(31))),
        ("+(1)", Some(json!(1))),
        ("R'x'", Some(json!("x"))),
        ("'''a\r\nb'''", Some(json!("a\nb"))),
        ("[1, # c\n 2]", Some(json!([1, 2]))),
        ("1\\\n", None),
        ("None,None", Some(json!([null, null]))),
        ("{**{}}", None),
        ("[*[1]]", None),
        ("0_1", None),
        ("00.5", Some(json!(0.5))),
        ("( )", Some(json!([]))),
    ] {
        assert_eq!(eval(text), want, "{text:?}");
    }
    for text in ["(1)+2j", "1_0j", "1e5j"] {
        assert_eq!(
            literal_eval(text),
            Err(LiteralError::NoJsonForm),
            "{text:?}"
        );
    }
    assert_eq!(eval("1j + 1"), None);
    let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
    assert_eq!(eval(&deep), None);
    let ok = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    assert!(eval(&ok).is_some());
}
