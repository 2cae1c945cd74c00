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
//! - keeps the value of a `Literal[...]` of strings to exactly one member (see `guard/literal.rs`):
//!   only tokens on the way to a member are sampled, and a whole member ends the value;
//! - keeps a JSON-shaped value (`dict[...]`, `list[...]`, `tuple[...]`, a pydantic model) valid
//!   JSON of the right top-level kind (see `guard/json.rs`): only tokens that keep it a valid prefix
//!   are sampled, and the closing of the top-level object or array ends the value;
//! - when the model starts a header of its own (`[[` and then `##` anywhere in a value, or a line
//!   opening with `[` and then `#`) or ends its turn, replaces that with the next field's
//!   header, or after the last field with `[[ ## completed ## ]]`, and ends the completion there;
//! - keeps enough of `max_tokens` for the headers still to come: a value that would eat into it
//!   is cut there (the completion then reports `length` as its finish reason).
//!
//! The messages stay byte-identical to DSPy's; only the completion is steered.

use dspy_adapters::{Message, Role};

mod fields;
mod json;
mod literal;

pub use fields::first_output_field;
pub use json::{json_kind, JsonKind};
pub use literal::literal_members;

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
    /// For a JSON-shaped value, its top-level kind: the value must be valid JSON of that kind
    /// (see [`json_kind`]).
    pub json: Option<JsonKind>,
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
        let system = &messages.iter().find(|m| m.role == Role::System)?.content;
        let fields = fields::output_fields(system);
        (fields.first()?.name == first).then_some(ChatFormat { fields })
    }

    /// The header line that opens field `i`, newline included.
    pub fn header(&self, i: usize) -> String {
        format!("[[ ## {} ## ]]\n", self.fields[i].name)
    }
}

/// How far a constrained value (a `Literal` or JSON) has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// On the way to a complete value: keep sampling.
    Open,
    /// Complete, ending at byte `end` of the value (leading whitespace included).
    Done {
        /// Where the value ends.
        end: usize,
    },
    /// Off the constraint (it was lifted): the plain guard decides.
    Off,
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
pub(crate) struct FormatState {
    /// A copy of the format (a few field names), so that a state can outlive the request.
    format: ChatFormat,
    field: usize,
    /// Byte offset where the current field's value starts.
    value_start: usize,
    /// Where to look for a header next (a `[` or `[[` not yet decided stays in view).
    scan_from: usize,
}

impl FormatState {
    /// A completion whose text so far is the first field's header (`value_start` bytes).
    pub(crate) fn new(format: &ChatFormat, value_start: usize) -> FormatState {
        FormatState {
            format: format.clone(),
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

    /// The JSON kind the current value must have (a JSON-shaped field).
    pub(crate) fn json(&self) -> Option<JsonKind> {
        self.format.fields[self.field].json
    }

    /// The current value so far (`text` is the whole completion).
    pub(crate) fn value<'t>(&self, text: &'t [u8]) -> &'t [u8] {
        text.get(self.value_start..).unwrap_or_default()
    }

    /// Masks `logits` for the next token (`text` is the whole completion, `vocab[id]` token
    /// `id`'s bytes, `stop_ids` end the turn): a `Literal` value stays on the way to one of its
    /// members, a JSON-shaped value a valid JSON prefix. Without such a mask (another value, or
    /// no token could continue the value) the opening of a value is masked as for any value:
    /// no end of turn, and for plain values nothing opening with `{` (a copied `{field}`
    /// placeholder) or `[` (a header of the model's own).
    pub(crate) fn mask(
        &self,
        text: &[u8],
        vocab: &[Vec<u8>],
        stop_ids: &[u32],
        logits: &mut [f32],
    ) {
        let value = self.value(text);
        let masked = match (self.literal(), self.json()) {
            (Some(members), _) => literal::mask_literal(members, value, vocab, stop_ids, logits),
            (None, Some(kind)) => json::mask_json(kind, value, vocab, stop_ids, logits),
            (None, None) => false,
        };
        if masked || !self.at_value_start(text) {
            return;
        }
        for &id in stop_ids {
            if let Some(l) = logits.get_mut(id as usize) {
                *l = f32::NEG_INFINITY;
            }
        }
        if self.plain_value() {
            for (l, bytes) in logits.iter_mut().zip(vocab) {
                let first_visible = bytes.iter().find(|b| !b.is_ascii_whitespace());
                if matches!(first_visible, Some(b'{' | b'[')) {
                    *l = f32::NEG_INFINITY;
                }
            }
        }
    }

    /// After a token was appended (`text` is the whole completion): a `Literal` value that is
    /// a whole member (and not the start of a longer one) ends there, a JSON value at the
    /// bracket closing it; while either is on its way nothing else ends it. Otherwise `[[` and
    /// then `##` (after optional spaces) anywhere in the value, or a line opening with `[` and
    /// then `#`, is the model starting a header of its own (`Paris [[ ## completed ## ]]`,
    /// `[[## answer ## ]]`, `[## answer ## ]`), which ends the current value. `[[1, 2]]` and
    /// `see [#3]` are values; a `[` with nothing after it yet is decided by the next tokens.
    pub(crate) fn after_token(&mut self, text: &[u8]) -> Step {
        let progress = match (self.literal(), self.json()) {
            (Some(members), _) => literal::progress(members, self.value(text)),
            (None, Some(kind)) => json::progress(kind, self.value(text)),
            (None, None) => Progress::Off,
        };
        match progress {
            Progress::Open => return Step::Continue,
            Progress::Done { end } => return self.end_value(text, self.value_start + end),
            // No constraint, or it was lifted: the value ends as any other.
            Progress::Off => {}
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
            .map(|x| (x.name.as_str(), x.plain, x.json))
            .collect();
        assert_eq!(
            names,
            [
                ("reasoning", true, None),
                ("answer", true, None),
                ("facts", false, Some(JsonKind::Array))
            ]
        );
        assert_eq!(
            fields::type_text("Literal['a)', 'b']): x (y)"),
            "Literal['a)', 'b']"
        );
        assert_eq!(
            fields::type_text("dict[str, list[int]]): d"),
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

    /// The format with `facts` taken as a free value (no JSON constraint): the header rules
    /// for any value.
    fn free_format() -> ChatFormat {
        let mut f = format();
        f.fields[2].json = None;
        f
    }

    /// Appends `piece` and runs the guard on it.
    fn push(state: &mut FormatState, text: &mut Vec<u8>, piece: &str) -> Step {
        text.extend_from_slice(piece.as_bytes());
        state.after_token(text)
    }

    #[test]
    fn a_header_of_the_models_own_becomes_the_next_expected_header() {
        let f = free_format();
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
        let f = free_format();
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
    fn a_json_value_ends_at_its_closing_bracket() {
        let f = format();
        let mut text = f.header(2).into_bytes();
        let start = text.len();
        let mut state = FormatState::new(&f, start);
        state.field = 2;
        assert_eq!(push(&mut state, &mut text, " [[\"a"), Step::Continue);
        // Inside a string a header is text; the value is on its way.
        assert_eq!(push(&mut state, &mut text, " [[ ## b"), Step::Continue);
        assert_eq!(push(&mut state, &mut text, "\"]"), Step::Continue);
        assert_eq!(
            push(&mut state, &mut text, "]\n\n[["),
            Step::Finish {
                keep: start + " [[\"a [[ ## b\"]]".len(),
                text: "\n\n[[ ## completed ## ]]".into()
            }
        );
        // Off JSON (the mask was lifted), headers end the value as in any other.
        let mut text = f.header(2).into_bytes();
        let mut state = FormatState::new(&f, start);
        state.field = 2;
        assert_eq!(push(&mut state, &mut text, "[x"), Step::Continue);
        assert_eq!(
            push(&mut state, &mut text, " [[ ## completed"),
            Step::Finish {
                keep: start + "[x".len(),
                text: "\n\n[[ ## completed ## ]]".into()
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
