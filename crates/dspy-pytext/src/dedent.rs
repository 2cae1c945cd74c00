//! Python's `textwrap.dedent`.

use std::borrow::Cow;

/// Python's `textwrap.dedent`: lines of only spaces and tabs are emptied, then the longest run
/// of spaces and tabs common to the start of every other line is removed. Lines are `\n`-separated.
///
/// ```
/// assert_eq!(dspy_pytext::dedent("  a\n    b\n  c"), "a\n  b\nc");
/// ```
pub fn dedent(text: &str) -> Cow<'_, str> {
    let is_blank = |line: &str| !line.is_empty() && line.bytes().all(|b| b == b' ' || b == b'\t');
    let mut margin: Option<&str> = None;
    for line in text.split('\n') {
        if line.is_empty() || is_blank(line) {
            continue;
        }
        let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        margin = Some(match margin {
            None => indent,
            Some(m) => {
                let common = m
                    .bytes()
                    .zip(indent.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                &m[..common]
            }
        });
    }
    let margin = margin.unwrap_or("");
    if margin.is_empty() && !text.split('\n').any(is_blank) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !is_blank(line) {
            out.push_str(line.strip_prefix(margin).unwrap_or(line));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedent_like_python() {
        assert_eq!(dedent("  a\n    b\n  c"), "a\n  b\nc");
        assert_eq!(dedent("a\n  b"), "a\n  b");
        assert_eq!(dedent("  a\n   \n  b"), "a\n\nb");
        assert_eq!(dedent("x\n \t \ny"), "x\n\ny");
        assert_eq!(dedent("\t a\n\t b"), "a\nb");
        assert_eq!(dedent("\ta\n  b"), "\ta\n  b");
        // `\r` is not a line end for dedent, and not blank.
        assert_eq!(dedent("  a\r  b\n  c"), "a\r  b\nc");
        assert_eq!(dedent("  \r\n  x"), "\r\nx");
        assert!(matches!(dedent("plain"), Cow::Borrowed(_)));
    }
}
