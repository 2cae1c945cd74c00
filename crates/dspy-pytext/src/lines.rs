//! Python's `str.splitlines()`, whose line boundaries are many more than Rust's `str::lines`.

use std::iter::FusedIterator;

/// Python's `str.splitlines()`: the lines of `text`, without their line breaks.
///
/// A line ends at `\n`, `\r\n`, `\r`, `\x0b`, `\x0c`, `\x1c`, `\x1d`, `\x1e`, `\u{85}`,
/// `\u{2028}` or `\u{2029}` (and at the end of the text). A break at the very end does not
/// start an empty last line, and empty text has no lines.
///
/// ```
/// let lines: Vec<&str> = dspy_pytext::splitlines("a\r\n\r\nb\u{85}c\u{2029}").collect();
/// assert_eq!(lines, ["a", "", "b", "c"]); // Python: ['a', '', 'b', 'c']
/// assert_eq!(dspy_pytext::splitlines("").count(), 0);
/// ```
pub fn splitlines(text: &str) -> SplitLines<'_> {
    SplitLines {
        inner: splitlines_with_breaks(text),
    }
}

/// Python's `str.splitlines()`, each line paired with the break that ended it (`""` for a last
/// line without one). `line` and `break` together are what `str.splitlines(keepends=True)`
/// yields, so the pieces concatenate back to `text`.
///
/// ```
/// let lines: Vec<(&str, &str)> = dspy_pytext::splitlines_with_breaks("a\r\nb\x0bc").collect();
/// assert_eq!(lines, [("a", "\r\n"), ("b", "\x0b"), ("c", "")]);
/// ```
pub fn splitlines_with_breaks(text: &str) -> SplitLinesWithBreaks<'_> {
    SplitLinesWithBreaks { rest: text }
}

/// Iterator returned by [`splitlines`]: each line without its line break.
#[derive(Debug, Clone)]
pub struct SplitLines<'a> {
    inner: SplitLinesWithBreaks<'a>,
}

impl<'a> Iterator for SplitLines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.inner.next().map(|(line, _)| line)
    }
}

impl FusedIterator for SplitLines<'_> {}

/// Iterator returned by [`splitlines_with_breaks`]: `(line, line_break)` pairs.
#[derive(Debug, Clone)]
pub struct SplitLinesWithBreaks<'a> {
    rest: &'a str,
}

impl<'a> Iterator for SplitLinesWithBreaks<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let text = self.rest;
        match find_line_break(text) {
            None => {
                self.rest = "";
                Some((text, ""))
            }
            Some((at, mut end)) => {
                if text.as_bytes()[at] == b'\r' && text.as_bytes().get(end) == Some(&b'\n') {
                    end += 1;
                }
                self.rest = &text[end..];
                Some((&text[..at], &text[at..end]))
            }
        }
    }
}

impl FusedIterator for SplitLinesWithBreaks<'_> {}

/// Byte range of the first line break in `text` (`\r\n` counts as `\r` here). Scans bytes:
/// every break is either an ASCII control byte or a UTF-8 sequence starting with `0xC2`
/// (`\u{85}`) or `0xE2` (`\u{2028}`, `\u{2029}`); in valid UTF-8 neither lead byte can be
/// part of another character, so a match is always a whole character.
fn find_line_break(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1e => return Some((i, i + 1)),
            0xc2 if bytes.get(i + 1) == Some(&0x85) => return Some((i, i + 2)),
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
            {
                return Some((i, i + 3))
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<&str> {
        splitlines(text).collect()
    }

    /// Every code point `c` for which CPython 3.11's `('a' + chr(c) + 'b').splitlines()` has
    /// two lines.
    const PYTHON_LINE_BREAKS: [u32; 10] =
        [0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029];

    #[test]
    fn line_breaks_match_python_on_every_char() {
        let mut text = String::new();
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            text.clear();
            text.push('a');
            text.push(c);
            text.push('b');
            let want = PYTHON_LINE_BREAKS.contains(&u32::from(c));
            assert_eq!(splitlines(&text).count(), if want { 2 } else { 1 }, "{c:?}");
        }
    }

    #[test]
    fn splits_like_python() {
        assert_eq!(lines(""), Vec::<&str>::new());
        assert_eq!(lines("a"), ["a"]);
        assert_eq!(lines("a\n"), ["a"]);
        assert_eq!(lines("a\n\n"), ["a", ""]);
        assert_eq!(lines("a\n\nb"), ["a", "", "b"]);
        assert_eq!(lines("a\r\nb\rc\n\rd"), ["a", "b", "c", "", "d"]);
        assert_eq!(
            lines("a\r\nb\rc\u{2028}d\x1ce\u{85}f"),
            ["a", "b", "c", "d", "e", "f"]
        );
        assert_eq!(
            lines("a\x0bb\x0cc\x1cd\x1de\x1ef\x1fg"),
            ["a", "b", "c", "d", "e", "f\x1fg"]
        );
        assert_eq!(
            lines("a\u{85}b\u{2028}c\u{2029}d\u{a0}e"),
            ["a", "b", "c", "d\u{a0}e"]
        );
        assert_eq!(lines("\r\r\n"), ["", ""]);
        assert_eq!(lines("\r\n\r\n"), ["", ""]);
        assert_eq!(lines("a\x1fb"), ["a\x1fb"]);
    }

    #[test]
    fn breaks_are_python_keepends() {
        // Python 3.11: 'a\r\n\r\nb\x85c\u2029'.splitlines(True)
        //   == ['a\r\n', '\r\n', 'b\x85', 'c\u2029']
        let text = "a\r\n\r\nb\u{85}c\u{2029}";
        let got: Vec<String> = splitlines_with_breaks(text)
            .map(|(line, line_break)| format!("{line}{line_break}"))
            .collect();
        assert_eq!(got, ["a\r\n", "\r\n", "b\u{85}", "c\u{2029}"]);
        assert_eq!(
            splitlines_with_breaks("x\n\ry").collect::<Vec<_>>(),
            [("x", "\n"), ("", "\r"), ("y", "")]
        );
    }
}
