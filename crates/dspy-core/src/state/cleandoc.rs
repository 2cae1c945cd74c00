//! Python's `inspect.cleandoc`, which DSPy applies to instructions it loads.

/// Python's `str.isspace` for one character: Unicode whitespace plus the separators
/// `\x1c`–`\x1f`.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.expandtabs()` (8-column stops; the column restarts after `\n` and `\r`).
fn expand_tabs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut column = 0usize;
    for c in text.chars() {
        match c {
            '\t' => {
                let spaces = 8 - column % 8;
                for _ in 0..spaces {
                    out.push(' ');
                }
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

/// `inspect.cleandoc(text)`: tabs expanded, the first line's leading whitespace and the other
/// lines' common indentation removed, leading and trailing empty lines dropped.
///
/// Indentation is counted in characters, as Python does.
pub(crate) fn cleandoc(text: &str) -> String {
    let expanded = expand_tabs(text);
    let mut lines: Vec<&str> = expanded.split('\n').collect();
    let margin = lines
        .iter()
        .skip(1)
        .filter_map(|line| {
            let content = line.trim_start_matches(is_py_space);
            (!content.is_empty()).then(|| line[..line.len() - content.len()].chars().count())
        })
        .min();
    if let Some(first) = lines.first_mut() {
        *first = first.trim_start_matches(is_py_space);
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
    use super::cleandoc;

    #[test]
    fn matches_python() {
        // Expected values from CPython 3.11 `inspect.cleandoc`.
        assert_eq!(
            cleandoc("  Hello.\n    World\n      more\n\n"),
            "Hello.\nWorld\n  more"
        );
        assert_eq!(cleandoc("\n\n  a\n  b\n"), "a\nb");
        assert_eq!(cleandoc("x\n\ty"), "x\ny");
        assert_eq!(cleandoc("x\n  \n   y"), "x\n\ny");
        assert_eq!(cleandoc("x\n \x0c y\n  z"), "x\n y\nz");
        assert_eq!(cleandoc(""), "");
        assert_eq!(cleandoc("   "), "");
        assert_eq!(cleandoc("a\r\n  b"), "a\r\nb");
    }
}
