//! Constrained DSPy chat format: keeps a small model's completion inside DSPy's field structure.
//!
//! DSPy's Chat adapter asks for `[[ ## field ## ]]` sections, one per output field, ending with
//! `[[ ## completed ## ]]`. Small models often copy the `{field}` placeholder from the system
//! message, misspell headers (`[[## answer ## ]]`), repeat a section, or stop early. Under a
//! [`ChatFormat`] the engine:
//!
//! - starts the completion with the first output field's header;
//! - at the start of a plain value (`str`, `int`, `float`, `bool`, `Literal[...]`) forbids tokens
//!   opening with `{` or `[` (a copied placeholder or header) and the end of the turn;
//! - when a line opens with `[[` (the model starting a header of its own) or the model ends its
//!   turn, replaces that with the next field's header, or after the last field with
//!   `[[ ## completed ## ]]`, and ends the completion there;
//! - keeps enough of `max_tokens` for the headers still to come: a value that would eat into it
//!   is cut there (the completion then reports `length` as its finish reason).
//!
//! The messages stay byte-identical to DSPy's; only the completion is steered.

use dspy_adapters::{Message, Role};

/// The marker that ends a DSPy chat-format completion.
pub const COMPLETED_MARKER: &str = "[[ ## completed ## ]]";

/// One output field the completion must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputField {
    /// The field's name.
    pub name: String,
    /// A plain value (`str`, numbers, `bool`, `Literal`), which never opens with `{` or `[`.
    pub plain: bool,
}

/// The output fields of one DSPy chat-format request, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatFormat {
    /// The fields, in the order the completion must give them.
    pub fields: Vec<OutputField>,
}

impl ChatFormat {
    /// Reads the output fields from a DSPy Chat adapter request: the system message's
    /// "Your output fields are:" list, else the last user message's "starting with the field"
    /// reminder (first field only, type unknown). `None` when the request is not in DSPy's
    /// chat format.
    pub fn from_messages(messages: &[Message]) -> Option<ChatFormat> {
        let listed = messages
            .iter()
            .find(|m| m.role == Role::System)
            .map(|m| output_fields(&m.content))
            .unwrap_or_default();
        let first = first_output_field(messages);
        match (listed.first(), first) {
            (Some(f), Some(name)) if f.name == name => Some(ChatFormat { fields: listed }),
            (Some(_), None) => Some(ChatFormat { fields: listed }),
            (_, Some(name)) => Some(ChatFormat {
                fields: vec![OutputField { name, plain: false }],
            }),
            (None, None) => None,
        }
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
        let ty = rest.rsplit_once(')').map_or(rest, |(ty, _)| ty);
        let plain = matches!(ty, "str" | "int" | "float" | "bool") || ty.starts_with("Literal[");
        fields.push(OutputField {
            name: name.to_string(),
            plain,
        });
    }
    fields
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
}

impl<'f> FormatState<'f> {
    /// A completion whose text so far is the first field's header (`value_start` bytes).
    pub(crate) fn new(format: &'f ChatFormat, value_start: usize) -> FormatState<'f> {
        FormatState {
            format,
            field: 0,
            value_start,
        }
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

    /// After a token was appended (`text` is the whole completion, `piece` bytes of it new):
    /// a line opening with `[[` ends the current value.
    pub(crate) fn after_token(&mut self, text: &[u8], piece: usize) -> Step {
        let from = text.len().saturating_sub(piece + 2).max(self.value_start);
        let header_at = text[from..]
            .windows(2)
            .enumerate()
            .filter(|(_, w)| *w == b"[[")
            .map(|(i, _)| from + i)
            .find(|&at| at == self.value_start || text[at - 1] == b'\n');
        match header_at {
            Some(at) => self.end_value(text, at),
            None => Step::Continue,
        }
    }

    /// The model ended its turn: close the current value there.
    pub(crate) fn at_end_of_turn(&mut self, text: &[u8]) -> Step {
        self.end_value(text, text.len())
    }

    /// Tokens to keep free for the rest of the structure: the later fields' headers with a
    /// short value each, and the completed marker.
    pub(crate) fn reserve(&self) -> usize {
        const HEADER_AND_VALUE: usize = 16;
        const MARKER: usize = 10;
        (self.format.fields.len() - 1 - self.field) * HEADER_AND_VALUE + MARKER
    }

    /// Ends the current value at byte `at`: the next header, or the completed marker.
    pub(crate) fn end_value(&mut self, text: &[u8], at: usize) -> Step {
        let value_end = self.value_start
            + text[self.value_start..at]
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(0, |i| i + 1);
        let keep = value_end;
        if self.field + 1 < self.format.fields.len() {
            self.field += 1;
            let text = format!("\n\n{}", self.format.header(self.field));
            self.value_start = keep + text.len();
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

    const SYSTEM: &str = "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `reasoning` (str): \n2. `answer` (int): a number\n   on two lines\n3. `facts` (list[str]):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}";
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
        assert!(ChatFormat::from_messages(&[Message::user("hi")]).is_none());
        let only_user = ChatFormat::from_messages(&[Message::user(USER)]).expect("reminder");
        assert_eq!(only_user.fields[0].name, "reasoning");
    }

    #[test]
    fn a_header_of_the_models_own_becomes_the_next_expected_header() {
        let f = format();
        let mut text = f.header(0).into_bytes();
        let mut state = FormatState::new(&f, text.len());
        assert!(state.at_value_start(&text));
        text.extend_from_slice(b"It is simple.\n");
        assert_eq!(state.after_token(&text, 14), Step::Continue);
        assert!(!state.at_value_start(&text));
        text.extend_from_slice(b"[[");
        let keep = f.header(0).len() + "It is simple.".len();
        assert_eq!(
            state.after_token(&text, 2),
            Step::Rewrite {
                keep,
                text: "\n\n[[ ## answer ## ]]\n".into()
            }
        );
        text.truncate(keep);
        text.extend_from_slice(b"\n\n[[ ## answer ## ]]\n42 [[x]]");
        // `[[` inside a line is part of the value.
        assert_eq!(state.after_token(&text, 6), Step::Continue);
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
        text.extend_from_slice(b"\n\n[[ ## facts ## ]]\n[\"a\"]\n\n[[## facts");
        let at = text.len() - "[[## facts".len();
        assert_eq!(
            state.after_token(&text, 10),
            Step::Finish {
                keep: at - 2,
                text: "\n\n[[ ## completed ## ]]".into()
            }
        );
    }
}
