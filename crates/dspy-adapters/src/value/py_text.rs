//! Python's `str.strip()`, `str.isspace()` and `str.splitlines()`, whose notions of whitespace
//! and of a line boundary differ from Rust's.

/// Python's `str.isspace()` for one character: Rust's `White_Space` plus the ASCII
/// information separators `\x1c`..`\x1f`.
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.strip()` with no arguments.
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Python's `str.splitlines()`: the lines of `text` without their line breaks. A break at
/// the very end does not start an empty last line, and empty text has no lines.
pub(crate) fn split_lines(text: &str) -> SplitLines<'_> {
    SplitLines { rest: text }
}

/// Iterator returned by [`split_lines`]. Each item is `(line, break)` where `break` is the
/// line break that ended the line (`""` for a last line without one).
#[derive(Debug, Clone)]
pub(crate) struct SplitLines<'a> {
    rest: &'a str,
}

impl<'a> Iterator for SplitLines<'a> {
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

/// Byte range of the first line break in `text`. Scans bytes: every break is either an ASCII
/// control byte or a UTF-8 sequence starting with `0xC2` (`\u{85}`) or `0xE2` (`\u{2028}`,
/// `\u{2029}`).
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
        split_lines(text).map(|(line, _)| line).collect()
    }

    #[test]
    fn splits_like_python() {
        assert_eq!(lines(""), Vec::<&str>::new());
        assert_eq!(lines("a"), ["a"]);
        assert_eq!(lines("a\n"), ["a"]);
        assert_eq!(lines("a\n\n"), ["a", ""]);
        assert_eq!(
            lines("a\r\nb\rc\u{2028}d\x1ce\u{85}f"),
            ["a", "b", "c", "d", "e", "f"]
        );
        assert_eq!(lines("\r\r\n"), ["", ""]);
        assert_eq!(lines("a\x1fb"), ["a\x1fb"]);
    }

    #[test]
    fn strips_like_python() {
        assert_eq!(py_strip(" \x1c\u{3000}a b\x1f\u{a0}\n"), "a b");
        assert_eq!(py_strip("\u{200b}a"), "\u{200b}a");
        assert_eq!(py_strip("   "), "");
    }
}
