//! Quotes, commas and brackets inside a string: does the string end there?

use super::super::chars::{
    closer_of, is_alnum, is_alpha, is_digit, is_opener, is_quote, is_quote_opt, is_space,
    matching_quote, one_of,
};
use super::super::parser::{Ctx, Parser};
use super::state::StrState;

/// What a comma inside an object value turned out to be.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum CommaKind {
    /// Starts the next member: the value ends here.
    Member,
    /// Part of the string.
    Text,
    /// Part of the string, and no quote or bracket follows anywhere.
    TextNoFutureDelimiter,
    /// Part of the string and followed by an inline `[...]`/`{...}` that belongs to it.
    Container,
}

impl Parser {
    /// A quote inside a compact regex character class like `[^"]`.
    pub(super) fn quote_belongs_to_regex_character_class(&self, st: &StrState) -> bool {
        let Some(start) = st.regex_class_start else {
            return false;
        };
        if st.has_space_since(start) {
            return false;
        }
        self.ch(self.skip_to_char(']', 1)) == Some(']')
    }

    /// A quote that could close the string: decide whether it does. Returns (handled and
    /// the loop goes on, the character to continue with, the string ends here).
    pub(super) fn handle_right_delimiter_candidate(
        &mut self,
        st: &mut StrState,
        c: char,
    ) -> (bool, Option<char>, bool) {
        let outer = st.rquote;
        if st.doubled_quotes && self.ch(1) == Some(outer) {
            self.index += 1;
            return (true, Some(c), false);
        }
        if st.missing_quotes && self.is_current(Ctx::ObjectValue) {
            let mut i = 1;
            let mut next = self.ch(i);
            while next.is_some_and(|n| n != outer && n != st.lquote) {
                i += 1;
                next = self.ch(i);
            }
            if next.is_some() {
                let i = self.scroll(i + 1);
                if self.ch(i) == Some(':') {
                    // The quote opens the next key.
                    self.back(1);
                    return (false, self.cur(), true);
                }
            }
            return (false, Some(c), false);
        }
        if st.unmatched_delimiter {
            st.unmatched_delimiter = false;
            let next = self.append_literal(st, c);
            return (true, next, false);
        }
        let mut i = 1;
        let mut next = self.ch(i);
        let mut check_comma = true;
        while let Some(n) = next {
            if n == outer || n == st.lquote {
                break;
            }
            if check_comma && is_alpha(n) {
                check_comma = false;
            }
            if (self.in_ctx(Ctx::ObjectKey) && (n == ':' || n == '}'))
                || (self.in_ctx(Ctx::ObjectValue) && n == '}')
                || (self.in_ctx(Ctx::Array) && (n == ']' || n == ','))
                || (check_comma && self.is_current(Ctx::ObjectValue) && n == ',')
            {
                break;
            }
            i += 1;
            next = self.ch(i);
        }
        if next == Some(',') && self.is_current(Ctx::ObjectValue) {
            let i = self.skip_to_char(outer, i + 1);
            let i = self.scroll(i + 1);
            if one_of(self.ch(i), &['}', ',']) {
                let next = self.append_literal(st, c);
                return (true, next, false);
            }
        } else if next == Some(outer) && self.ch(i - 1) != Some('\\') {
            let member_follows =
                self.is_current(Ctx::ObjectValue) && self.quoted_object_member_follows(i);
            if self.only_whitespace_until(i) && !member_follows {
                return (false, Some(c), true);
            }
            match self.current() {
                Some(Ctx::ObjectValue) => {
                    if member_follows {
                        let next = self.append_literal(st, c);
                        return (true, next, false);
                    }
                    let mut i = self.skip_to_char(outer, i + 1) + 1;
                    let mut next = self.ch(i);
                    while let Some(n) = next {
                        if n == ':'
                            || matches!(n, ',' | ']' | '}')
                            || (n == outer && self.ch(i - 1) != Some('\\'))
                        {
                            break;
                        }
                        i += 1;
                        next = self.ch(i);
                    }
                    if next != Some(':') {
                        st.unmatched_delimiter = !st.unmatched_delimiter;
                        let next = self.append_literal(st, c);
                        return (true, next, false);
                    }
                }
                Some(Ctx::Array) => {
                    // Walking the quotes after this one in pairs up to the next `]`: they
                    // pair up (and this quote is text) when their count is odd.
                    let after = self.abs(i).max(0) as usize + 1;
                    let bracket = self.next_unescaped(&[']'], after).unwrap_or(self.len());
                    let even = self.count_unescaped(outer, after, bracket) & 1 == 1;
                    if even {
                        st.unmatched_delimiter = !st.unmatched_delimiter;
                        let next = self.append_literal(st, c);
                        return (true, next, false);
                    }
                    return (false, Some(c), true);
                }
                Some(Ctx::ObjectKey) => {
                    let next = self.append_literal(st, c);
                    return (true, next, false);
                }
                None => {}
            }
        }
        (false, Some(c), false)
    }

    /// A comma inside an unfinished object value: the next member, or part of the text?
    pub(super) fn classify_object_value_comma(&self, st: &mut StrState) -> CommaKind {
        let next_idx = self.scroll(1);
        let next = self.ch(next_idx);
        let Some(n) = next else {
            return CommaKind::Member;
        };
        if n == '}' {
            return CommaKind::Member;
        }
        if is_quote(n) {
            let key_end = self.skip_to_char(n, next_idx + 1);
            if self.ch(key_end).is_none() {
                return CommaKind::Text;
            }
            let after = self.scroll(key_end + 1);
            return if self.ch(after) == Some(':') {
                CommaKind::Member
            } else {
                CommaKind::Text
            };
        }
        if n == '`' {
            let end = self.scan_bare_key(next_idx + 1);
            return if self.ch(self.scroll(end)) == Some(':') {
                CommaKind::Member
            } else {
                CommaKind::Text
            };
        }
        if is_alnum(n) || n == '_' {
            let end = self.scroll(self.scan_bare_key(next_idx));
            if self.ch(end) == Some(':') && self.bare_member_has_recoverable_value(st, end + 1) {
                return CommaKind::Member;
            }
        }
        if n == '{' || n == '[' {
            return CommaKind::Container;
        }
        let special_targets = ['"', '\'', '\u{201c}', '\u{201d}', '{', '['];
        let special_idx = self.cached_skip_to(st, &special_targets, next_idx);
        let Some(special) = self.ch(special_idx) else {
            return CommaKind::TextNoFutureDelimiter;
        };
        if special == '{' || special == '[' {
            return CommaKind::Text;
        }
        let key_end = self.cached_skip_to(st, &[special], special_idx + 1);
        if self.ch(key_end).is_none() {
            return CommaKind::Text;
        }
        let after = self.scroll(key_end + 1);
        if self.ch(after) == Some(':') {
            CommaKind::Member
        } else {
            CommaKind::Text
        }
    }

    /// The offset just past a run of key characters (alphanumerics, `_`, `-`).
    fn scan_bare_key(&self, mut idx: isize) -> isize {
        while self
            .ch(idx)
            .is_some_and(|k| is_alnum(k) || k == '_' || k == '-')
        {
            idx += 1;
        }
        idx
    }

    /// After `, key:` — does a value follow that makes this a real member?
    fn bare_member_has_recoverable_value(&self, st: &mut StrState, value_idx: isize) -> bool {
        let start = self.scroll(value_idx);
        let first = self.ch(start);
        if is_quote_opt(first) || one_of(first, &['{', '[', '-']) || first.is_some_and(is_digit) {
            return true;
        }
        for word in ["true", "false", "null"] {
            let n = word.len() as isize;
            if word
                .chars()
                .enumerate()
                .all(|(k, w)| self.ch(start + k as isize) == Some(w))
            {
                let end = self.ch(start + n);
                if end.is_none() || end.is_some_and(is_space) || one_of(end, &[',', '}', ']']) {
                    return true;
                }
            }
        }
        // An unquoted value only ends the string if its object closes before any quote.
        let end = self.cached_skip_to(st, &['"', '\'', '\u{201c}', '\u{201d}', '}'], start);
        self.ch(end) == Some('}')
    }

    /// An identifier-like key at `key_idx` followed by `:`.
    pub(super) fn bare_key_is_followed_by_colon(&self, key_idx: isize) -> bool {
        if !self.ch(key_idx).is_some_and(|k| is_alnum(k) || k == '_') {
            return false;
        }
        let end = self.scroll(self.scan_bare_key(key_idx));
        self.ch(end) == Some(':')
    }

    /// The offset just past the balanced container opening at `idx` (or `idx` itself when
    /// nothing opens there); `None` when it does not close.
    pub(super) fn skip_inline_container(&self, idx: isize) -> Option<isize> {
        let open = self.ch(idx);
        let Some(open) = open.filter(|&c| is_opener(c)) else {
            return Some(idx);
        };
        let mut stack = vec![closer_of(open)];
        let mut i = idx + 1;
        while let Some(&expected) = stack.last() {
            let c = self.ch(i)?;
            if is_quote(c) {
                let end = matching_quote(c);
                i = self.skip_to_char(end, i + 1);
                if self.ch(i) != Some(end) {
                    return None;
                }
            } else if is_opener(c) && self.starts_nested_inline_container(i) {
                stack.push(closer_of(c));
            } else if c == expected {
                stack.pop();
                if stack.is_empty() {
                    return Some(i + 1);
                }
            }
            i += 1;
        }
        None
    }

    /// Does the bracket at `idx` open a nested container (rather than being text)?
    fn starts_nested_inline_container(&self, idx: isize) -> bool {
        let open = self.ch(idx);
        let mut prev_idx = idx - 1;
        while prev_idx >= 0 {
            let Some(prev) = self.ch(prev_idx) else {
                return true;
            };
            if !is_space(prev) {
                if is_opener(prev) {
                    return true;
                }
                if prev != ',' && prev != ':' {
                    return false;
                }
                let next_idx = self.scroll(idx + 1);
                let next = self.ch(next_idx);
                if open == Some('[') || open == Some('(') {
                    return one_of(next, &[']', ')', '"', '\'', '\u{201c}', '\u{201d}', '-'])
                        || next.is_some_and(is_opener)
                        || one_of(next, &['t', 'f', 'n'])
                        || next.is_some_and(is_digit);
                }
                if open != Some('{') {
                    return false;
                }
                if next == Some('}') || is_quote_opt(next) {
                    return true;
                }
                return prev == ':' && self.bare_key_is_followed_by_colon(next_idx);
            }
            prev_idx -= 1;
        }
        true
    }

    /// Skips whitespace and comments starting at offset `idx`.
    fn scroll_comment_prefixed_member_start(&self, idx: isize) -> isize {
        let mut idx = self.scroll(idx);
        loop {
            let c = self.ch(idx);
            if c == Some('#') {
                while self.ch(idx).is_some_and(|c| c != '\n' && c != '\r') {
                    idx += 1;
                }
                idx = self.scroll(idx);
                continue;
            }
            if c == Some('/') {
                match self.ch(idx + 1) {
                    Some('/') => {
                        idx += 2;
                        while self.ch(idx).is_some_and(|c| c != '\n' && c != '\r') {
                            idx += 1;
                        }
                        idx = self.scroll(idx);
                        continue;
                    }
                    Some('*') => {
                        idx += 2;
                        loop {
                            match self.ch(idx) {
                                None => return idx,
                                Some('*') if self.ch(idx + 1) == Some('/') => {
                                    idx += 2;
                                    break;
                                }
                                Some(_) => idx += 1,
                            }
                        }
                        idx = self.scroll(idx);
                        continue;
                    }
                    _ => {}
                }
            }
            return idx;
        }
    }

    /// `"` at `quote_idx` followed by `, "key":` (or `, key:`).
    fn quoted_object_member_follows(&self, quote_idx: isize) -> bool {
        let comma = self.scroll(quote_idx + 1);
        if self.ch(comma) != Some(',') {
            return false;
        }
        let next = self.scroll_comment_prefixed_member_start(comma + 1);
        self.object_member_starts_at(next)
    }

    fn object_member_starts_at(&self, idx: isize) -> bool {
        let Some(c) = self.ch(idx) else {
            return false;
        };
        if c == '}' {
            return false;
        }
        if is_quote(c) {
            let end_quote = matching_quote(c);
            let end = self.skip_to_char(end_quote, idx + 1);
            if self.ch(end) != Some(end_quote) {
                return false;
            }
            return self.ch(self.scroll(end + 1)) == Some(':');
        }
        if is_alnum(c) || c == '_' {
            return self.bare_key_is_followed_by_colon(idx);
        }
        false
    }

    fn post_fence_container_starts_next_member(&self, end: isize) -> bool {
        let after_idx = self.scroll(end);
        let after = self.ch(after_idx);
        if after.is_none() || after == Some('}') {
            return true;
        }
        if after != Some(',') {
            return false;
        }
        let next = self.scroll_comment_prefixed_member_start(after_idx + 1);
        let n = self.ch(next);
        n.is_none() || n == Some('}') || self.object_member_starts_at(next)
    }

    /// A `}` followed by a code fence inside an object value: is the fenced snippet part of
    /// the string (a quote that closes the value comes later)?
    pub(super) fn brace_before_code_fence_belongs_to_string(
        &self,
        st: &mut StrState,
        fence: isize,
    ) -> bool {
        let mut search = fence + 3;
        let content = self.scroll_comment_prefixed_member_start(search);
        let mut keep_container = false;
        if self.ch(content).is_some_and(is_opener) {
            if let Some(end) = self.skip_inline_container(content) {
                if self.post_fence_container_starts_next_member(end) {
                    return false;
                }
                keep_container = true;
                search = end;
            }
        }
        let outer = st.rquote;
        let mut quote = self.skip_to_char(outer, search);
        while self.ch(quote) == Some(outer) {
            let after = self.ch(self.scroll(quote + 1));
            if after.is_none() || one_of(after, &[',', '}', ']']) {
                if keep_container {
                    st.pending_inline_container = true;
                }
                return true;
            }
            quote = self.skip_to_char(outer, quote + 1);
        }
        false
    }
}

/// Tracks `[`/`{` opened inside an object value after a comma that announced a container.
/// Returns whether `c` closes such a container (and so belongs to the string).
pub(super) fn update_inline_container_stack(st: &mut StrState, c: char) -> bool {
    if c == '{' || c == '[' {
        if st.pending_inline_container {
            st.inline_stack.push(c);
            st.pending_inline_container = false;
            return false;
        }
        if !st.inline_stack.is_empty() {
            st.inline_stack.push(c);
        }
    }
    let closes = match st.inline_stack.last() {
        Some('{') => c == '}',
        Some('[') => c == ']',
        _ => false,
    };
    if closes {
        st.inline_stack.pop();
    }
    closes
}
