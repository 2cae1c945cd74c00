//! Python's whitespace: `str.isspace()` and the `str.strip()` family.

/// Python's `str.isspace()` for one character.
///
/// Rust's [`char::is_whitespace`] (Unicode `White_Space`) plus the ASCII information
/// separators `\x1c`..`\x1f`, which Python counts as whitespace (bidirectional class `B`/`S`).
/// Zero-width characters such as `\u{200b}` are not whitespace in either language.
///
/// ```
/// use dspy_pytext::is_space;
/// assert!(is_space(' ') && is_space('\x1f') && is_space('\u{3000}'));
/// assert!(!'\x1f'.is_whitespace());
/// assert!(!is_space('\u{200b}'));
/// ```
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.strip()` with no arguments: `s` without leading and trailing [`is_space`]
/// characters.
///
/// ```
/// assert_eq!(dspy_pytext::strip(" \x1c\u{a0}a b\x1f\n"), "a b");
/// ```
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Python's `str.lstrip()` with no arguments: `s` without leading [`is_space`] characters.
///
/// ```
/// assert_eq!(dspy_pytext::lstrip("\t a\x1f "), "a\x1f ");
/// ```
pub fn lstrip(s: &str) -> &str {
    s.trim_start_matches(is_space)
}

/// Python's `str.rstrip()` with no arguments: `s` without trailing [`is_space`] characters.
///
/// ```
/// assert_eq!(dspy_pytext::rstrip("\t a\x1f\u{3000}"), "\t a");
/// ```
pub fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// [`strip`] in place: `*s = s.strip()` without a new allocation.
///
/// ```
/// let mut s = String::from("\n\n x \n");
/// dspy_pytext::strip_in_place(&mut s);
/// assert_eq!(s, "x");
/// ```
pub fn strip_in_place(s: &mut String) {
    let end = rstrip(s).len();
    s.truncate(end);
    let start = s.len() - lstrip(s).len();
    if start > 0 {
        s.drain(..start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code point for which CPython 3.11's `chr(c).isspace()` is true.
    const PYTHON_SPACES: [u32; 29] = [
        0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
        0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029,
        0x202f, 0x205f, 0x3000,
    ];

    #[test]
    fn is_space_matches_python_on_every_char() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            assert_eq!(
                is_space(c),
                PYTHON_SPACES.contains(&u32::from(c)),
                "{:#x}",
                u32::from(c)
            );
        }
    }

    #[test]
    fn strips_like_python() {
        assert_eq!(strip(" \x1c\u{3000}a b\x1f\u{a0}\n"), "a b");
        assert_eq!(strip("\x1c\u{85} a \u{3000}\x1f"), "a");
        assert_eq!(strip("\u{200b}a"), "\u{200b}a");
        assert_eq!(strip("   "), "");
        assert_eq!(strip(""), "");
        // Python 3.11: '\t a\x1f\u3000'.lstrip() == 'a\x1f\u3000';
        // '\t a\x1f\u3000 '.rstrip() == '\t a'.
        assert_eq!(lstrip("\t a\x1f\u{3000}"), "a\x1f\u{3000}");
        assert_eq!(rstrip("\t a\x1f\u{3000} "), "\t a");
    }

    #[test]
    fn strips_in_place_like_python() {
        for text in [
            "\n\n x \n",
            "",
            "  ",
            "a",
            "\u{3000}é\x1f",
            "\x1c\u{85} a b \u{3000}\x1f",
        ] {
            let mut s = String::from(text);
            strip_in_place(&mut s);
            assert_eq!(s, strip(text), "{text:?}");
        }
    }
}
