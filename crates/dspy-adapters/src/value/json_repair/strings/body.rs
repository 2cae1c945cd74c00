//! A string's body: scanning its characters, escapes, and where it ends.

use super::super::chars::{is_opener, is_quote, is_space, one_of, rstrip};
use super::super::parser::{Ctx, Parser};
use super::delimiters::{update_inline_container_stack, CommaKind};
use super::state::StrState;

impl Parser {
    /// Reads the string's characters up to where it ends; returns the character it stopped
    /// at (the closing quote when there is one).
    pub(super) fn scan_string_body(&mut self, st: &mut StrState) -> Option<char> {
        let outer = st.rquote;
        let mut ch = self.cur();
        while let Some(c) = ch {
            if c == outer && !st.in_low_quote_span() {
                break;
            }
            if st.missing_quotes {
                if self.is_current(Ctx::ObjectKey) && (c == ':' || is_space(c)) {
                    break;
                }
                if self.is_current(Ctx::Array) && (c == ']' || c == ',') {
                    break;
                }
            }
            if c == '\u{201e}' && !st.last_is('\\') {
                st.low_quote_spans += 1;
                ch = self.append_literal(st, c);
                continue;
            }
            if st.in_low_quote_span() && c == '\u{201d}' {
                st.low_quote_spans -= 1;
                ch = self.append_literal(st, c);
                continue;
            }
            let inline_candidate = st.pending_inline_container
                || (self.is_current(Ctx::ObjectValue)
                    && c == '{'
                    && self.ch(-1) != Some('\\')
                    && self.bare_key_is_followed_by_colon(self.scroll(1)));
            if inline_candidate && is_opener(c) && !st.last_is('\\') {
                if let Some(end) = self.skip_inline_container(0) {
                    // A balanced `{...}`/`[...]` that belongs to the string.
                    st.pending_inline_container = false;
                    st.inline_stack.clear();
                    let end_abs = self.abs(end).max(0) as usize;
                    for i in self.index..end_abs.min(self.len()) {
                        if let Some(&x) = self.s.get(i) {
                            st.append(x);
                        }
                    }
                    self.index = end_abs;
                    ch = self.cur();
                    continue;
                }
            }
            if self.is_current(Ctx::ObjectValue)
                && c == ','
                && !st.pending_inline_container
                && st.inline_stack.is_empty()
            {
                let kind = if st.no_future_delimiter {
                    CommaKind::Text
                } else {
                    self.classify_object_value_comma(st)
                };
                if kind == CommaKind::Member {
                    break;
                }
                if kind == CommaKind::TextNoFutureDelimiter {
                    st.no_future_delimiter = true;
                }
                st.pending_inline_container = kind == CommaKind::Container;
                ch = self.append_literal(st, c);
                continue;
            }
            if update_inline_container_stack(st, c) {
                ch = self.append_literal(st, c);
                continue;
            }
            if self.is_current(Ctx::ObjectValue) && c == '}' && !st.last_is(outer) {
                if st.unmatched_open_braces > 0 {
                    ch = self.append_literal(st, c);
                    continue;
                }
                if self.closing_brace_ends_value(st) {
                    break;
                }
            }
            if c == ']' && self.in_ctx(Ctx::Array) && !st.last_is(outer) {
                let i = self.skip_to_char(outer, 0);
                if self.ch(i).is_none() {
                    break;
                }
            }
            if self.is_current(Ctx::ObjectValue) && c == '}' {
                let i = self.scroll(1);
                let next = self.ch(i);
                if next == Some('`') && self.ch(i + 1) == Some('`') && self.ch(i + 2) == Some('`') {
                    if self.brace_before_code_fence_belongs_to_string(st, i) {
                        ch = self.append_literal(st, c);
                        continue;
                    }
                    break;
                }
                if next.is_none() {
                    break;
                }
            }
            st.append(c);
            self.index += 1;
            ch = self.cur();
            let Some(mut c) = ch else { break };
            if st.last_is('\\') {
                let (handled, next) = self.normalize_escape_sequence(st, c);
                ch = next;
                if handled {
                    continue;
                }
                let Some(n) = next else { break };
                c = n;
            }
            if c == ':' && !st.missing_quotes && self.is_current(Ctx::ObjectKey) {
                let i = self.skip_to_char(st.lquote, 1);
                if self.ch(i).is_some() {
                    let i = self.skip_to_char(outer, i + 1);
                    if self.ch(i).is_some() {
                        let i = self.scroll(i + 1);
                        if one_of(self.ch(i), &[',', '}']) {
                            break;
                        }
                    }
                } else {
                    break;
                }
            }
            if st.in_low_quote_span() && c == '"' {
                st.low_quote_spans -= 1;
                ch = self.append_literal(st, c);
                continue;
            }
            if c == outer
                && self.is_current(Ctx::ObjectValue)
                && self.quote_belongs_to_regex_character_class(st)
            {
                ch = self.append_literal(st, c);
                continue;
            }
            if c == outer && !st.acc.is_empty() && !st.last_is('\\') {
                let (handled, next, stop) = self.handle_right_delimiter_candidate(st, c);
                ch = next;
                if stop || handled {
                    if stop {
                        break;
                    }
                    continue;
                }
            }
        }
        ch
    }

    /// A `}` inside an object value: does it close the object (the string's closing quote
    /// is missing)?
    fn closing_brace_ends_value(&mut self, st: &mut StrState) -> bool {
        let outer = st.rquote;
        let mut missing = true;
        self.skip_whitespaces();
        if self.ch(1) == Some('\\') {
            missing = false;
        }
        let i = self.cached_skip_to(st, &[outer], 1);
        if self.ch(i).is_some() {
            let i = self.scroll(i + 1);
            let next = self.ch(i);
            if next.is_none() || one_of(next, &[',', '}']) {
                missing = false;
            } else {
                let i = self.skip_to_char(st.lquote, i);
                if self.ch(i).is_none() {
                    missing = false;
                } else {
                    let i = self.scroll(i + 1);
                    let next = self.ch(i);
                    if next.is_some() && next != Some(':') {
                        missing = false;
                    }
                }
            }
        } else {
            let i = self.skip_to_char(':', 1);
            if self.ch(i).is_some() {
                return true;
            }
            let i = self.scroll(1);
            let j = self.skip_to_char('}', i);
            if j - i > 1 {
                missing = false;
            }
        }
        missing
    }

    pub(super) fn finalize_string(&mut self, mut st: StrState, last: Option<char>) -> String {
        if st.missing_quotes && self.is_current(Ctx::ObjectKey) && last.is_some_and(is_space) {
            // An unquoted "key" followed by more words: probably a comment, not a key.
            self.skip_whitespaces();
            if !one_of(self.cur(), &[':', ',']) {
                return String::new();
            }
        }
        if last == Some(st.rquote) {
            self.index += 1;
        } else {
            rstrip(&mut st.acc);
        }
        if st.missing_quotes || st.last_is('\n') {
            rstrip(&mut st.acc);
        }
        st.acc.into_iter().collect()
    }

    /// After a backslash: decode or normalize the escape. Returns whether it was handled and
    /// the character to continue with.
    fn normalize_escape_sequence(&mut self, st: &mut StrState, c: char) -> (bool, Option<char>) {
        let active = st.active_rquote();
        if st.in_low_quote_span() && c == '"' {
            st.replace_trailing_backslash(&[c]);
            st.low_quote_spans -= 1;
            self.index += 1;
            return (true, self.cur());
        }
        if c == '\\' {
            let run_start = self.index - 1;
            let mut run_end = self.index + 1;
            while self.s.get(run_end) == Some(&'\\') {
                run_end += 1;
            }
            let run = run_end - run_start;
            let rel_end = run_end as isize - self.index as isize;
            let next = self.ch(rel_end);
            let after_quote = self.ch(self.scroll(rel_end + 1));
            if run & 1 == 0
                && (next != Some(active)
                    || after_quote.is_none()
                    || one_of(after_quote, &[',', ':', '}', ']']))
            {
                st.replace_trailing_backslash(&vec!['\\'; run / 2]);
                self.index = run_end;
                return (true, self.cur());
            }
        }
        if c == active || matches!(c, 't' | 'n' | 'r' | 'b' | '\\') {
            let decoded = match c {
                't' => '\t',
                'n' => '\n',
                'r' => '\r',
                'b' => '\u{8}',
                other => other,
            };
            st.replace_trailing_backslash(&[decoded]);
            self.index += 1;
            let mut next = self.cur();
            while let Some(n) = next {
                if !(st.last_is('\\') && (n == active || n == '\\')) {
                    break;
                }
                st.replace_trailing_backslash(&[n]);
                self.index += 1;
                next = self.cur();
            }
            return (true, next);
        }
        if c == 'u' || c == 'x' {
            let n = if c == 'u' { 4 } else { 2 };
            let hex = self.slice(self.index + 1, self.index + 1 + n);
            if hex.len() == n && hex.iter().all(char::is_ascii_hexdigit) {
                let code = hex
                    .iter()
                    .fold(0u32, |v, h| v * 16 + h.to_digit(16).unwrap_or(0));
                let mut consumed = 1 + n;
                let decoded = match char::from_u32(code) {
                    Some(d) => d,
                    None => {
                        // A UTF-16 surrogate: pair it with a following `\uDC00`-`\uDFFF`.
                        let after = self.index + consumed;
                        let low = self.slice(after, after + 6);
                        let low_code = match low {
                            ['\\', 'u', rest @ ..] if rest.len() == 4 => rest
                                .iter()
                                .try_fold(0u32, |v, h| h.to_digit(16).map(|d| v * 16 + d)),
                            _ => None,
                        };
                        match low_code {
                            Some(lo)
                                if (0xd800..0xdc00).contains(&code)
                                    && (0xdc00..0xe000).contains(&lo) =>
                            {
                                consumed += 6;
                                char::from_u32(0x10000 + ((code - 0xd800) << 10) + (lo - 0xdc00))
                                    .unwrap_or('\u{fffd}')
                            }
                            _ => '\u{fffd}',
                        }
                    }
                };
                st.replace_trailing_backslash(&[decoded]);
                self.index += consumed;
                return (true, self.cur());
            }
        } else if c == '\u{201e}' || (is_quote(c) && c != active) {
            // A quote that did not need escaping.
            st.replace_trailing_backslash(&[c]);
            self.index += 1;
            return (true, self.cur());
        }
        (false, Some(c))
    }
}
