//! Constrained DSPy chat format: keeps a small model's completion inside DSPy's field structure.
//!
//! DSPy's Chat adapter asks for `[[ ## field ## ]]` sections, one per output field, ending with
//! `[[ ## completed ## ]]`. Small models often copy the `{field}` placeholder from the system
//! message, misspell headers (`[[## answer ## ]]`), repeat a section, or stop early. Under a
//! [`ChatFormat`] the engine:
//!
//! - starts the completion with the first output field's header;
//! - at the start of every value forbids the end of the turn, and at the start of a plain value
//!   (`str`, `int`, `float`, `bool`, `Literal[...]`) also tokens opening with `{` or `[` (a
//!   copied placeholder or header);
//! - keeps the value of a `Literal[...]` of strings to exactly one member (see [`literal`]):
//!   only tokens on the way to a member are sampled, and a whole member ends the value;
//! - when the model starts a header of its own (`[[` and then `##` anywhere in a value, or a line
//!   opening with `[` and then `#`) or ends its turn, replaces that with the next field's
//!   header, or after the last field with `[[ ## completed ## ]]`, and ends the completion there;
//! - keeps enough of `max_tokens` for the headers still to come: a value that would eat into it
//!   is cut there (the completion then reports `length` as its finish reason).
//!
//! The messages stay byte-identical to DSPy's; only the completion is steered.

use dspy_adapters::{Message, Role};

mod literal;

pub use literal::literal_members;
use literal::Progress;

/// The marker that ends a DSPy chat-format completion.
pub const COMPLETED_MARKER: &str = "[[ ## completed ## ]]";

/// One output field the completion must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputField {
    /// The field's name.
    pub name: String,
    /// A plain value (`str`, numbers, `bool`, `Literal`), which never opens with `{` or `[`.
    pub plain: bool,
    /// For a `Literal[...]` of strings, its members: the value must be exactly one of them
    /// (see [`literal_members`]).
    pub literal: Option<Vec<String>>,
}

/// The output fields of one DSPy chat-format request, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatFormat {
    /// The fields, in the order the completion must give them.
    pub fields: Vec<OutputField>,
}

impl ChatFormat {
    /// Reads the output fields from a DSPy Chat adapter request: the system message's
    /// "Your output fields are:" list, whose first field the last user message's "starting with
    /// the field `[[ ## name ## ]]`" reminder names. `None` for anything else (JSON and XML
    /// adapter requests list their fields too, but ask for another format).
    pub fn from_messages(messages: &[Message]) -> Option<ChatFormat> {
        let first = first_output_field(messages)?;
        let fields = output_fields(&messages.iter().find(|m| m.role == Role::System)?.content);
        (fields.first()?.name == first).then_some(ChatFormat { fields })
    }

    /// The header line that opens field `i`, newline included.
    pub fn header(&self, i: usize) -> String {
        format!("[[ ## {} ## ]]\n", self.fields[i].name)
    }
}

/// The first output field named by the last user message's "starting with the field
/// `[[ ## name ## ]]`" reminder.
pub fn first_output_field(messages: &[Message]) -> Option<String> {
    const CUE: &str = "starting with the field `[[ ## ";
    let last_user = messages.iter().rev().find(|m| m.role == Role::User)?;
    let at = last_user.content.rfind(CUE)? + CUE.len();
    let rest = &last_user.content[at..];
    let end = rest.find(" ## ]]`")?;
    let name = &rest[..end];
    (!name.is_empty() && !name.contains('\n')).then(|| name.to_string())
}

/// The `N. \`name\` (type)` lines under "Your output fields are:".
fn output_fields(system: &str) -> Vec<OutputField> {
    let Some(at) = system.find("Your output fields are:\n") else {
        return Vec::new();
    };
    let mut fields = Vec::new();
    for line in system[at..].lines().skip(1) {
        if line.starts_with("All interactions will be structured") {
            break;
        }
        let Some(rest) = line
            .split_once(". `")
            .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .map(|(_, rest)| rest)
        else {
            continue; // a description's continuation line
        };
        let Some((name, rest)) = rest.split_once("` (") else {
            continue;
        };
        let ty = type_text(rest);
        let plain = matches!(ty, "str" | "int" | "float" | "bool") || ty.starts_with("Literal[");
        fields.push(OutputField {
            name: name.to_string(),
            plain,
            literal: literal_members(ty),
        });
    }
    fields
}

/// The type text before the `)` that closes it (brackets and quotes inside are skipped, so
/// `dict[str, list[int]]` and `Literal['a)']` come out whole and a description's own
/// parentheses are not read as part of the type).
fn type_text(rest: &str) -> &str {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            (None, ')') if depth == 0 => return &rest[..i],
            (None, ')') => depth -= 1,
            _ => {}
        }
    }
    rest
}

/// What the engine does after a token under a [`ChatFormat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Keep sampling.
    Continue,
    /// Cut the text to `keep` bytes, append `text` and keep sampling (the next field's header).
    Rewrite { keep: usize, text: String },
    /// Cut the text to `keep` bytes, append `text` (the completed marker) and stop.
    Finish { keep: usize, text: String },
}

/// Where a completion is in its [`ChatFormat`].
#[derive(Debug)]
pub(crate) struct FormatState<'f> {
    format: &'f ChatFormat,
    field: usize,
    /// Byte offset where the current field's value starts.
    value_start: usize,
    /// Where to look for a header next (a `[` or `[[` not yet decided stays in view).
    scan_from: usize,
}

impl<'f> FormatState<'f> {
    /// A completion whose text so far is the first field's header (`value_start` bytes).
    pub(crate) fn new(format: &'f ChatFormat, value_start: usize) -> FormatState<'f> {
        FormatState {
            format,
            field: 0,
            value_start,
            scan_from: value_start,
        }
    }

    /// The current value starts at `at` (after the engine wrote the next header).
    pub(crate) fn set_value_start(&mut self, at: usize) {
        self.value_start = at;
        self.scan_from = at;
    }

    /// Is the value so far empty or whitespace? Then the value's opening is constrained.
    pub(crate) fn at_value_start(&self, text: &[u8]) -> bool {
        text.get(self.value_start..)
            .is_some_and(|v| v.iter().all(u8::is_ascii_whitespace))
    }

    /// Does the current field take plain values (no `{` or `[` opening)?
    pub(crate) fn plain_value(&self) -> bool {
        self.format.fields[self.field].plain
    }

    /// The members the current value must be one of (a `Literal[...]` of strings).
    pub(crate) fn literal(&self) -> Option<&[String]> {
        self.format.fields[self.field].literal.as_deref()
    }

    /// The current value so far (`text` is the whole completion).
    pub(crate) fn value<'t>(&self, text: &'t [u8]) -> &'t [u8] {
        text.get(self.value_start..).unwrap_or_default()
    }

    /// Masks `logits` so a `Literal` value stays on the way to one of its members (`vocab[id]`
    /// is token `id`'s bytes; `stop_ids` end the turn). Returns `false`, with `logits` as they
    /// were, for other values and when no token could continue the value.
    pub(crate) fn mask_literal(
        &self,
        text: &[u8],
        vocab: &[Vec<u8>],
        stop_ids: &[u32],
        logits: &mut [f32],
    ) -> bool {
        self.literal().is_some_and(|members| {
            literal::mask_literal(members, self.value(text), vocab, stop_ids, logits)
        })
    }

    /// After a token was appended (`text` is the whole completion): a `Literal` value that is
    /// a whole member (and not the start of a longer one) ends there. Otherwise `[[` and then
    /// `##` (after optional spaces) anywhere in the value, or a line opening with `[` and then
    /// `#`, is the model starting a header of its own (`Paris [[ ## completed ## ]]`,
    /// `[[## answer ## ]]`, `[## answer ## ]`), which ends the current value. `[[1, 2]]` and
    /// `see [#3]` are values; a `[` with nothing after it yet is decided by the next tokens.
    pub(crate) fn after_token(&mut self, text: &[u8]) -> Step {
        if let Some(members) = self.literal() {
            match literal::progress(members, self.value(text)) {
                Progress::Open => return Step::Continue,
                Progress::Done { end } => return self.end_value(text, self.value_start + end),
                // The constraint was lifted: the value ends as any other.
                Progress::Off => {}
            }
        }
        let from = self.scan_from.max(self.value_start).min(text.len());
        let mut undecided = None;
        for start in from..text.len() {
            if text[start] != b'[' {
                continue;
            }
            let line_start = start == self.value_start || text[start - 1] == b'\n';
            let rest = &text[start + 1..];
            let (double, rest) = match rest.strip_prefix(b"[") {
                Some(rest) => (true, rest),
                None => (false, rest),
            };
            if !line_start && !double && !rest.is_empty() {
                continue; // a lone `[` inside a line
            }
            // Inside a line only DSPy's own `[[ ##` counts (`see [[#Setup]]` is a wiki link).
            let after = rest.iter().position(|b| *b != b' ').map(|i| &rest[i..]);
            match after {
                Some([b'#', ..]) if line_start => return self.end_value(text, start),
                Some([b'#', b'#', ..]) => return self.end_value(text, start),
                Some([b'#']) | None => {
                    undecided = Some(start);
                    break;
                }
                Some(_) => {}
            }
        }
        self.scan_from = undecided.unwrap_or(text.len());
        Step::Continue
    }

    /// The model ended its turn: close the current value there.
    pub(crate) fn at_end_of_turn(&mut self, text: &[u8]) -> Step {
        self.end_value(text, text.len())
    }

    /// Tokens to keep free for the rest of the structure: the later fields' headers with a
    /// short value each, and the completed marker.
    pub(crate) fn reserve(&self) -> usize {
        // `\n\n[[ ## name ## ]]\n` is about 8 tokens plus the name's; a short value 6 more.
        const HEADER: usize = 8;
        const SHORT_VALUE: usize = 6;
        const MARKER: usize = 10;
        let later = &self.format.fields[self.field + 1..];
        later
            .iter()
            .map(|f| HEADER + f.name.len().div_ceil(3) + SHORT_VALUE)
            .sum::<usize>()
            + MARKER
    }

    /// Ends the current value at byte `at`: the next header, or the completed marker.
    /// After a `Rewrite` the engine reports where the new value starts
    /// ([`set_value_start`](FormatState::set_value_start)).
    pub(crate) fn end_value(&mut self, text: &[u8], at: usize) -> Step {
        let start = self.value_start.min(at);
        let keep = start
            + text
                .get(start..at)
                .unwrap_or_default()
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(0, |i| i + 1);
        if self.field + 1 < self.format.fields.len() {
            self.field += 1;
            let text = format!("\n\n{}", self.format.header(self.field));
            self.set_value_start(keep + text.len());
            Step::Rewrite { keep, text }
        } else {
            Step::Finish {
                keep,
                text: format!("\n\n{COMPLETED_MARKER}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSTEM: &str = "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `reasoning` (str): why (in one line)\n2. `answer` (int): a number\n   on two lines\n3. `facts` (list[list[str]]):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}";
    const USER: &str = "[[ ## question ## ]]\nhi\n\nRespond with the corresponding output fields, starting with the field `[[ ## reasoning ## ]]`, then `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`.";

    fn format() -> ChatFormat {
        ChatFormat::from_messages(&[Message::system(SYSTEM), Message::user(USER)]).expect("format")
    }

    #[test]
    fn reads_the_output_fields_and_their_kinds() {
        let f = format();
        let names: Vec<_> = f
            .fields
            .iter()
            .map(|x| (x.name.as_str(), x.plain))
            .collect();
        assert_eq!(
            names,
            [("reasoning", true), ("answer", true), ("facts", false)]
        );
        assert_eq!(
            type_text("Literal['a)', 'b']): x (y)"),
            "Literal['a)', 'b']"
        );
        assert_eq!(
            type_text("dict[str, list[int]]): d"),
            "dict[str, list[int]]"
        );
    }

    #[test]
    fn only_chat_adapter_requests_are_constrained() {
        assert!(ChatFormat::from_messages(&[Message::user("hi")]).is_none());
        // No system message listing the fields.
        assert!(ChatFormat::from_messages(&[Message::user(USER)]).is_none());
        // The JSON and XML adapters list the fields but ask for their own format.
        let json = "[[ ## question ## ]]\nhi\n\nRespond with a JSON object in the following order of fields: `reasoning`, then `answer`.";
        assert!(
            ChatFormat::from_messages(&[Message::system(SYSTEM), Message::user(json)]).is_none()
        );
        // A reminder naming another first field than the list.
        let other = USER.replace(
            "`[[ ## reasoning ## ]]`, then",
            "`[[ ## answer ## ]]`, then",
        );
        assert!(
            ChatFormat::from_messages(&[Message::system(SYSTEM), Message::user(other)]).is_none()
        );
    }

    /// Appends `piece` and runs the guard on it.
    fn push(state: &mut FormatState<'_>, text: &mut Vec<u8>, piece: &str) -> Step {
        text.extend_from_slice(piece.as_bytes());
        state.after_token(text)
    }

    #[test]
    fn a_header_of_the_models_own_becomes_the_next_expected_header() {
        let f = format();
        let mut text = f.header(0).into_bytes();
        let mut state = FormatState::new(&f, text.len());
        assert!(state.at_value_start(&text));
        assert_eq!(
            push(&mut state, &mut text, "It is simple.\n"),
            Step::Continue
        );
        assert!(!state.at_value_start(&text));
        // `[[` then, a token later, `#`: a header of the model's own.
        assert_eq!(push(&mut state, &mut text, "[["), Step::Continue);
        let keep = f.header(0).len() + "It is simple.".len();
        assert_eq!(
            push(&mut state, &mut text, "## answer"),
            Step::Rewrite {
                keep,
                text: "\n\n[[ ## answer ## ]]\n".into()
            }
        );
        text.truncate(keep);
        text.extend_from_slice(b"\n\n[[ ## answer ## ]]\n");
        state.set_value_start(text.len());
        // `[[` inside a line is part of the value.
        assert_eq!(push(&mut state, &mut text, "42 [[x]]"), Step::Continue);
        text.extend_from_slice(b"\n");
        assert_eq!(
            state.at_end_of_turn(&text),
            Step::Rewrite {
                keep: text.len() - 1,
                text: "\n\n[[ ## facts ## ]]\n".into()
            }
        );
        let keep = text.len() - 1;
        text.truncate(keep);
        text.extend_from_slice(b"\n\n[[ ## facts ## ]]\n");
        state.set_value_start(text.len());
        // A single-bracket header is the model's too (here it leaves the value empty).
        let mut copy = text.clone();
        let mut probe = FormatState::new(&f, text.len());
        probe.field = 1;
        assert_eq!(
            push(&mut probe, &mut copy, "[## facts ## ]"),
            Step::Rewrite {
                keep: text.len(),
                text: "\n\n[[ ## facts ## ]]\n".into()
            }
        );
        // A nested list opens with `[[` but is a value, not a header.
        assert_eq!(push(&mut state, &mut text, "[["), Step::Continue);
        assert_eq!(push(&mut state, &mut text, "\"a\"]]\n\n"), Step::Continue);
        let at = text.len();
        assert_eq!(
            push(&mut state, &mut text, "[[## facts"),
            Step::Finish {
                keep: at - 2,
                text: "\n\n[[ ## completed ## ]]".into()
            }
        );
    }

    /// Small models often end a value and start the next header on the same line.
    #[test]
    fn a_header_started_inside_a_line_ends_the_value() {
        let f = format();
        let mut text = f.header(0).into_bytes();
        let start = text.len();
        let mut state = FormatState::new(&f, start);
        assert_eq!(push(&mut state, &mut text, "Because"), Step::Continue);
        // A lone `[` at the end waits for the next token.
        assert_eq!(push(&mut state, &mut text, " it is ["), Step::Continue);
        assert_eq!(
            push(&mut state, &mut text, "[ ## answer ## ]]"),
            Step::Rewrite {
                keep: start + "Because it is".len(),
                text: "\n\n[[ ## answer ## ]]\n".into()
            }
        );
        // In the last field, the completed marker written inline finishes the completion.
        let mut text = f.header(2).into_bytes();
        let start = text.len();
        let mut last = FormatState::new(&f, start);
        last.field = 2;
        assert_eq!(push(&mut last, &mut text, "[[\"a\"]] "), Step::Continue);
        assert_eq!(push(&mut last, &mut text, "see [#3] "), Step::Continue);
        assert_eq!(
            push(&mut last, &mut text, "[[#Setup]] [[1, 2]] "),
            Step::Continue
        );
        assert_eq!(
            push(&mut last, &mut text, "[[ ## completed ## ]]"),
            Step::Finish {
                keep: start + "[[\"a\"]] see [#3] [[#Setup]] [[1, 2]]".len(),
                text: "\n\n[[ ## completed ## ]]".into()
            }
        );
    }

    #[test]
    fn a_literal_value_ends_at_a_whole_member() {
        let system = SYSTEM.replace(
            "2. `answer` (int)",
            "2. `answer` (Literal['look', 'lookup', \"it's\"])",
        );
        let f = ChatFormat::from_messages(&[Message::system(system), Message::user(USER)])
            .expect("format");
        assert_eq!(f.fields[0].literal, None);
        let members = ["look", "lookup", "it's"].map(String::from).to_vec();
        assert_eq!(f.fields[1].literal, Some(members));
        let mut text = f.header(1).into_bytes();
        let start = text.len();
        let mut state = FormatState::new(&f, start);
        state.field = 1;
        assert_eq!(push(&mut state, &mut text, " lo"), Step::Continue);
        // `look` is a member, but `lookup` is on the way.
        assert_eq!(push(&mut state, &mut text, "ok"), Step::Continue);
        assert_eq!(
            push(&mut state, &mut text, "\n"),
            Step::Rewrite {
                keep: start + " look".len(),
                text: "\n\n[[ ## facts ## ]]\n".into()
            }
        );
        // A member no longer member extends ends the value at once.
        let mut text = f.header(1).into_bytes();
        let mut state = FormatState::new(&f, start);
        state.field = 1;
        assert_eq!(
            push(&mut state, &mut text, "it's"),
            Step::Rewrite {
                keep: start + "it's".len(),
                text: "\n\n[[ ## facts ## ]]\n".into()
            }
        );
        // Off the members (the mask was lifted), headers end the value as in any other.
        let mut text = f.header(1).into_bytes();
        let mut state = FormatState::new(&f, start);
        state.field = 1;
        assert_eq!(push(&mut state, &mut text, "Look"), Step::Continue);
        assert_eq!(
            push(&mut state, &mut text, " [[ ## facts"),
            Step::Rewrite {
                keep: start + "Look".len(),
                text: "\n\n[[ ## facts ## ]]\n".into()
            }
        );
    }

    #[test]
    fn later_fields_keep_room_for_their_headers() {
        let f = format();
        let state = FormatState::new(&f, 0);
        // Two later fields (`answer`, `facts`) and the marker.
        assert_eq!(state.reserve(), (8 + 2 + 6) + (8 + 2 + 6) + 10);
    }
}
