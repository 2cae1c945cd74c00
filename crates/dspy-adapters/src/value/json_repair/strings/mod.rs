//! Strings: quoted, unquoted and oddly quoted strings, and the literals `true`, `false`
//! and `null` that look like them.

mod body;
mod delimiters;
mod state;

use serde_json::Value;

use super::chars::{is_alnum, is_quote, is_quote_opt, is_space, one_of};
use super::parser::{Ctx, Parser};
use super::py_value::empty_string;
use state::StrState;

fn lower_is(c: Option<char>, expected: char) -> bool {
    c.is_some_and(|c| {
        let mut lower = c.to_lowercase();
        lower.next() == Some(expected) && lower.next().is_none()
    })
}

impl Parser {
    pub(super) fn parse_string(&mut self) -> Value {
        let mut st = match self.open_string() {
            Ok(st) => st,
            Err(direct) => return direct,
        };
        // A ```` ```json ... ``` ```` block right after the opening quote is parsed as JSON
        // (here, with little on the stack, as this recursion can go deep).
        if self.llm_block_starts_here() {
            self.index += 7;
            if !self.enter() {
                return empty_string();
            }
            let value = self.parse_json();
            self.leave();
            // json_repair treats a block holding `false` as no block (and goes on from there).
            if value != Value::Bool(false) {
                return value;
            }
        }
        if let Err(direct) = self.handle_leading_quotes(&mut st) {
            return direct;
        }
        let last = self.scan_string_body(&mut st);
        Value::String(self.finalize_string(*st, last))
    }

    /// Comments where a string was expected.
    fn parse_comment(&mut self) -> Value {
        loop {
            self.skip_comment();
            if !self.ctx_empty() {
                return empty_string();
            }
            self.skip_whitespaces();
            if !one_of(self.cur(), &['#', '/']) {
                return self.parse_json();
            }
        }
    }

    /// Finds the opening quote (or the start of an unquoted literal) and handles the cases
    /// that end the parse right away (`Err` holds the result).
    fn open_string(&mut self) -> Result<Box<StrState>, Value> {
        if one_of(self.cur(), &['#', '/']) {
            return Err(self.parse_comment());
        }
        while self.cur().is_some_and(|c| !is_quote(c) && !is_alnum(c)) {
            self.index += 1;
        }
        let Some(c) = self.cur() else {
            return Err(empty_string());
        };
        if let Some(simple) = self.try_parse_simple_quoted_string() {
            return Err(Value::String(simple));
        }
        let mut st = Box::new(StrState::new());
        if c == '\'' {
            st.lquote = '\'';
            st.rquote = '\'';
        } else if c == '\u{201c}' {
            st.lquote = '\u{201c}';
            st.rquote = '\u{201d}';
        } else if is_alnum(c) {
            if matches!(c, 't' | 'T' | 'f' | 'F' | 'n' | 'N') && !self.is_current(Ctx::ObjectKey) {
                if let Some(literal) = self.parse_boolean_or_null() {
                    return Err(literal);
                }
            }
            st.missing_quotes = true;
        }
        if !st.missing_quotes {
            self.index += 1;
        }
        Ok(st)
    }

    /// Quotes right after the opening one: `""`, `""value""`, `""quoted" rest"`.
    fn handle_leading_quotes(&mut self, st: &mut StrState) -> Result<(), Value> {
        if self.cur() == Some(st.lquote) {
            let next = self.ch(1);
            let empty_here = match self.current() {
                Some(Ctx::ObjectKey) => next == Some(':'),
                Some(Ctx::ObjectValue) => one_of(next, &[',', '}']),
                Some(Ctx::Array) => one_of(next, &[',', ']']),
                None => false,
            };
            if empty_here {
                self.index += 1;
                return Err(empty_string());
            }
            if next == Some(st.lquote) {
                // A doubled quote and then a quote again.
                return Err(empty_string());
            }
            let i = self.skip_to_char(st.rquote, 1);
            if self.ch(i + 1) == Some(st.rquote) {
                // `""value""`
                st.doubled_quotes = true;
                self.index += 1;
            } else {
                if self.ch(i) == Some(st.rquote) {
                    let outer = self.skip_to_char(st.rquote, i + 1);
                    let after = self.ch(self.scroll(outer + 1));
                    if self.is_current(Ctx::ObjectValue)
                        && !self.only_whitespace_until(i)
                        && self.ch(outer) == Some(st.rquote)
                        && (after.is_none() || one_of(after, &[',', '}']))
                    {
                        // `""quoted" rest"` — the leading quote starts a quoted span.
                        st.append(st.lquote);
                        st.unmatched_delimiter = true;
                        self.index += 1;
                        return Ok(());
                    }
                }
                let next = self.ch(self.scroll(1));
                if is_quote_opt(next) || one_of(next, &['{', '[']) {
                    self.index += 1;
                    return Err(empty_string());
                }
                if !one_of(next, &[',', ']', '}']) {
                    // A doubled quote by mistake: drop one.
                    self.index += 1;
                }
            }
        }
        Ok(())
    }

    /// A plain `"..."` string (no escapes or line breaks) followed by what the context
    /// expects.
    fn try_parse_simple_quoted_string(&mut self) -> Option<String> {
        if self.cur() != Some('"') {
            return None;
        }
        let start = self.index + 1;
        let end = start + self.s.get(start..)?.iter().position(|&c| c == '"')?;
        let value = self.s.get(start..end)?;
        if value.iter().any(|c| matches!(c, '\\' | '\n' | '\r')) {
            return None;
        }
        let mut next = end + 1;
        while self.s.get(next).is_some_and(|&c| is_space(c)) {
            next += 1;
        }
        let next = self.s.get(next).copied();
        let fits = match self.current() {
            Some(Ctx::ObjectKey) => next == Some(':'),
            Some(Ctx::ObjectValue) => next.is_none() || one_of(next, &[',', '}']),
            Some(Ctx::Array) => next.is_none() || one_of(next, &[',', ']']),
            None => next.is_none(),
        };
        if !fits {
            return None;
        }
        let value: String = value.iter().collect();
        self.index = end + 1;
        Some(value)
    }

    /// `true`/`false`/`null`/`none` in any case, followed by a separator.
    fn parse_boolean_or_null(&mut self) -> Option<Value> {
        let start = self.index;
        let first = self.cur();
        let literals = [
            ("true", Value::Bool(true)),
            ("false", Value::Bool(false)),
            ("null", Value::Null),
            ("none", Value::Null),
        ];
        for (word, value) in literals {
            if !word.chars().next().is_some_and(|w| lower_is(first, w)) {
                continue;
            }
            self.index = start;
            let mut matched = true;
            for expected in word.chars() {
                if !lower_is(self.cur(), expected) {
                    matched = false;
                    break;
                }
                self.index += 1;
            }
            if matched {
                let next = self.cur();
                if next.is_none()
                    || next.is_some_and(is_space)
                    || one_of(next, &[',', ')', ']', '}'])
                {
                    return Some(value);
                }
            }
        }
        self.index = start;
        None
    }

    /// Does a ```` ```json ... ``` ```` block start at the cursor?
    fn llm_block_starts_here(&self) -> bool {
        let opener: [char; 7] = ['`', '`', '`', 'j', 's', 'o', 'n'];
        if self.slice(self.index, self.index + 7) != opener {
            return false;
        }
        let close = self.abs(self.skip_to_char('`', 7)).max(0) as usize;
        self.slice(close, close + 3) == ['`', '`', '`']
    }

    fn only_whitespace_until(&self, end: isize) -> bool {
        (1..end).all(|j| match self.ch(j) {
            Some(c) => is_space(c),
            None => true,
        })
    }

    fn append_literal(&mut self, st: &mut StrState, c: char) -> Option<char> {
        st.append(c);
        self.index += 1;
        self.cur()
    }

    /// `skip_to` with the per-string cache json_repair keeps (which can answer differently
    /// from a fresh search around escaped quotes, so it is reproduced).
    fn cached_skip_to(&self, st: &mut StrState, targets: &[char], idx: isize) -> isize {
        let start = self.abs(idx);
        let len = self.len() as isize;
        let here = self.index as isize;
        if let Some((_, cached_start, cached_match)) = st
            .lookahead_cache
            .iter()
            .find(|(t, _, _)| t.as_slice() == targets)
        {
            match *cached_match {
                None if start >= *cached_start => return len - here,
                Some(m) if *cached_start <= start && start <= m => return m - here,
                _ => {}
            }
        }
        let offset = self.skip_to(targets, idx);
        let entry = if self.ch(offset).is_none() {
            Some((start, None))
        } else {
            let m = here + offset;
            (m == 0 || self.at(m - 1) != Some('\\')).then_some((start, Some(m)))
        };
        if let Some((s, m)) = entry {
            match st
                .lookahead_cache
                .iter_mut()
                .find(|(t, _, _)| t.as_slice() == targets)
            {
                Some(slot) => {
                    slot.1 = s;
                    slot.2 = m;
                }
                None => st.lookahead_cache.push((targets.to_vec(), s, m)),
            }
        }
        offset
    }
}
