//! The top level: one or more values, and valid JSON found inside the text.

use serde_json::Value;

use super::chars::{closer_of, is_space};
use super::parser::Parser;
use super::py_value::{empty_string, same_shape, truthy};
use super::scan::{Scanned, Scanner};
use super::strict;

impl Parser {
    pub(super) fn parse(&mut self) -> Value {
        let first = self.parse_json();
        if self.index >= self.len() {
            return first;
        }
        let mut values = vec![first];
        while self.index < self.len() {
            self.clear_ctx();
            self.deferred.clear();
            let comma_separated = self.next_top_level_value_is_comma_separated();
            let before = self.index;
            let j = self.parse_json();
            if truthy(&j) {
                let replace = match values.last() {
                    Some(last) => (!comma_separated && same_shape(last, &j)) || !truthy(last),
                    None => false,
                };
                if replace {
                    values.pop();
                }
                values.push(j);
                if self.index == before {
                    self.index += 1;
                }
            } else {
                self.index += 1;
            }
        }
        if values.len() == 1 {
            values.pop().unwrap_or_else(empty_string)
        } else {
            Value::Array(values)
        }
    }

    fn next_top_level_value_is_comma_separated(&self) -> bool {
        if self.ch(self.scroll(0)) == Some(',') {
            return true;
        }
        let mut i = self.index;
        while i > 0 && self.s.get(i - 1).is_some_and(|&c| is_space(c)) {
            i -= 1;
        }
        i > 0 && self.s.get(i - 1) == Some(&',')
    }

    /// At the very start of the text: does the first container close and get followed by
    /// something other than a comma? (Anywhere else: always true.)
    pub(super) fn initial_container_has_non_comma_trailing_content(&self) -> bool {
        if self.index != 0 {
            return true;
        }
        let mut stack: Vec<char> = Vec::new();
        let mut scanner = Scanner::json();
        for (i, &c) in self.s.iter().enumerate() {
            if !matches!(scanner.step(c), Scanned::Code { .. }) {
                continue;
            }
            match c {
                '{' | '[' => stack.push(c),
                '}' | ']' => {
                    match stack.pop() {
                        Some(open) if closer_of(open) == c => {}
                        _ => return false,
                    }
                    if stack.is_empty() {
                        let rest = self.s.get(i + 1..).unwrap_or(&[]);
                        return rest
                            .iter()
                            .find(|&&c| !is_space(c))
                            .is_some_and(|&c| c != ',');
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// Once per parse, at the top level: if a strictly valid JSON value starts here, take it.
    pub(super) fn try_parse_valid_json_value(&mut self) -> Option<Value> {
        self.tried_valid_suffix = true;
        let (value, end) = strict::raw_decode(&self.s, self.index)?;
        self.index = end;
        Some(value)
    }

    /// `"a": 1}` — a whole input that is valid JSON once a `{` is put in front.
    pub(super) fn try_parse_missing_opening_object(&mut self, quote: char) -> Option<Value> {
        if self.scroll(-(self.index as isize)) != 0 {
            return None;
        }
        let offset = self.skip_to_char(quote, 1);
        self.ch(offset)?;
        let offset = self.scroll(offset + 1);
        if self.ch(offset) != Some(':') {
            return None;
        }
        let end = self.scroll_back(self.len() as isize - self.index as isize - 1);
        if self.ch(end) != Some('}') {
            return None;
        }
        let mut candidate = Vec::with_capacity(self.len() + 1);
        candidate.push('{');
        candidate.extend_from_slice(&self.s);
        let (value, end) = strict::raw_decode(&candidate, 0)?;
        let rest = candidate.get(end..).unwrap_or(&[]);
        if !rest.iter().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n')) {
            return None;
        }
        self.index = self.len();
        Some(value)
    }
}
