//! `Literal['a', 'b', ...]` values: under a [`ChatFormat`](super::ChatFormat) a field whose type
//! is a `Literal` of strings takes exactly one of its members.
//!
//! DSPy compares a `Literal` answer with the members exactly, so `Finish` for
//! `Literal['search', 'finish']` fails to parse. While such a value is sampled, only tokens that
//! keep it (leading whitespace aside) a prefix of some member are allowed; a member followed
//! by whitespace only, or the end of the turn once the value is a member, ends it. A value that
//! is a member no longer member extends ends at once (see [`progress`]).

use dspy_adapters::signature::{parse_type, LiteralValue};
use dspy_adapters::FieldType;

use super::Progress;

/// The members of a `Literal[...]` type whose members are all non-empty strings, in order
/// (quotes as DSPy writes them: `'x'`, `"it's"`, `'a\'b'`). `None` for any other type,
/// including `Optional[Literal[...]]`, a `Literal` with a number, `True` or `None` among its
/// members, and a member that is the empty string.
pub fn literal_members(ty: &str) -> Option<Vec<String>> {
    if !ty.trim_start().starts_with("Literal[") {
        return None;
    }
    let FieldType::Literal(values) = parse_type(ty, &|_| None).ok()? else {
        return None;
    };
    let members: Vec<String> = values
        .into_iter()
        .map(|v| match v {
            LiteralValue::Str(s) if !s.is_empty() => Some(s),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (!members.is_empty()).then_some(members)
}

/// Where `value` (the text after the field's header) stands: leading ASCII whitespace aside,
/// a prefix of a member is [`Progress::Open`], unless it is a member no longer member extends;
/// that, or the longest member followed by whitespace only, is [`Progress::Done`].
pub(crate) fn progress(members: &[String], value: &[u8]) -> Progress {
    let lead = leading_whitespace(value);
    let text = &value[lead..];
    let extended = members
        .iter()
        .any(|m| m.len() > text.len() && m.as_bytes().starts_with(text));
    if extended {
        return Progress::Open;
    }
    members
        .iter()
        .map(String::as_bytes)
        .filter(|m| text.starts_with(m) && text[m.len()..].iter().all(u8::is_ascii_whitespace))
        .map(<[u8]>::len)
        .max()
        .map_or(Progress::Off, |len| Progress::Done { end: lead + len })
}

/// May `token` follow `value`? Leading ASCII whitespace aside, the value with the token must
/// be a prefix of a member, or a member followed by whitespace only, and the token must add a
/// byte past the leading whitespace (a value does not open with whitespace-only tokens).
pub(crate) fn token_fits(members: &[String], value: &[u8], token: &[u8]) -> bool {
    let lead = leading_whitespace(value);
    let (value, token) = if lead == value.len() {
        (&[][..], &token[leading_whitespace(token)..])
    } else {
        (&value[lead..], token)
    };
    if token.is_empty() {
        return false;
    }
    members.iter().map(String::as_bytes).any(|m| {
        let Some(rest) = m.strip_prefix(value) else {
            return false;
        };
        if token.len() <= rest.len() {
            rest.starts_with(token)
        } else {
            token.starts_with(rest) && token[rest.len()..].iter().all(u8::is_ascii_whitespace)
        }
    })
}

/// Masks `logits` to the tokens that may follow `value` ([`token_fits`]; `vocab[id]` is token
/// `id`'s bytes), and to the end of the turn (`stop_ids`) once the value is a member. Returns
/// `false` and leaves `logits` as they are when no allowed token has a finite logit.
pub(crate) fn mask_literal(
    members: &[String],
    value: &[u8],
    vocab: &[Vec<u8>],
    stop_ids: &[u32],
    logits: &mut [f32],
) -> bool {
    let text = &value[leading_whitespace(value)..];
    let complete = members.iter().any(|m| m.as_bytes() == text);
    let kept: Vec<(usize, f32)> = logits
        .iter()
        .enumerate()
        .filter(|&(id, _)| {
            if stop_ids.iter().any(|&s| s as usize == id) {
                complete
            } else {
                vocab.get(id).is_some_and(|t| token_fits(members, value, t))
            }
        })
        .map(|(id, &l)| (id, l))
        .collect();
    if !kept.iter().any(|(_, l)| l.is_finite()) {
        return false;
    }
    logits.fill(f32::NEG_INFINITY);
    for (id, l) in kept {
        logits[id] = l;
    }
    true
}

fn leading_whitespace(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_whitespace()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_string_members_with_python_quoting() {
        assert_eq!(
            literal_members("Literal['lookup', 'calculator', 'finish']"),
            Some(members(&["lookup", "calculator", "finish"]))
        );
        assert_eq!(
            literal_members(r#"Literal["it's", 'say "hi"', 'a\'b', 'x)', 'a, b', 'é']"#),
            Some(members(&["it's", "say \"hi\"", "a'b", "x)", "a, b", "é"]))
        );
        assert_eq!(
            literal_members(r"Literal['back\\slash', 'tab\t']"),
            Some(members(&["back\\slash", "tab\t"]))
        );
        for other in [
            "str",
            "Literal[1, 2]",
            "Literal['a', 1]",
            "Literal['a', None]",
            "Literal[True]",
            "Literal['']",
            "Literal[]",
            "Literal['a'",
            "Literal['a]",
            "Optional[Literal['a', 'b']]",
            "list[Literal['a']]",
            "Literal['a'] | None",
        ] {
            assert_eq!(literal_members(other), None, "{other}");
        }
    }

    #[test]
    fn a_value_is_open_until_it_is_a_member_no_longer_member_extends() {
        let m = members(&["lookup", "look", "finish"]);
        assert_eq!(progress(&m, b""), Progress::Open);
        assert_eq!(progress(&m, b" \n"), Progress::Open);
        assert_eq!(progress(&m, b"fin"), Progress::Open);
        // `look` is a member, but `lookup` extends it.
        assert_eq!(progress(&m, b"look"), Progress::Open);
        assert_eq!(progress(&m, b"look\n"), Progress::Done { end: 4 });
        assert_eq!(progress(&m, b"lookup"), Progress::Done { end: 6 });
        assert_eq!(progress(&m, b" finish"), Progress::Done { end: 7 });
        assert_eq!(progress(&m, b"finish \n"), Progress::Done { end: 6 });
        for off in [&b"Finish"[..], b"finished", b"finish.", b"look up", b"{"] {
            assert_eq!(progress(&m, off), Progress::Off, "{off:?}");
        }
    }

    #[test]
    fn tokens_must_keep_the_value_on_the_way_to_a_member() {
        let m = members(&["lookup", "calculator", "finish"]);
        let fits = |value: &str, token: &str| token_fits(&m, value.as_bytes(), token.as_bytes());
        assert!(fits("", "fin"));
        assert!(fits("", " finish"));
        assert!(fits("\n", "finish\n"));
        assert!(fits("fin", "ish"));
        assert!(fits("fin", "ish\n\n"));
        assert!(fits("calc", "ulator"));
        assert!(!fits("", "Finish"));
        assert!(!fits("", " "));
        assert!(!fits("", "\n"));
        assert!(!fits("", ""));
        assert!(!fits("fin", ""));
        assert!(!fits("fin", " ish"));
        assert!(!fits("fin", "ishing"));
        assert!(!fits("finish", "!"));
        assert!(!fits("", "{"));
        // Spaces inside a member are its own.
        let m = members(&["New York", "Paris"]);
        assert!(token_fits(&m, b"New", b" York"));
        assert!(!token_fits(&m, b"New", b" Jersey"));
        // A member's bytes may be split inside a character.
        let m = members(&["café"]);
        assert!(token_fits(&m, b"caf", &[0xC3]));
        assert!(token_fits(&m, &[b'c', b'a', b'f', 0xC3], &[0xA9]));
        assert!(!token_fits(&m, b"caf", &[0xC4]));
    }

    /// A small vocabulary: ids 0..=8, id 9 is the end of the turn (no bytes).
    const VOCAB: [&str; 9] = [
        "Finish", "f", "fin", "ish", " finish", "\n", "look", "up", "{",
    ];
    const EOS: u32 = 9;

    fn vocab() -> Vec<Vec<u8>> {
        VOCAB.iter().map(|t| t.as_bytes().to_vec()).collect()
    }

    /// The ids left finite after masking uniform logits, or `None` if the mask was not applied.
    fn allowed(m: &[String], value: &str) -> Option<Vec<usize>> {
        let mut logits = vec![0.0f32; VOCAB.len() + 1];
        mask_literal(m, value.as_bytes(), &vocab(), &[EOS], &mut logits).then(|| {
            (0..logits.len())
                .filter(|&i| logits[i].is_finite())
                .collect()
        })
    }

    #[test]
    fn the_mask_keeps_only_tokens_toward_a_member() {
        let m = members(&["finish", "look", "lookup"]);
        // `f`, `fin`, ` finish`, `look`.
        assert_eq!(allowed(&m, ""), Some(vec![1, 2, 4, 6]));
        assert_eq!(allowed(&m, "fin"), Some(vec![3]));
        // `look` is a member: `up` extends it, a newline or the end of the turn ends it.
        assert_eq!(allowed(&m, "look"), Some(vec![5, 7, 9]));
        // Logits kept are the model's own.
        let mut logits: Vec<f32> = (0..10).map(|i| i as f32).collect();
        assert!(mask_literal(&m, b"fin", &vocab(), &[EOS], &mut logits));
        assert_eq!(logits[3], 3.0);
        assert_eq!(logits[0], f32::NEG_INFINITY);
    }

    #[test]
    fn without_an_allowed_token_the_logits_are_left_alone() {
        // No token spells `zebra`.
        let m = members(&["zebra"]);
        assert_eq!(allowed(&m, ""), None);
        // Allowed tokens whose logits are already impossible do not count.
        let m = members(&["finish"]);
        let mut logits = vec![0.0f32; 10];
        for id in [1, 2, 4] {
            logits[id] = f32::NEG_INFINITY;
        }
        let before = logits.clone();
        assert!(!mask_literal(&m, b"", &vocab(), &[EOS], &mut logits));
        assert_eq!(logits, before);
        // Logits longer or shorter than the vocabulary do not panic.
        let mut short = vec![0.0f32; 3];
        assert!(mask_literal(&m, b"", &vocab(), &[EOS], &mut short));
        assert_eq!(short[0], f32::NEG_INFINITY);
        let mut long = vec![0.0f32; 40];
        assert!(mask_literal(&m, b"", &vocab(), &[EOS, 99], &mut long));
        assert!(long[20..].iter().all(|l| *l == f32::NEG_INFINITY));
    }
}
