//! Reading one value: dispatch on its first character, comments, `(...)`, and numbers.

use serde_json::Value;

use super::chars::{is_alpha, is_digit, is_quote, is_space, one_of};
use super::parser::{Ctx, Parser};
use super::py_value::{empty_string, py_float, py_int};
use super::scan::{Scanned, Scanner};

impl Parser {
    pub(super) fn parse_json(&mut self) -> Value {
        if !self.deferred.is_empty() {
            let deferred = std::mem::take(&mut self.deferred);
            for &c in &deferred {
                self.push_ctx(c);
            }
            let value = self.parse_json();
            for _ in &deferred {
                self.pop_ctx();
            }
            return value;
        }
        let mut check_initial_quote = self.index == 0 && self.ctx_empty();
        loop {
            let Some(c) = self.cur() else {
                return empty_string();
            };
            if (c == '{' || c == '[')
                && !self.tried_valid_suffix
                && self.ctx_empty()
                && self.initial_container_has_non_comma_trailing_content()
            {
                if let Some(value) = self.try_parse_valid_json_value() {
                    return value;
                }
            }
            match c {
                '{' => {
                    self.index += 1;
                    return self.parse_object();
                }
                '[' => {
                    self.index += 1;
                    return Value::Array(self.parse_array(']'));
                }
                '(' => {
                    if !self.ctx_empty() || self.top_level_parenthesized_can_start_value() {
                        return self.parse_parenthesized();
                    }
                    self.index += 1;
                    continue;
                }
                _ => {}
            }
            if !self.ctx_empty() && (is_quote(c) || is_alpha(c)) {
                return self.parse_string();
            }
            if !self.ctx_empty() && (is_digit(c) || c == '-' || c == '.') {
                return self.parse_number();
            }
            if c == '#' || c == '/' {
                if !self.ctx_empty() {
                    self.skip_comment();
                    return empty_string();
                }
                // A run of top-level comments, then whatever follows.
                loop {
                    self.skip_comment();
                    self.skip_whitespaces();
                    if !one_of(self.cur(), &['#', '/']) {
                        break;
                    }
                }
                check_initial_quote = false;
                continue;
            }
            if is_quote(c) && check_initial_quote {
                check_initial_quote = false;
                if let Some(value) = self.try_parse_missing_opening_object(c) {
                    return value;
                }
            }
            self.index += 1;
        }
    }

    /// Skips one comment (`#`, `//` or `/* */`), or one stray `/`.
    pub(super) fn skip_comment(&mut self) {
        let c = self.cur();
        if c == Some('#') || (c == Some('/') && self.ch(1) == Some('/')) {
            let mut stops = vec!['\n', '\r'];
            if c == Some('#') {
                if self.in_ctx(Ctx::Array) {
                    stops.push(']');
                }
                if self.in_ctx(Ctx::ObjectValue) {
                    stops.push('}');
                }
                if self.in_ctx(Ctx::ObjectKey) {
                    stops.push(':');
                }
            }
            while self.cur().is_some_and(|c| !stops.contains(&c)) {
                self.index += 1;
            }
        } else if c == Some('/') && self.ch(1) == Some('*') {
            self.index += 2;
            // The comment ends at the first "*/", where the opening "/*" counts: "/*/" is a
            // whole comment.
            let mut prev = '*';
            while let Some(c) = self.cur() {
                self.index += 1;
                if prev == '*' && c == '/' {
                    break;
                }
                prev = c;
            }
        } else if c == Some('/') {
            self.index += 1;
        }
    }

    fn parse_parenthesized(&mut self) -> Value {
        let explicit_tuple = self.parenthesized_is_explicit_tuple();
        self.index += 1;
        let mut values = self.parse_array(')');
        if explicit_tuple || values.len() != 1 {
            Value::Array(values)
        } else {
            values.pop().unwrap_or_else(empty_string)
        }
    }

    /// Is the `(` at the cursor an explicit tuple (`()`, `(1,)`, `(1, 2)`) rather than a
    /// grouped value like `(1)`?
    fn parenthesized_is_explicit_tuple(&self) -> bool {
        let mut parens = 0usize;
        let mut brackets = 0usize;
        let mut braces = 0usize;
        let mut scanner = Scanner::lenient();
        let mut saw_content = false;
        let first = self.index + 1;
        let limit = first.saturating_add(self.work_budget.get());
        let mut i = first;
        let result = loop {
            let Some(&c) = self.s.get(i) else {
                break !saw_content;
            };
            if i >= limit {
                // Out of budget: call it a tuple.
                break true;
            }
            i += 1;
            let top = parens == 0 && brackets == 0 && braces == 0;
            match scanner.step(c) {
                Scanned::Code { .. } => {}
                Scanned::OpenQuote => {
                    saw_content = saw_content || top;
                    continue;
                }
                Scanned::Skip => continue,
            }
            if !is_space(c) && c != ',' && c != ')' && top {
                saw_content = true;
            }
            match c {
                '(' => parens += 1,
                ')' if top => break !saw_content,
                ')' => parens = parens.saturating_sub(1),
                '[' => brackets += 1,
                ']' => brackets = brackets.saturating_sub(1),
                '{' => braces += 1,
                '}' => braces = braces.saturating_sub(1),
                ',' if top => break true,
                _ => {}
            }
        };
        self.charge(i - first);
        result
    }

    /// Does a top-level `(` start a value (a tuple on its own line) rather than prose?
    fn top_level_parenthesized_can_start_value(&self) -> bool {
        let mut i = self.index;
        while i > 0 {
            let c = self.s.get(i - 1).copied().unwrap_or(' ');
            if c == '\n' || c == '\r' {
                break;
            }
            if !is_space(c) {
                return false;
            }
            i -= 1;
        }
        let idx = self.scroll(1);
        let Some(first) = self.ch(idx) else {
            return false;
        };
        let start = self.abs(idx).max(0) as usize;
        let lower: String = self
            .s
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take(5)
            .flat_map(|c| c.to_lowercase())
            .collect();
        let starts = |w: &str| lower.starts_with(w);
        if !matches!(first, ')' | '{' | '[' | '(')
            && !is_quote(first)
            && !is_digit(first)
            && first != '-'
            && first != '.'
            && !starts("true")
            && !starts("null")
            && !starts("none")
            && !starts("false")
        {
            return false;
        }
        let mut parens: isize = 0;
        let mut brackets = 0usize;
        let mut braces = 0usize;
        let mut scanner = Scanner::lenient();
        let first = self.index + 1;
        let limit = first.saturating_add(self.work_budget.get());
        let mut i = first;
        let result = loop {
            let Some(&c) = self.s.get(i) else {
                break true;
            };
            if i >= limit {
                // Out of budget: treat it as prose.
                break false;
            }
            i += 1;
            if !matches!(scanner.step(c), Scanned::Code { .. }) {
                continue;
            }
            match c {
                '(' => parens += 1,
                ')' if parens == 0 && brackets == 0 && braces == 0 => {
                    // A value when nothing but whitespace follows on its line.
                    let rest = self.s.get(i..).unwrap_or(&[]);
                    match rest
                        .iter()
                        .find(|&&t| t == '\n' || t == '\r' || !is_space(t))
                    {
                        Some(&t) => break t == '\n' || t == '\r',
                        None => break true,
                    }
                }
                ')' => parens -= 1,
                '[' => brackets += 1,
                ']' => brackets = brackets.saturating_sub(1),
                '{' => braces += 1,
                '}' => braces = braces.saturating_sub(1),
                _ => {}
            }
        };
        self.charge(i - first);
        result
    }

    fn parse_number(&mut self) -> Value {
        let start = self.index;
        let mut text = String::new();
        let in_array = self.is_current(Ctx::Array);
        while let Some(c) = self.cur() {
            let number_char = matches!(c, '0'..='9' | '-' | '.' | 'e' | 'E' | '/' | ',' | '_')
                || (c == '+' && text.ends_with(['e', 'E']));
            if !number_char || (in_array && c == ',') {
                break;
            }
            if c != '_' {
                text.push(c);
            }
            self.index += 1;
        }
        if self.cur().is_some_and(is_alpha) {
            // It was a string after all.
            self.index = start;
            return self.parse_string();
        }
        if text.ends_with(['+', '-', 'e', 'E', '/', ',']) {
            text.pop();
            self.back(1);
        }
        if text.contains(',') {
            return Value::String(text);
        }
        let parsed = if text.contains(['.', 'e', 'E']) {
            py_float(&text)
        } else {
            py_int(&text)
        };
        parsed.unwrap_or(Value::String(text))
    }
}
