//! The state of one string parse.

use super::super::chars::is_space;

/// Marks the active closing quote while inside a `„…”` span (json_repair's sentinel).
const LOW_QUOTE_SENTINEL: char = '\0';

/// The state of one string parse.
pub(super) struct StrState {
    pub(super) missing_quotes: bool,
    pub(super) doubled_quotes: bool,
    pub(super) lquote: char,
    /// The closing quote of the string itself.
    pub(super) rquote: char,
    /// How many `„` spans are open (each waits for its `”` or `"`).
    pub(super) low_quote_spans: usize,
    pub(super) acc: Vec<char>,
    /// Position in `acc` of the last whitespace character appended.
    last_space: Option<usize>,
    pub(super) unmatched_delimiter: bool,
    pub(super) pending_inline_container: bool,
    pub(super) inline_stack: Vec<char>,
    pub(super) no_future_delimiter: bool,
    /// Remembered forward searches: targets, start position, match position.
    pub(super) lookahead_cache: Vec<(Vec<char>, isize, Option<isize>)>,
    pub(super) unmatched_open_braces: usize,
    /// Where the content of the last `[` (a regex character class?) starts in `acc`.
    pub(super) regex_class_start: Option<usize>,
}

impl StrState {
    pub(super) fn new() -> Self {
        StrState {
            missing_quotes: false,
            doubled_quotes: false,
            lquote: '"',
            rquote: '"',
            low_quote_spans: 0,
            acc: Vec::new(),
            last_space: None,
            unmatched_delimiter: false,
            pending_inline_container: false,
            inline_stack: Vec::new(),
            no_future_delimiter: false,
            lookahead_cache: Vec::new(),
            unmatched_open_braces: 0,
            regex_class_start: None,
        }
    }

    /// The quote that currently closes: the sentinel inside a `„` span.
    pub(super) fn active_rquote(&self) -> char {
        if self.low_quote_spans > 0 {
            LOW_QUOTE_SENTINEL
        } else {
            self.rquote
        }
    }

    pub(super) fn in_low_quote_span(&self) -> bool {
        self.low_quote_spans > 0
    }

    pub(super) fn last_is(&self, c: char) -> bool {
        self.acc.last() == Some(&c)
    }

    pub(super) fn append(&mut self, c: char) {
        let pos = self.acc.len();
        self.acc.push(c);
        match c {
            '{' => self.unmatched_open_braces += 1,
            '}' if self.unmatched_open_braces > 0 => self.unmatched_open_braces -= 1,
            '[' => self.regex_class_start = Some(pos + 1),
            ']' => self.regex_class_start = None,
            _ => {}
        }
        if is_space(c) {
            self.last_space = Some(pos);
        }
    }

    /// Replaces the backslash at the end of `acc` with `content`.
    pub(super) fn replace_trailing_backslash(&mut self, content: &[char]) {
        self.acc.pop();
        for &c in content {
            self.append(c);
        }
    }

    pub(super) fn has_space_since(&self, start: usize) -> bool {
        self.last_space
            .is_some_and(|p| p >= start && p < self.acc.len())
    }
}
