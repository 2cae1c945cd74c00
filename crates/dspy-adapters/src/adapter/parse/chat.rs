//! `ChatAdapter.parse`: `[[ ## field ## ]]` sections.
//!
//! The completion is split into lines (Python's `splitlines`). A line whose stripped form
//! *starts with* `[[ ## name ## ]]` (`name` made of word characters) opens a section; the rest
//! of that line is its first content, taken from the *unstripped* line at the marker's end
//! offset in the stripped one (so an indented header leaks the tail of its marker, as in DSPy).
//! Other lines belong to the open section; text before the first header is dropped. A section's
//! value is its lines joined with `\n` and stripped. The first section of each output field
//! wins; sections of other names (`completed`, unknown fields) are ignored.

use std::borrow::Cow;

use dspy_pytext::{lstrip, splitlines, splitlines_with_breaks, strip};
use serde_json::Value;

use super::{error, finish};
use crate::adapter::{AdapterKind, Values};
use crate::value::parse_value;
use crate::{ParseError, ParseErrorKind, SignatureSpec};

/// Parses a `ChatAdapter` completion into `spec`'s outputs.
pub(crate) fn parse_chat(spec: &SignatureSpec, completion: &str) -> Result<Values, ParseError> {
    let outputs = spec.outputs();
    let mut found: Vec<Option<Value>> = vec![None; outputs.len()];
    let mut open: Option<Section<'_>> = None;
    let mut pos = 0;
    let mut prev_break = "";
    for (line, line_break) in splitlines_with_breaks(completion) {
        let start = pos;
        pos += line.len() + line_break.len();
        if let Some((name, first)) = header(line) {
            if let Some(section) = open.take() {
                take_section(spec, completion, section, &mut found)?;
            }
            open = Some(Section {
                name,
                first,
                body: None,
                lf_only: true,
            });
        } else if let Some(section) = open.as_mut() {
            match &mut section.body {
                None => section.body = Some((start, start + line.len())),
                Some((_, end)) => {
                    *end = start + line.len();
                    section.lf_only &= prev_break == "\n";
                }
            }
        }
        prev_break = line_break;
    }
    if let Some(section) = open {
        take_section(spec, completion, section, &mut found)?;
    }
    finish(AdapterKind::Chat, spec, completion, found)
}

/// An open `[[ ## name ## ]]` section.
struct Section<'a> {
    name: &'a str,
    /// Stripped text after the header on its own line (may be empty).
    first: &'a str,
    /// Byte range of the section's later lines in the completion.
    body: Option<(usize, usize)>,
    /// True when every line break inside `body` is `\n`, so the range is already the lines
    /// joined with `\n`.
    lf_only: bool,
}

/// Parses a closed section into `found` if it is the first section of an output field.
fn take_section(
    spec: &SignatureSpec,
    completion: &str,
    section: Section<'_>,
    found: &mut [Option<Value>],
) -> Result<(), ParseError> {
    let Some(index) = spec.outputs().iter().position(|f| f.name == section.name) else {
        return Ok(());
    };
    if found[index].is_some() {
        return Ok(());
    }
    let body: Option<Cow<'_, str>> = section.body.map(|(start, end)| {
        let raw = &completion[start..end];
        if section.lf_only {
            Cow::Borrowed(raw)
        } else {
            Cow::Owned(splitlines(raw).collect::<Vec<_>>().join("\n"))
        }
    });
    let joined: Cow<'_, str> = match (section.first, body) {
        (first, None) => Cow::Borrowed(first),
        ("", Some(body)) => body,
        (first, Some(body)) => Cow::Owned(format!("{first}\n{body}")),
    };
    let text = strip(&joined);
    let field = &spec.outputs()[index];
    match parse_value(text, &field.ty) {
        Ok(value) => {
            found[index] = Some(value);
            Ok(())
        }
        Err(e) => Err(error(
            AdapterKind::Chat,
            spec,
            completion,
            ParseErrorKind::FieldValue {
                field: field.name.clone(),
                value: text.to_owned(),
                reason: e.to_string().into(),
                field_spec: None,
            },
        )),
    }
}

/// `\w` in a Python `str` regex: a letter, digit or underscore in any script.
fn is_word(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// If `line` is a section header, its field name and the stripped text after the marker.
fn header(line: &str) -> Option<(&str, &str)> {
    // Fast rejection of ordinary text: a header starts with `[` or with whitespace.
    match line.as_bytes().first() {
        Some(b'[' | b' ' | b'\t' | 0x0b | 0x0c | 0x1c..=0x1f | 0x80..) => {}
        _ => return None,
    }
    let indented = lstrip(line);
    let after = indented.strip_prefix("[[ ## ")?;
    let name_len = after.find(|c: char| !is_word(c)).unwrap_or(after.len());
    if name_len == 0 {
        return None;
    }
    let (name, tail) = after.split_at(name_len);
    tail.strip_prefix(" ## ]]")?;
    let marker_bytes = "[[ ## ".len() + name_len + " ## ]]".len();
    let rest = if indented.len() == line.len() {
        &line[marker_bytes..]
    } else {
        // DSPy slices the unstripped line at the marker's end offset in the stripped line
        // (counted in characters).
        let marker_chars = 12 + name.chars().count();
        line.char_indices()
            .nth(marker_chars)
            .map_or("", |(i, _)| &line[i..])
    };
    Some((name, strip(rest)))
}

#[cfg(test)]
mod tests {
    use super::header;

    #[test]
    fn headers() {
        assert_eq!(header("[[ ## answer ## ]]"), Some(("answer", "")));
        assert_eq!(
            header("[[ ## answer ## ]]  Paris "),
            Some(("answer", "Paris"))
        );
        assert_eq!(header("[[ ## answer ## ]]]"), Some(("answer", "]")));
        assert_eq!(header("  [[ ## answer ## ]]"), Some(("answer", "]]")));
        assert_eq!(header("\u{3000}[[ ## é ## ]]x"), Some(("é", "]x")));
        assert_eq!(header("[[## answer ##]]"), None);
        assert_eq!(header("[[ ##  ## ]]"), None);
        assert_eq!(header("[[ ## a b ## ]]"), None);
        assert_eq!(header("[[ ## answer ## ]"), None);
        assert_eq!(header("x [[ ## answer ## ]]"), None);
        assert_eq!(header(""), None);
    }
}
