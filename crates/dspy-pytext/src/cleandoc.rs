//! Python's `str.expandtabs()` and `inspect.cleandoc()`, which DSPy applies to docstrings
//! and to the instructions it loads.

use crate::space::lstrip;

/// Python's `str.expandtabs()` with the default tab size: each `\t` becomes the spaces up to
/// the next multiple of 8 columns. Columns count characters (code points) and restart after
/// `\n` and `\r` only.
///
/// ```
/// assert_eq!(dspy_pytext::expand_tabs("a\tb"), "a       b");
/// assert_eq!(dspy_pytext::expand_tabs("é\t|"), "é       |");
/// assert_eq!(dspy_pytext::expand_tabs("1234567\t|\r\t|"), "1234567 |\r        |");
/// ```
pub fn expand_tabs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut column = 0usize;
    for c in text.chars() {
        match c {
            '\t' => {
                let spaces = 8 - column % 8;
                out.extend(std::iter::repeat(' ').take(spaces));
                column += spaces;
            }
            '\n' | '\r' => {
                out.push(c);
                column = 0;
            }
            _ => {
                out.push(c);
                column += 1;
            }
        }
    }
    out
}

/// Python's `inspect.cleandoc(text)` (as in CPython 3.11): tabs expanded ([`expand_tabs`]),
/// the text split at `\n`, the first line's leading whitespace removed, the common
/// indentation of the other non-blank lines removed, and leading and trailing empty lines
/// dropped.
///
/// Whitespace is Python's ([`crate::is_space`]), and indentation is counted in characters,
/// as Python does. Only `\n` separates lines here: a `\r` before it stays on its line.
///
/// ```
/// let doc = "Summary.\n\n    Body\n\t  indented\n    ";
/// assert_eq!(dspy_pytext::cleandoc(doc), "Summary.\n\nBody\n      indented");
/// ```
pub fn cleandoc(text: &str) -> String {
    let expanded = expand_tabs(text);
    let mut lines: Vec<&str> = expanded.split('\n').collect();
    let margin = lines
        .iter()
        .skip(1)
        .filter_map(|line| {
            let content = lstrip(line);
            (!content.is_empty()).then(|| line[..line.len() - content.len()].chars().count())
        })
        .min();
    if let Some(first) = lines.first_mut() {
        *first = lstrip(first);
    }
    if let Some(margin) = margin {
        for line in lines.iter_mut().skip(1) {
            let cut = line
                .char_indices()
                .nth(margin)
                .map_or(line.len(), |(i, _)| i);
            *line = &line[cut..];
        }
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let start = lines.iter().take_while(|l| l.is_empty()).count();
    lines[start..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::{cleandoc, expand_tabs};

    #[test]
    fn cleandoc_matches_python() {
        // Expected values from CPython 3.11 `inspect.cleandoc`.
        for (doc, want) in [
            (
                "  Hello.\n    World\n      more\n\n",
                "Hello.\nWorld\n  more",
            ),
            ("\n\n  a\n  b\n", "a\nb"),
            ("x\n\ty", "x\ny"),
            ("x\n  \n   y", "x\n\ny"),
            ("x\n \x0c y\n  z", "x\n y\nz"),
            ("", ""),
            ("   ", ""),
            ("a\r\n  b", "a\r\nb"),
            (" Answer questions.", "Answer questions."),
            (
                " Line one.\n\n Line two.\n   Indented.",
                "Line one.\n\nLine two.\n  Indented.",
            ),
            ("\n\n  First.\n  Second.\n\n", "First.\nSecond."),
            ("\tTabbed\n\tline", "Tabbed\nline"),
            ("a\n  b\n \n    c", "a\nb\n\n  c"),
            ("a\n  b\n      \n", "a\nb\n    "),
            (
                "Summary.\n\n    Body\n\t  indented\n    ",
                "Summary.\n\nBody\n      indented",
            ),
            // Unicode whitespace counts, one column per character.
            ("\u{3000}x\n\u{3000}\u{3000}y\n\u{3000}z", "x\n\u{3000}y\nz"),
        ] {
            assert_eq!(cleandoc(doc), want, "{doc:?}");
        }
    }

    #[test]
    fn expand_tabs_matches_python() {
        // Expected values from CPython 3.11 `str.expandtabs()`.
        for (text, want) in [
            ("a\tb\tc", "a       b       c"),
            ("ab\r\tx\n1234567\t|", "ab\r        x\n1234567 |"),
            ("é\t|", "é       |"),
            ("\x0b\t|", "\x0b       |"),
            ("12345678\t|", "12345678        |"),
            ("", ""),
        ] {
            assert_eq!(expand_tabs(text), want, "{text:?}");
        }
    }
}
