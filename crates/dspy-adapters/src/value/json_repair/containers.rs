//! Containers: nesting depth, arrays (and tuples), and objects with their repairs.

use serde_json::{Map, Value};

use super::chars::{
    contains_seq, is_quote, is_quote_opt, is_space, lstrip, one_of, unescape_quote,
};
use super::parser::{Ctx, Parser};
use super::py_value::{empty_string, strictly_empty};
use super::scan::{Scanned, Scanner};
use super::MAX_DEPTH;

/// The result of reading an object's members.
enum ObjectBody {
    Members(Map<String, Value>),
    /// The object was repaired into something else (or nesting ran too deep).
    Other(Value),
}

/// How the empty result of an object parse should be repaired.
enum EmptyObjectRepair {
    Keep,
    Array,
    Object(Vec<char>),
}

impl Parser {
    /// Goes one nesting level deeper; false, with the rest of the input dropped, past
    /// [`MAX_DEPTH`]. Each true is paired with a [`Parser::leave`].
    pub(super) fn enter(&mut self) -> bool {
        if self.depth >= MAX_DEPTH {
            self.index = self.len();
            return false;
        }
        self.depth += 1;
        true
    }

    pub(super) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Parses array items up to `closing` (`]`, or `)` for tuples); the opener is consumed.
    pub(super) fn parse_array(&mut self, closing: char) -> Vec<Value> {
        if !self.enter() {
            return Vec::new();
        }
        let items = self.parse_array_items(closing);
        self.leave();
        items
    }

    fn parse_array_items(&mut self, closing: char) -> Vec<Value> {
        let array_is_object_value = self.is_current(Ctx::ObjectValue);
        let mut closed_before_parent_member = false;
        let mut items: Vec<Value> = Vec::new();
        let mut has_container = false;
        self.push_ctx(Ctx::Array);
        loop {
            self.skip_whitespace_and_comments();
            let Some(c) = self.cur() else { break };
            if c == closing || c == '}' {
                break;
            }
            if c == ',' {
                self.index += 1;
                continue;
            }
            let before = self.index;
            let value = if is_quote(c) {
                // A string followed by ':' is an object whose '{' went missing.
                let i = self.skip_to_char(c, 1);
                let i = self.scroll(i + 1);
                if self.ch(i) == Some(':') {
                    if array_is_object_value && !items.is_empty() && !has_container {
                        // `"k": ["a", "b", "c": 1]` — the array ended before the next member.
                        closed_before_parent_member = true;
                        break;
                    }
                    self.parse_object()
                } else {
                    self.parse_string()
                }
            } else {
                self.parse_json()
            };
            if strictly_empty(&value) && !one_of(self.cur(), &[closing, ',']) {
                self.index += 1;
            } else if matches!(&value, Value::String(s) if s == "...") && self.ch(-1) == Some('.') {
                // A literal `...` placeholder: drop it.
            } else {
                has_container |= matches!(value, Value::Object(_) | Value::Array(_));
                items.push(value);
            }
            if self.index == before {
                self.index += 1;
            }
        }
        if !closed_before_parent_member {
            self.index += 1;
        }
        self.pop_ctx();
        items
    }

    /// Parses an object's members; the `{` is consumed (or was missing).
    pub(super) fn parse_object(&mut self) -> Value {
        match self.parse_nested_object_members() {
            ObjectBody::Members(obj) => self.complete_object(obj),
            ObjectBody::Other(value) => value,
        }
    }

    fn parse_nested_object_members(&mut self) -> ObjectBody {
        if !self.enter() {
            return ObjectBody::Other(empty_string());
        }
        let body = self.parse_object_members();
        self.leave();
        body
    }

    /// The members up to the closing `}`; or what the object was repaired into.
    fn parse_object_members(&mut self) -> ObjectBody {
        let mut obj: Map<String, Value> = Map::new();
        // The shape of the last member's array while arrays keep merging into it.
        let mut shape: Option<RowShape> = None;
        let start = self.index;
        let parsing_object_value = self.is_current(Ctx::ObjectValue);
        loop {
            self.skip_whitespace_and_comments();
            let Some(c) = self.cur() else { break };
            if c == '}' {
                break;
            }
            if c == ',' {
                self.index += 1;
                continue;
            }
            let before = self.index;
            if c == ':' {
                // A ':' before any key: skip it.
                self.index += 1;
            }
            let (key, rollback) = self.parse_object_key(&mut obj, &mut shape);
            if self.in_ctx(Ctx::Array)
                && obj.contains_key(&key)
                && !parsing_object_value
                && self.should_split_duplicate_object(rollback)
                && self.split_object_on_duplicate_key(rollback)
            {
                // `[{a: 1, a: 2}]` — a repeated key starts the next object of the array.
                break;
            }
            self.skip_whitespace_and_comments();
            match self.cur() {
                None | Some('}') => continue,
                // Anything else stands for the ':' (which may be missing) and is skipped.
                Some(_) => self.index += 1,
            }
            let value = self.parse_object_value();
            obj.insert(key, value);
            shape = None;
            if one_of(self.cur(), &[',', '\'', '"']) {
                self.index += 1;
            }
            if self.cur() == Some(']') && self.in_ctx(Ctx::Array) {
                // The array closes before the object did: close the object here.
                self.back(1);
                break;
            }
            if self.index == before {
                self.index += 1;
            }
        }
        self.index += 1;
        match self.repair_empty_object(&obj, start) {
            Some(value) => ObjectBody::Other(value),
            None => ObjectBody::Members(obj),
        }
    }

    /// Reads an object key; returns it and where its parse started.
    fn parse_object_key(
        &mut self,
        obj: &mut Map<String, Value>,
        shape: &mut Option<RowShape>,
    ) -> (String, usize) {
        let mut key = String::new();
        let mut rollback = self.index;
        self.push_ctx(Ctx::ObjectKey);
        while self.cur().is_some() {
            rollback = self.index;
            if self.cur() == Some('[')
                && key.is_empty()
                && self.merge_array_continuation(obj, shape)
            {
                continue;
            }
            key = match self.parse_string() {
                Value::String(s) => s,
                _ => String::new(),
            };
            if key.is_empty() {
                self.skip_whitespace_and_comments();
            }
            if !key.is_empty() || one_of(self.cur(), &[':', '}']) {
                break;
            }
            if self.index == rollback {
                self.index += 1;
            }
        }
        self.pop_ctx();
        (key, rollback)
    }

    /// `{"a": [1, 2], [3, 4]}` — an array where a key should be continues the previous
    /// member's array. Returns false when there is no such member.
    fn merge_array_continuation(
        &mut self,
        obj: &mut Map<String, Value>,
        shape: &mut Option<RowShape>,
    ) -> bool {
        match obj.iter().next_back() {
            Some((key, Value::Array(_))) if !key.is_empty() => {}
            _ => return false,
        }
        self.index += 1;
        let new_items = self.parse_array(']');
        if let Some(Value::Array(prev)) = obj.values_mut().next_back() {
            let shape = shape.get_or_insert_with(|| RowShape::of(prev));
            merge_rows(prev, new_items, shape);
        }
        self.skip_whitespace_and_comments();
        if self.cur() == Some(',') {
            self.index += 1;
        }
        self.skip_whitespace_and_comments();
        true
    }

    /// Whether a duplicate key (whose parse started at `rollback`) should start a new object
    /// rather than overwrite: not when it is a normal `, "key":` member.
    fn should_split_duplicate_object(&self, rollback: usize) -> bool {
        let mut look = rollback as isize - self.index as isize - 1;
        let mut prev = self.ch(look);
        while prev.is_some_and(is_space) {
            look -= 1;
            prev = self.ch(look);
        }
        let key_start = self.ch(rollback as isize - self.index as isize);
        let next = self.ch(self.scroll(0));
        !(is_quote_opt(key_start) && prev == Some(',') && next == Some(':'))
    }

    /// Inserts a `{` where the duplicate key started and moves the cursor just before it.
    fn split_object_on_duplicate_key(&mut self, rollback: usize) -> bool {
        if rollback == 0 || !self.edit_text(rollback..rollback, &['{']) {
            return false;
        }
        self.index = rollback - 1;
        true
    }

    fn parse_object_value(&mut self) -> Value {
        self.push_ctx(Ctx::ObjectValue);
        self.skip_whitespace_and_comments();
        let value = if one_of(self.cur(), &[',', '}']) {
            empty_string()
        } else {
            self.parse_json()
        };
        self.pop_ctx();
        value
    }

    /// An object that came out empty although it had content may really be an array
    /// (`{"a", "b"}`) or an object with escaped quotes (`{\"a\": 1}`).
    fn repair_empty_object(&mut self, obj: &Map<String, Value>, start: usize) -> Option<Value> {
        if !obj.is_empty() || self.index.saturating_sub(start) <= 2 {
            return None;
        }
        if !self.charge(2 * (self.index - start) + 2) {
            return None;
        }
        let body = self.slice(start, self.index.saturating_sub(1));
        if self.ch(-1) == Some('}') && strip_comments(body).iter().all(|&c| is_space(c)) {
            return None;
        }
        match self.classify_empty_object(start) {
            EmptyObjectRepair::Keep => None,
            EmptyObjectRepair::Object(normalized) => {
                let end = (self.index + 1).min(self.len());
                let open = start.saturating_sub(1).min(end);
                if !self.edit_text(open..end, &normalized) {
                    return None;
                }
                self.index = start;
                self.push_ctx(Ctx::ObjectKey);
                let value = self.parse_object();
                self.pop_ctx();
                self.deferred.push(Ctx::ObjectKey);
                Some(value)
            }
            EmptyObjectRepair::Array => {
                self.index = start;
                self.push_ctx(Ctx::ObjectKey);
                let items = self.parse_array(']');
                self.pop_ctx();
                self.deferred.push(Ctx::ObjectKey);
                Some(Value::Array(items))
            }
        }
    }

    fn classify_empty_object(&self, start: usize) -> EmptyObjectRepair {
        let attempted = self.slice(start.saturating_sub(1), self.index + 1);
        let mut body = attempted.get(1..).unwrap_or(&[]);
        if body.last() == Some(&'}') {
            body = body.get(..body.len() - 1).unwrap_or(&[]);
        }
        let body = lstrip(body);
        if body.is_empty() {
            return EmptyObjectRepair::Keep;
        }
        for q in ['"', '\''] {
            if body.first() == Some(&'\\')
                && body.get(1) == Some(&q)
                && contains_seq(body, &['\\', q, ':'])
            {
                let normalized = unescape_quote(&unescape_quote(attempted, '"'), '\'');
                return EmptyObjectRepair::Object(normalized);
            }
        }
        let stripped = strip_comments(body);
        let body = lstrip(&stripped);
        if body.is_empty() {
            return EmptyObjectRepair::Keep;
        }
        let mut scanner = Scanner::lenient();
        // Every character goes through the scanner; the first unescaped `:` outside quotes
        // makes it an object.
        let has_colon = body
            .iter()
            .any(|&c| scanner.step(c) == (Scanned::Code { escaped: false }) && c == ':');
        if has_colon {
            EmptyObjectRepair::Keep
        } else {
            EmptyObjectRepair::Array
        }
    }

    fn complete_object(&mut self, mut obj: Map<String, Value>) -> Value {
        if !self.ctx_empty() {
            if self.cur() == Some('}')
                && !matches!(self.current(), Some(Ctx::ObjectKey | Ctx::ObjectValue))
            {
                // An extra closing brace.
                self.index += 1;
            }
            return Value::Object(obj);
        }
        // `{"a": 1}, "b": 2}` — more members after the object closed, maybe more than once.
        // (json_repair recurses here; merging each object into the first in turn gives the
        // same result.)
        loop {
            self.skip_whitespaces();
            if self.cur() != Some(',') {
                break;
            }
            self.index += 1;
            self.skip_whitespaces();
            if !is_quote_opt(self.cur()) {
                break;
            }
            match self.parse_nested_object_members() {
                ObjectBody::Members(more) => {
                    for (k, v) in more {
                        obj.insert(k, v);
                    }
                }
                ObjectBody::Other(_) => break,
            }
        }
        Value::Object(obj)
    }
}

/// The lengths of the lists inside a list, as far as [`merge_rows`] cares; kept up to date
/// while arrays keep merging into the same member, so that stays linear.
#[derive(Clone, Copy)]
struct RowShape {
    rows: usize,
    first_len: usize,
    uniform: bool,
}

impl RowShape {
    fn of(items: &[Value]) -> Self {
        let mut shape = RowShape {
            rows: 0,
            first_len: 0,
            uniform: true,
        };
        shape.add(items);
        shape
    }

    fn add(&mut self, items: &[Value]) {
        for item in items {
            if let Value::Array(row) = item {
                if self.rows == 0 {
                    self.first_len = row.len();
                } else if row.len() != self.first_len {
                    self.uniform = false;
                }
                self.rows += 1;
            }
        }
    }

    /// The common length of the rows; 0 when there are none or they differ.
    fn row_len(&self) -> usize {
        if self.rows > 0 && self.uniform {
            self.first_len
        } else {
            0
        }
    }
}

/// Merges the array that follows an array member (`{"a": [..], [..]}`) into it, keeping
/// rows of a table together.
fn merge_rows(prev: &mut Vec<Value>, mut new_items: Vec<Value>, shape: &mut RowShape) {
    let expected = shape.row_len();
    if expected == 0 {
        if let [Value::Array(_)] = new_items.as_slice() {
            if let Some(Value::Array(inner)) = new_items.pop() {
                new_items = inner;
            }
        }
        shape.add(&new_items);
        prev.extend(new_items);
        return;
    }
    // Scalars after the last row: group them into rows when they divide evenly.
    let rows_end = prev.iter().rposition(Value::is_array).map_or(0, |p| p + 1);
    let tail = prev.split_off(rows_end);
    if !tail.is_empty() && tail.chunks_exact(expected).remainder().is_empty() {
        let mut rest = tail.into_iter();
        loop {
            let row: Vec<Value> = rest.by_ref().take(expected).collect();
            if row.is_empty() {
                break;
            }
            prev.push(Value::Array(row));
            shape.rows += 1;
        }
    } else {
        prev.extend(tail);
    }
    if new_items.is_empty() {
        return;
    }
    if new_items.iter().all(Value::is_array) {
        shape.add(&new_items);
        prev.extend(new_items);
    } else {
        let row = Value::Array(new_items);
        shape.add(std::slice::from_ref(&row));
        prev.push(row);
    }
}

/// Removes `#`, `//` and `/* */` comments outside quotes.
fn strip_comments(body: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(body.len());
    let mut scanner = Scanner::lenient();
    let mut i = 0;
    while let Some(&c) = body.get(i) {
        let next = body.get(i + 1).copied();
        if !matches!(scanner.step(c), Scanned::Code { .. }) {
            out.push(c);
            i += 1;
            continue;
        }
        if c == '#' || (c == '/' && next == Some('/')) {
            i += if c == '/' { 2 } else { 1 };
            while body.get(i).is_some_and(|&c| c != '\n' && c != '\r') {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < body.len()
                && !(body.get(i) == Some(&'*') && body.get(i + 1) == Some(&'/'))
            {
                i += 1;
            }
            i = (i + 2).min(body.len());
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}
