//! expat's first error, checked against cases recorded from Python.

use super::error;

// Generated from Python 3.11's xml.etree.ElementTree.fromstring(f"<dspy_root>{completion}</dspy_root>").
const CASES: &[(&str, Option<&str>)] = &[
    (
        "<a>Fish & Chips</a>",
        Some("not well-formed (invalid token): line 1, column 20"),
    ),
    (
        "<a>a < b</a>",
        Some("not well-formed (invalid token): line 1, column 17"),
    ),
    (
        "<a>x &b y</a>",
        Some("not well-formed (invalid token): line 1, column 18"),
    ),
    (
        "<a>x &b; y</a>",
        Some("undefined entity: line 1, column 16"),
    ),
    (
        "<a>x &amp y</a>",
        Some("not well-formed (invalid token): line 1, column 20"),
    ),
    (
        "<a>é & b</a>",
        Some("not well-formed (invalid token): line 1, column 17"),
    ),
    (
        "é\n<a>é & b</a>",
        Some("not well-formed (invalid token): line 2, column 6"),
    ),
    ("<a>x</b>", Some("mismatched tag: line 1, column 17")),
    ("<a>x", Some("mismatched tag: line 1, column 17")),
    ("</a>", Some("mismatched tag: line 1, column 13")),
    (
        "<a x>1</a>",
        Some("not well-formed (invalid token): line 1, column 15"),
    ),
    (
        "<a>\u{1}</a>",
        Some("not well-formed (invalid token): line 1, column 14"),
    ),
    (
        "<?xml version='1.0'?><a>1</a>",
        Some("XML or text declaration not at start of entity: line 1, column 11"),
    ),
    (
        "<!DOCTYPE a><a>1</a>",
        Some("not well-formed (invalid token): line 1, column 13"),
    ),
    (
        "<a b='1' b='2'>x</a>",
        Some("duplicate attribute: line 1, column 20"),
    ),
    (
        "<a b=\"x>1</a>",
        Some("not well-formed (invalid token): line 1, column 20"),
    ),
    (
        "<a>]]></a>",
        Some("not well-formed (invalid token): line 1, column 16"),
    ),
    (
        "<a><!-- x -- y --></a>",
        Some("not well-formed (invalid token): line 1, column 23"),
    ),
    (
        "</dspy_root>junk",
        Some("not well-formed (invalid token): line 1, column 27"),
    ),
    (
        "<a>1</a></dspy_root><b>",
        Some("junk after document element: line 1, column 31"),
    ),
    (
        "<a>x &#0; y</a>",
        Some("reference to invalid character number: line 1, column 16"),
    ),
    (
        "<a>x &#xZZ; y</a>",
        Some("not well-formed (invalid token): line 1, column 19"),
    ),
    (
        "<a>x &lt y</a>",
        Some("not well-formed (invalid token): line 1, column 19"),
    ),
    (
        "<1a>x</1a>",
        Some("not well-formed (invalid token): line 1, column 12"),
    ),
    (
        "<a>x<</a>",
        Some("not well-formed (invalid token): line 1, column 16"),
    ),
    ("<a>x</a >", None),
    (
        "<a>x</ a>",
        Some("not well-formed (invalid token): line 1, column 17"),
    ),
    (
        "<a/ >",
        Some("not well-formed (invalid token): line 1, column 14"),
    ),
    (
        "<a b=1>x</a>",
        Some("not well-formed (invalid token): line 1, column 16"),
    ),
    (
        "<a>\u{1f600} & x</a>",
        Some("not well-formed (invalid token): line 1, column 17"),
    ),
    (
        "line1\nline2 <a>x & y</a>",
        Some("not well-formed (invalid token): line 2, column 12"),
    ),
    (
        "<a>x\r\ny & z</a>",
        Some("not well-formed (invalid token): line 2, column 3"),
    ),
    ("<a>&nbsp;</a>", Some("undefined entity: line 1, column 14")),
    ("<a:b>x</a:b>", Some("unbound prefix: line 1, column 11")),
    ("<a>x</a><![CDATA[ y ]]>", None),
    (
        "<a><![CDATA[ y </a>",
        Some("unclosed CDATA section: line 1, column 42"),
    ),
    ("<a>x<?pi x?></a>", None),
    (
        "<a>x<!-- unclosed</a>",
        Some("unclosed token: line 1, column 15"),
    ),
    (
        "<a",
        Some("not well-formed (invalid token): line 1, column 13"),
    ),
    (
        "<a>x</a",
        Some("not well-formed (invalid token): line 1, column 18"),
    ),
    (
        "&",
        Some("not well-formed (invalid token): line 1, column 12"),
    ),
    (
        "<",
        Some("not well-formed (invalid token): line 1, column 12"),
    ),
    (
        "<a>\u{0}</a>",
        Some("not well-formed (invalid token): line 1, column 14"),
    ),
    (
        "<a>\u{fffe}</a>",
        Some("not well-formed (invalid token): line 1, column 14"),
    ),
    (
        "<a>\u{c}</a>",
        Some("not well-formed (invalid token): line 1, column 14"),
    ),
    (
        "</dspy_root>junk more",
        Some("junk after document element: line 1, column 23"),
    ),
    (
        "</dspy_root>!",
        Some("not well-formed (invalid token): line 1, column 23"),
    ),
    (
        "</dspy_root> 123",
        Some("not well-formed (invalid token): line 1, column 27"),
    ),
    (
        "</dspy_root><!-- c --> <?p x?>",
        Some("not well-formed (invalid token): line 1, column 42"),
    ),
    (
        "</dspy_root></x>",
        Some("not well-formed (invalid token): line 1, column 24"),
    ),
    (
        "</dspy_root>&amp;",
        Some("not well-formed (invalid token): line 1, column 23"),
    ),
    (
        "</dspy_root>  \n <b/>",
        Some("junk after document element: line 2, column 1"),
    ),
    (
        "<?XML x?>",
        Some("not well-formed (invalid token): line 1, column 16"),
    ),
    ("<?xml-stylesheet x?>", None),
    (
        "<? x?>",
        Some("not well-formed (invalid token): line 1, column 13"),
    ),
    (
        "<?pi",
        Some("not well-formed (invalid token): line 1, column 15"),
    ),
    ("<?pi?>", None),
    ("<?pix?>", None),
    ("<?pi x", Some("unclosed token: line 1, column 11")),
    (
        "<a:b:c>x</a:b:c>",
        Some("not well-formed (invalid token): line 1, column 15"),
    ),
    ("<a xmlns:a='u'><a:b>x</a:b></a>", None),
    (
        "<a x:y='1'>z</a>",
        Some("unbound prefix: line 1, column 11"),
    ),
    (
        "<:a>x</:a>",
        Some("not well-formed (invalid token): line 1, column 12"),
    ),
    (
        "<a:>x</a:>",
        Some("not well-formed (invalid token): line 1, column 14"),
    ),
    ("<a>x</a:b>", Some("mismatched tag: line 1, column 17")),
    (
        "<a b='1'c='2'>x</a>",
        Some("not well-formed (invalid token): line 1, column 19"),
    ),
    ("<a b = '1' >x</a>", None),
    (
        "<a b='x&y'>z</a>",
        Some("not well-formed (invalid token): line 1, column 20"),
    ),
    ("<a b='&lt;'>z</a>", None),
    (
        "<a b='&zz;'>z</a>",
        Some("undefined entity: line 1, column 11"),
    ),
    (
        "<a b='<'>z</a>",
        Some("not well-formed (invalid token): line 1, column 17"),
    ),
    ("<a>x&#65;&#x41;y</a>", None),
    (
        "<a>&#xD800;</a>",
        Some("reference to invalid character number: line 1, column 14"),
    ),
    (
        "<a>&#65</a>",
        Some("not well-formed (invalid token): line 1, column 18"),
    ),
    (
        "<a>&#;</a>",
        Some("not well-formed (invalid token): line 1, column 16"),
    ),
    (
        "<a>&#x;</a>",
        Some("not well-formed (invalid token): line 1, column 17"),
    ),
    (
        "<a>&#1114112;</a>",
        Some("reference to invalid character number: line 1, column 14"),
    ),
    (
        "<a>&</a>",
        Some("not well-formed (invalid token): line 1, column 15"),
    ),
    (
        "<a>&;</a>",
        Some("not well-formed (invalid token): line 1, column 15"),
    ),
    (
        "<a>&1;</a>",
        Some("not well-formed (invalid token): line 1, column 15"),
    ),
    ("<a>]]</a>", None),
    ("<a>]] ></a>", None),
    ("<a><![CDATA[x]]></a>", None),
    (
        "<a><![CDAT x]]></a>",
        Some("not well-formed (invalid token): line 1, column 21"),
    ),
    (
        "<a><!-x--></a>",
        Some("not well-formed (invalid token): line 1, column 17"),
    ),
    ("<a><!---></a>", Some("unclosed token: line 1, column 14")),
    (
        "<a><!-- x ---></a>",
        Some("not well-formed (invalid token): line 1, column 23"),
    ),
    (
        "<a><!-- \u{1} --></a>",
        Some("not well-formed (invalid token): line 1, column 19"),
    ),
    ("<a/>", None),
    ("<a />", None),
    (
        "<a/x>",
        Some("not well-formed (invalid token): line 1, column 14"),
    ),
    (
        "<a b>",
        Some("not well-formed (invalid token): line 1, column 15"),
    ),
    ("<a\nb='1'\n>x</a>", None),
    (
        "<\u{1f600}>x</\u{1f600}>",
        Some("not well-formed (invalid token): line 1, column 12"),
    ),
    (
        "<a\u{1f600}>x</a\u{1f600}>",
        Some("not well-formed (invalid token): line 1, column 13"),
    ),
    ("<é>x</é>", None),
    (
        "<a>x</a>\n<b>y</b",
        Some("not well-formed (invalid token): line 2, column 7"),
    ),
    (
        "<a>\u{ffff}</a>",
        Some("not well-formed (invalid token): line 1, column 14"),
    ),
    ("<a>\u{7f}</a>", None),
    (
        "<a>\u{85} & x</a>",
        Some("not well-formed (invalid token): line 1, column 17"),
    ),
    (
        "x\u{2028}y & z",
        Some("not well-formed (invalid token): line 1, column 16"),
    ),
    (
        "x\ry & z",
        Some("not well-formed (invalid token): line 2, column 3"),
    ),
    (
        "x\r\n\r\ny & z",
        Some("not well-formed (invalid token): line 3, column 3"),
    ),
    (
        "\t& z",
        Some("not well-formed (invalid token): line 1, column 13"),
    ),
    (
        "<a b='1' b='1'/>",
        Some("duplicate attribute: line 1, column 20"),
    ),
    ("<a xmlns:p='u' p:b='1' b='2'/>", None),
    ("<a xmlns='u'/>", None),
    ("<dspy_root>", Some("no element found: line 1, column 34")),
    (
        "<a>x</a></dspy_root>",
        Some("not well-formed (invalid token): line 1, column 32"),
    ),
    (
        "</dspy_root>",
        Some("not well-formed (invalid token): line 1, column 24"),
    ),
    (
        "<a>1</a></dspy_root>  ",
        Some("not well-formed (invalid token): line 1, column 34"),
    ),
    ("<a></b></c>", Some("mismatched tag: line 1, column 16")),
    ("<a><b></a></b>", Some("mismatched tag: line 1, column 19")),
    ("<a b='1'>", Some("mismatched tag: line 1, column 22")),
    ("<a.b>x</a.b>", None),
    (
        "<-a>x</-a>",
        Some("not well-formed (invalid token): line 1, column 12"),
    ),
    ("<a>x</A>", Some("mismatched tag: line 1, column 17")),
    ("<a>x</a\n>", None),
    ("<!-- c -->", None),
    (
        "<!DOCTYPE x [<!ENTITY e 'v'>]><a>&e;</a>",
        Some("not well-formed (invalid token): line 1, column 13"),
    ),
    ("<a>x &amp;amp y</a>", None),
    ("<a>x &quot; &apos; &gt; y</a>", None),
    (
        "<a xmlns:a=''>x</a>",
        Some("must not undeclare prefix: line 1, column 11"),
    ),
    (
        "<xmlns:a>x</xmlns:a>",
        Some("unbound prefix: line 1, column 11"),
    ),
    ("<a xml:lang='en'>x</a>", None),
    (
        "<a><b c=\"1\" c='2'/></a>",
        Some("duplicate attribute: line 1, column 23"),
    ),
    ("<a>x</a><b>", Some("mismatched tag: line 1, column 24")),
    (
        "<a\u{1}>x</a>",
        Some("not well-formed (invalid token): line 1, column 13"),
    ),
    (
        "<a b='\u{1}'>x</a>",
        Some("not well-formed (invalid token): line 1, column 17"),
    ),
    (
        "<reasoning>Compare a < b && c > d.</reasoning>\n<answer>yes</answer>",
        Some("not well-formed (invalid token): line 1, column 33"),
    ),
    ("<reasoning>ok</reasoning>\n<answer>5</answer>", None),
    (
        "<answer>AT&T</answer>",
        Some("not well-formed (invalid token): line 1, column 23"),
    ),
    (
        "<answer>R&D;</answer>",
        Some("undefined entity: line 1, column 20"),
    ),
    (
        "<answer>x</answer",
        Some("not well-formed (invalid token): line 1, column 28"),
    ),
    (
        "<answer>x\n</answr>",
        Some("mismatched tag: line 2, column 2"),
    ),
    (
        "<answer>1</answer>\n<confidence>0.9</confidence>\n<tags><item>a</item><item>b</b></tags>",
        Some("mismatched tag: line 3, column 29"),
    ),
    ("```xml\n<answer>x</answer>\n```", None),
    (
        "<answer>x</answer> trailing & more",
        Some("not well-formed (invalid token): line 1, column 40"),
    ),
    ("<value><name>Bo</name><age>3</age></value>", None),
    ("<a b=\"1\" c='2' d = \"3\"/>", None),
    (
        "<a>café 中文 &copy; x</a>",
        Some("undefined entity: line 1, column 22"),
    ),
    (
        "<a>é\r\né\n<b>&</b></a>",
        Some("not well-formed (invalid token): line 3, column 4"),
    ),
    (
        "<a><b></b><c/></a><d>",
        Some("mismatched tag: line 1, column 34"),
    ),
    (
        "<answer>I think <b>x</b> is <1</answer>",
        Some("not well-formed (invalid token): line 1, column 40"),
    ),
];

#[test]
fn errors_as_python_reports_them() {
    let mut wrong = Vec::new();
    for (completion, want) in CASES {
        let got = error(&format!("<dspy_root>{completion}</dspy_root>"));
        if got.as_deref() != *want {
            wrong.push(format!("{completion:?}\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        CASES.len(),
        wrong.join("\n")
    );
}
