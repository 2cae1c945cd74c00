//! Character classes (Python's `str` predicates) and small helpers on `char` slices.

use super::py_unicode;

/// Python's `str.isspace()` for one character.
pub(super) use dspy_pytext::is_space;

/// Python's `str.isalpha()` for one character.
pub(super) fn is_alpha(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        in_ranges(py_unicode::ALPHA, c)
    }
}

/// Python's `str.isalnum()` for one character.
pub(super) fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        is_alpha(c) || is_digit(c) || in_ranges(py_unicode::OTHER_NUMERIC, c)
    }
}

/// Python's `str.isdigit()` for one character.
pub(super) fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        in_ranges(py_unicode::DIGIT, c)
    }
}

/// Whether `c` lies in one of the sorted inclusive ranges `(first, last)`.
fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    let cp = u32::from(c);
    // The number of ranges starting at or before `cp`: `cp` can only be in the last of them.
    let n = ranges.partition_point(|&(first, _)| first <= cp);
    n > 0 && ranges.get(n - 1).is_some_and(|&(_, last)| cp <= last)
}

/// The quote characters json_repair accepts around strings.
pub(super) fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\'' | '\u{201c}' | '\u{201d}')
}

pub(super) fn is_quote_opt(c: Option<char>) -> bool {
    c.is_some_and(is_quote)
}

/// The closing quote for an opening one (only the left smart quote differs).
pub(super) fn matching_quote(c: char) -> char {
    if c == '\u{201c}' {
        '\u{201d}'
    } else {
        c
    }
}

pub(super) fn is_opener(c: char) -> bool {
    matches!(c, '[' | '{' | '(')
}

pub(super) fn closer_of(c: char) -> char {
    match c {
        '[' => ']',
        '{' => '}',
        _ => ')',
    }
}

/// `c in chars`, where `None` is never a member.
pub(super) fn one_of(c: Option<char>, chars: &[char]) -> bool {
    c.is_some_and(|c| chars.contains(&c))
}

/// Python's `str.strip()` family on a char slice.
pub(super) fn rstrip(v: &mut Vec<char>) {
    while v.last().is_some_and(|&c| is_space(c)) {
        v.pop();
    }
}

pub(super) fn lstrip(v: &[char]) -> &[char] {
    let start = v.iter().position(|&c| !is_space(c)).unwrap_or(v.len());
    v.get(start..).unwrap_or(&[])
}

pub(super) fn contains_seq(hay: &[char], needle: &[char]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Replaces every `\q` (backslash then `quote`) with `quote`, left to right.
pub(super) fn unescape_quote(v: &[char], quote: char) -> Vec<char> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while let Some(&c) = v.get(i) {
        if c == '\\' && v.get(i + 1) == Some(&quote) {
            out.push(quote);
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}
