//! Titles of model fields: whether a field gets one, and Python's `str.title()` of its name.

use super::normalize::flatten_union;
use crate::signature::types::FieldType;

/// Whether a model field of this type gets a title (models and enums bring their own).
pub(super) fn title_should_be_set(ty: &FieldType) -> bool {
    match ty {
        FieldType::Model(_) | FieldType::History | FieldType::Tool | FieldType::ToolCalls => false,
        FieldType::Enum(def) => def.members.is_empty(),
        FieldType::Union(members) => {
            let flat = flatten_union(members);
            let choices: Vec<&FieldType> = flat
                .into_iter()
                .filter(|m| !matches!(m, FieldType::None))
                .collect();
            match choices.as_slice() {
                [one] => title_should_be_set(one),
                _ => true,
            }
        }
        _ => true,
    }
}

/// A field's default title: Python's `name.title().replace('_', ' ').strip()`, e.g.
/// `team_name` → `Team Name`, `field1name` → `Field1Name`, `x_` → `X`.
pub(crate) fn title_from_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    let mut previous_is_cased = false;
    for (i, &c) in chars.iter().enumerate() {
        if previous_is_cased {
            if c == '\u{3A3}' {
                // Capital sigma at the end of a word lowers to the final form.
                let next_is_cased = chars.get(i + 1).is_some_and(|&n| is_cased(n));
                out.push(if next_is_cased { 'σ' } else { 'ς' });
            } else {
                out.extend(c.to_lowercase());
            }
        } else {
            push_titlecase(c, &mut out);
        }
        previous_is_cased = is_cased(c);
    }
    let spaced = out.replace('_', " ");
    dspy_pytext::strip(&spaced).to_string()
}

/// Unicode's `Cased` property (lowercase, uppercase or titlecase letters and the like).
fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase() || is_titlecase_letter(c)
}

/// The titlecase letters (general category `Lt`).
fn is_titlecase_letter(c: char) -> bool {
    matches!(c,
        '\u{1C5}' | '\u{1C8}' | '\u{1CB}' | '\u{1F2}'
        | '\u{1F88}'..='\u{1F8F}' | '\u{1F98}'..='\u{1F9F}' | '\u{1FA8}'..='\u{1FAF}'
        | '\u{1FBC}' | '\u{1FCC}' | '\u{1FFC}')
}

/// Appends the titlecase form of `c` (its uppercase form, except where Unicode's titlecase
/// mapping differs).
fn push_titlecase(c: char, out: &mut String) {
    let special: Option<&str> = match c {
        'ß' => Some("Ss"),
        '\u{1C4}'..='\u{1C6}' => Some("\u{1C5}"),
        '\u{1C7}'..='\u{1C9}' => Some("\u{1C8}"),
        '\u{1CA}'..='\u{1CC}' => Some("\u{1CB}"),
        '\u{1F1}'..='\u{1F3}' => Some("\u{1F2}"),
        '\u{587}' => Some("\u{535}\u{582}"),
        '\u{FB00}' => Some("Ff"),
        '\u{FB01}' => Some("Fi"),
        '\u{FB02}' => Some("Fl"),
        '\u{FB03}' => Some("Ffi"),
        '\u{FB04}' => Some("Ffl"),
        '\u{FB05}' | '\u{FB06}' => Some("St"),
        '\u{FB13}' => Some("\u{544}\u{576}"),
        '\u{FB14}' => Some("\u{544}\u{565}"),
        '\u{FB15}' => Some("\u{544}\u{56B}"),
        '\u{FB16}' => Some("\u{54E}\u{576}"),
        '\u{FB17}' => Some("\u{544}\u{56D}"),
        '\u{1FB2}' => Some("\u{1FBA}\u{345}"),
        '\u{1FB3}' | '\u{1FBC}' => Some("\u{1FBC}"),
        '\u{1FB4}' => Some("\u{386}\u{345}"),
        '\u{1FB7}' => Some("\u{391}\u{342}\u{345}"),
        '\u{1FC2}' => Some("\u{1FCA}\u{345}"),
        '\u{1FC3}' | '\u{1FCC}' => Some("\u{1FCC}"),
        '\u{1FC4}' => Some("\u{389}\u{345}"),
        '\u{1FC7}' => Some("\u{397}\u{342}\u{345}"),
        '\u{1FF2}' => Some("\u{1FFA}\u{345}"),
        '\u{1FF3}' | '\u{1FFC}' => Some("\u{1FFC}"),
        '\u{1FF4}' => Some("\u{38F}\u{345}"),
        '\u{1FF7}' => Some("\u{3A9}\u{342}\u{345}"),
        _ => None,
    };
    if let Some(s) = special {
        out.push_str(s);
        return;
    }
    let code = u32::from(c);
    // Georgian Mkhedruli letters are their own titlecase; Greek letters with a subscript
    // iota title-case to the letter with the iota adscript.
    let mapped = match code {
        0x10D0..=0x10FA | 0x10FD..=0x10FF => Some(c),
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => char::from_u32(code + 8),
        0x1F88..=0x1F8F | 0x1F98..=0x1F9F | 0x1FA8..=0x1FAF => Some(c),
        _ => None,
    };
    match mapped {
        Some(m) => out.push(m),
        None => out.extend(c.to_uppercase()),
    }
}
