//! A port of the behaviour of Python's `json_repair.loads` (0.64.6) that DSPy relies on.
//!
//! LMs asked for JSON often answer with something close to it: a fenced code block, prose
//! around the object, single quotes, Python literals (`True`, `None`), unquoted keys, trailing
//! commas, comments, or output cut off mid-object. [`loads`] reads all of that the way
//! `json_repair.loads` does, so a Rust program gets the same values Python DSPy would.
//!
//! The implementation mirrors json_repair's observable behaviour (checked against the Python
//! library on a differential corpus, see `tests/json_repair.rs`), not its code. It works on the
//! text as a sequence of Unicode scalar values, like Python string indexing does.
//!
//! Differences from Python that cannot be avoided with `serde_json::Value`:
//! * Non-finite floats (`NaN`, `Infinity`, `1e999`) become the strings `"NaN"`, `"Infinity"`
//!   and `"-Infinity"`.
//! * Integers beyond `i64`/`u64` become `f64` (or, beyond `f64`'s range, a string of digits),
//!   where Python keeps an exact `int`.
//! * Lone UTF-16 surrogates from `\uXXXX` escapes become U+FFFD.
//! * Nesting deeper than [`MAX_DEPTH`] levels is cut off (the rest of the input is dropped)
//!   where Python raises a `RecursionError`.

use serde_json::{Map, Number, Value};
use std::cell::{Cell, RefCell};

/// How deep containers may nest in input that needs repair before the rest of the input is
/// dropped. Python's json_repair fails with a `RecursionError` well before this (at 140 to
/// 330 levels, depending on the shape), so nothing it can read is cut off.
pub const MAX_DEPTH: usize = 400;

/// How deep valid JSON may nest: as deep as Python's `json` module reads it (992 levels;
/// deeper, `json_repair.loads` raises). Deeper valid JSON goes through the repairing parser.
const STRICT_MAX_DEPTH: usize = 992;

/// json_repair edits its own input in two repairs: it inserts a `{` to split objects at a
/// duplicate key (`[{a: 1, a: 2}]`) and un-escapes `{\"a\": 1}`. Each edit costs time
/// proportional to the input's length; this bounds their total (in characters). Past it those
/// repairs are skipped, so pathological inputs stay fast: on a 10 kB input that is over 1,500
/// edits, on a 1 MB input 16.
const EDIT_BUDGET: usize = 1 << 24;

/// Reads `text` as JSON, repairing what LMs commonly get wrong; never fails.
/// Returns `Value::String(String::new())` when nothing JSON-like is found (as json_repair does).
///
/// ```
/// use dspy_adapters::value::json_repair::loads;
/// use serde_json::json;
///
/// let text = "Sure! ```json\n{'answer': True, items: [1, 2,], // done\n}\n```";
/// assert_eq!(loads(text), json!({"answer": true, "items": [1, 2]}));
/// assert_eq!(loads("no json here"), json!(""));
/// ```
pub fn loads(text: &str) -> Value {
    let chars: Vec<char> = text.chars().collect();
    if let Some(value) = strict::decode_document(&chars) {
        return value;
    }
    Parser::new(chars).parse()
}

// ---------------------------------------------------------------------------------------------
// Character classes (Python's `str` predicates)
// ---------------------------------------------------------------------------------------------

/// Python's `str.isspace()` for one character.
fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{1c}'..='\u{1f}')
}

/// Python's `str.isalpha()` for one character.
fn is_alpha(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        in_ranges(py_unicode::ALPHA, c)
    }
}

/// Python's `str.isalnum()` for one character.
fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        in_ranges(py_unicode::ALNUM, c)
    }
}

/// Python's `str.isdigit()` for one character.
fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        in_ranges(py_unicode::DIGIT, c)
    }
}

/// Whether `c` lies in one of the sorted inclusive ranges `[first, last, first, last, ...]`.
fn in_ranges(ranges: &[u32], c: char) -> bool {
    let cp = u32::from(c);
    // The number of ranges starting at or before `cp`.
    let (mut lo, mut hi) = (0, ranges.len() / 2);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if ranges.get(2 * mid).is_some_and(|&first| first <= cp) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo > 0 && ranges.get(2 * lo - 1).is_some_and(|&last| cp <= last)
}

/// The quote characters json_repair accepts around strings.
fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\'' | '\u{201c}' | '\u{201d}')
}

fn is_quote_opt(c: Option<char>) -> bool {
    c.is_some_and(is_quote)
}

/// The closing quote for an opening one (only the left smart quote differs).
fn matching_quote(c: char) -> char {
    if c == '\u{201c}' {
        '\u{201d}'
    } else {
        c
    }
}

fn is_opener(c: char) -> bool {
    matches!(c, '[' | '{' | '(')
}

fn closer_of(c: char) -> char {
    match c {
        '[' => ']',
        '{' => '}',
        _ => ')',
    }
}

/// `c in chars`, where `None` is never a member.
fn one_of(c: Option<char>, chars: &[char]) -> bool {
    c.is_some_and(|c| chars.contains(&c))
}

/// Python's `str.strip()` family on a char slice.
fn rstrip(v: &mut Vec<char>) {
    while v.last().is_some_and(|&c| is_space(c)) {
        v.pop();
    }
}

fn lstrip(v: &[char]) -> &[char] {
    let start = v.iter().position(|&c| !is_space(c)).unwrap_or(v.len());
    v.get(start..).unwrap_or(&[])
}

fn contains_seq(hay: &[char], needle: &[char]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Replaces every `\q` (backslash then `quote`) with `quote`, left to right.
fn unescape_quote(v: &[char], quote: char) -> Vec<char> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while let Some(&c) = v.get(i) {
        if c == '\\' && v.get(i + 1) == Some(&quote) {
            out.push(quote);
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Python-like values
// ---------------------------------------------------------------------------------------------

fn empty_string() -> Value {
    Value::String(String::new())
}

/// Python truthiness.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u != 0
            } else if let Some(i) = n.as_i64() {
                i != 0
            } else {
                n.as_f64().is_some_and(|f| f != 0.0)
            }
        }
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// An empty `str`, `list` or `dict`.
fn strictly_empty(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Python type identity for the values json_repair produces.
fn same_type(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.is_f64() == y.is_f64(),
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// Same types and the same keys all the way down (values of scalars are not compared).
fn same_shape(a: &Value, b: &Value) -> bool {
    if !same_type(a, b) {
        return false;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_shape(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_shape(v, w))
        }
        _ => true,
    }
}

/// A float, with non-finite values (which JSON cannot hold) spelled as Python's `json` would.
fn float_value(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None if f.is_nan() => Value::String("NaN".into()),
        None if f > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

/// An integer from an optional `-` and ASCII digits (the caller checks the syntax).
fn int_value(negative: bool, digits: &str) -> Value {
    if let Ok(u) = digits.parse::<u64>() {
        if !negative || u == 0 {
            return Value::from(u);
        }
        if let Ok(i) = i64::try_from(-i128::from(u)) {
            return Value::from(i);
        }
    }
    let sign = if negative { "-" } else { "" };
    let trimmed = digits.trim_start_matches('0');
    match format!("{sign}{trimmed}").parse::<f64>() {
        Ok(f) if f.is_finite() => float_value(f),
        _ => Value::String(format!("{sign}{trimmed}")),
    }
}

/// Python's `int(s)` for the characters a number can be made of; `None` when it would raise.
fn py_int(s: &str) -> Option<Value> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(int_value(negative, digits))
}

/// Python's `float(s)` for the characters a number can be made of; `None` when it would raise.
fn py_float(s: &str) -> Option<Value> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (body, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) || !all_digits(frac_part) || int_part.len() + frac_part.len() == 0 {
        return None;
    }
    if let Some(exp) = exponent {
        let exp = exp.strip_prefix(['-', '+']).unwrap_or(exp);
        if exp.is_empty() || !all_digits(exp) {
            return None;
        }
    }
    s.parse::<f64>().ok().map(float_value)
}

// ---------------------------------------------------------------------------------------------
// Strict JSON (Python's `json` module, which also accepts NaN and Infinity)
// ---------------------------------------------------------------------------------------------

mod strict {
    //! Python's `json.loads` / `JSONDecoder.raw_decode`, on a char slice.

    use super::{float_value, int_value, STRICT_MAX_DEPTH};
    use serde_json::{Map, Value};

    /// `json.loads(text)`: one value with only JSON whitespace around it.
    pub(super) fn decode_document(s: &[char]) -> Option<Value> {
        let mut d = Decoder { s, pos: 0 };
        d.skip_ws();
        let value = d.value()?;
        d.skip_ws();
        (d.pos == s.len()).then_some(value)
    }

    /// `JSONDecoder().raw_decode(s[start:])`: a value right at `start`; returns it and the
    /// position just after it.
    pub(super) fn raw_decode(s: &[char], start: usize) -> Option<(Value, usize)> {
        let mut d = Decoder { s, pos: start };
        let value = d.value()?;
        Some((value, d.pos))
    }

    struct Decoder<'a> {
        s: &'a [char],
        pos: usize,
    }

    /// A container being read.
    enum Open {
        Array(Vec<Value>),
        /// The members so far and the key whose value comes next.
        Object(Map<String, Value>, String),
    }

    impl Decoder<'_> {
        fn peek(&self) -> Option<char> {
            self.s.get(self.pos).copied()
        }

        fn skip_ws(&mut self) {
            while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
                self.pos += 1;
            }
        }

        fn eat_word(&mut self, word: &str) -> bool {
            let n = word.chars().count();
            let matches = self
                .s
                .get(self.pos..self.pos + n)
                .is_some_and(|w| w.iter().copied().eq(word.chars()));
            if matches {
                self.pos += n;
            }
            matches
        }

        /// One value, iteratively (valid JSON may nest deep).
        fn value(&mut self) -> Option<Value> {
            let mut stack: Vec<Open> = Vec::new();
            loop {
                let mut value = match self.peek()? {
                    '{' if stack.len() >= STRICT_MAX_DEPTH => return None,
                    '{' => {
                        self.pos += 1;
                        self.skip_ws();
                        if self.peek() == Some('}') {
                            self.pos += 1;
                            Value::Object(Map::new())
                        } else {
                            let key = self.key()?;
                            stack.push(Open::Object(Map::new(), key));
                            continue;
                        }
                    }
                    '[' if stack.len() >= STRICT_MAX_DEPTH => return None,
                    '[' => {
                        self.pos += 1;
                        self.skip_ws();
                        if self.peek() == Some(']') {
                            self.pos += 1;
                            Value::Array(Vec::new())
                        } else {
                            stack.push(Open::Array(Vec::new()));
                            continue;
                        }
                    }
                    _ => self.scalar()?,
                };
                // Put the value in its container; close the containers that end here.
                loop {
                    match stack.last_mut() {
                        None => return Some(value),
                        Some(Open::Array(items)) => {
                            items.push(value);
                            self.skip_ws();
                            match self.peek()? {
                                ',' => {
                                    self.pos += 1;
                                    self.skip_ws();
                                    break;
                                }
                                ']' => {
                                    self.pos += 1;
                                    value = Value::Array(std::mem::take(items));
                                    stack.pop();
                                }
                                _ => return None,
                            }
                        }
                        Some(Open::Object(map, key)) => {
                            map.insert(std::mem::take(key), value);
                            self.skip_ws();
                            match self.peek()? {
                                ',' => {
                                    self.pos += 1;
                                    self.skip_ws();
                                    *key = self.key()?;
                                    break;
                                }
                                '}' => {
                                    self.pos += 1;
                                    value = Value::Object(std::mem::take(map));
                                    stack.pop();
                                }
                                _ => return None,
                            }
                        }
                    }
                }
            }
        }

        /// `"key"` and the `:` after it.
        fn key(&mut self) -> Option<String> {
            if self.peek() != Some('"') {
                return None;
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(':') {
                return None;
            }
            self.pos += 1;
            self.skip_ws();
            Some(key)
        }

        fn scalar(&mut self) -> Option<Value> {
            match self.peek()? {
                '"' => self.string().map(Value::String),
                'n' if self.eat_word("null") => Some(Value::Null),
                't' if self.eat_word("true") => Some(Value::Bool(true)),
                'f' if self.eat_word("false") => Some(Value::Bool(false)),
                'N' if self.eat_word("NaN") => Some(float_value(f64::NAN)),
                'I' if self.eat_word("Infinity") => Some(float_value(f64::INFINITY)),
                '-' if self.eat_word("-Infinity") => Some(float_value(f64::NEG_INFINITY)),
                _ => self.number(),
            }
        }

        fn digits(&mut self) -> usize {
            let start = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
            self.pos - start
        }

        fn number(&mut self) -> Option<Value> {
            let start = self.pos;
            let negative = self.peek() == Some('-');
            if negative {
                self.pos += 1;
            }
            match self.peek() {
                Some('0') => self.pos += 1,
                Some('1'..='9') => {
                    self.digits();
                }
                _ => return None,
            }
            let int_end = self.pos;
            let mut is_float = false;
            if self.peek() == Some('.')
                && self.s.get(self.pos + 1).is_some_and(char::is_ascii_digit)
            {
                self.pos += 1;
                self.digits();
                is_float = true;
            }
            if matches!(self.peek(), Some('e' | 'E')) {
                let e_start = self.pos;
                self.pos += 1;
                if matches!(self.peek(), Some('-' | '+')) {
                    self.pos += 1;
                }
                if self.digits() > 0 {
                    is_float = true;
                } else {
                    self.pos = e_start;
                }
            }
            let text: String = self.s.get(start..self.pos)?.iter().collect();
            if is_float {
                text.parse::<f64>().ok().map(float_value)
            } else {
                let digits: String = self
                    .s
                    .get(start + usize::from(negative)..int_end)?
                    .iter()
                    .collect();
                Some(int_value(negative, &digits))
            }
        }

        fn hex4(&self, at: usize) -> Option<u32> {
            let chunk = self.s.get(at..at + 4)?;
            let mut v = 0u32;
            for c in chunk {
                v = v * 16 + c.to_digit(16)?;
            }
            Some(v)
        }

        fn string(&mut self) -> Option<String> {
            self.pos += 1; // opening quote
            let mut out = String::new();
            loop {
                let c = self.peek()?;
                self.pos += 1;
                match c {
                    '"' => return Some(out),
                    '\\' => {
                        let e = self.peek()?;
                        self.pos += 1;
                        match e {
                            '"' => out.push('"'),
                            '\\' => out.push('\\'),
                            '/' => out.push('/'),
                            'b' => out.push('\u{8}'),
                            'f' => out.push('\u{c}'),
                            'n' => out.push('\n'),
                            'r' => out.push('\r'),
                            't' => out.push('\t'),
                            'u' => {
                                let hi = self.hex4(self.pos)?;
                                self.pos += 4;
                                let code = if (0xd800..0xdc00).contains(&hi)
                                    && self.s.get(self.pos) == Some(&'\\')
                                    && self.s.get(self.pos + 1) == Some(&'u')
                                {
                                    match self.hex4(self.pos + 2) {
                                        Some(lo) if (0xdc00..0xe000).contains(&lo) => {
                                            self.pos += 6;
                                            0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                                        }
                                        _ => hi,
                                    }
                                } else {
                                    hi
                                };
                                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                            }
                            _ => return None,
                        }
                    }
                    c if (c as u32) < 0x20 => return None,
                    c => out.push(c),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The repairing parser
// ---------------------------------------------------------------------------------------------

/// Where the parser is: json_repair's context stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    ObjectKey,
    ObjectValue,
    Array,
}

impl Ctx {
    fn slot(self) -> usize {
        match self {
            Ctx::ObjectKey => 0,
            Ctx::ObjectValue => 1,
            Ctx::Array => 2,
        }
    }
}

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

struct Parser {
    /// The text, one entry per Unicode scalar value (Python string indexing).
    s: Vec<char>,
    /// The cursor; may run one past the end.
    index: usize,
    ctx: Vec<Ctx>,
    /// How many of each context are on `ctx`, for O(1) membership tests.
    ctx_counts: [usize; 3],
    /// Contexts to enter around the next value parse.
    deferred: Vec<Ctx>,
    tried_valid_suffix: bool,
    depth: usize,
    edit_budget: usize,
    /// Lazily built indexes for long forward searches; cleared when the text changes.
    skip_indexes: RefCell<Vec<SkipIndex>>,
    /// Characters left for the look-aheads whose cost multiplies with nesting depth (see
    /// [`Parser::charge`]).
    work_budget: Cell<usize>,
}

/// Two heuristics rescan text they have seen before once per enclosing level: re-reading an
/// object that came out empty (`{"a", "b"}` is an array), and deciding whether `(...)` is a
/// tuple. Nested hundreds deep over a big input that is quadratic, so their scans share a
/// budget of this many characters per input character; past it they give up (the object
/// stays empty, `(` opens a tuple). Real inputs stay far below it.
const WORK_BUDGET_PER_CHAR: usize = 64;

/// Searches shorter than this scan the text; longer ones use a [`SkipIndex`].
const NAIVE_SCAN: usize = 64;

/// The positions of one set of target characters that are not escaped, i.e. not preceded
/// by an odd run of backslashes.
struct SkipIndex {
    targets: Vec<char>,
    /// Sorted.
    good: Vec<usize>,
}

impl SkipIndex {
    fn build(s: &[char], targets: &[char]) -> Self {
        let mut good = Vec::new();
        let mut backslashes = 0usize;
        for (i, &c) in s.iter().enumerate() {
            if c == '\\' {
                backslashes += 1;
                continue;
            }
            if backslashes & 1 == 0 && targets.contains(&c) {
                good.push(i);
            }
            backslashes = 0;
        }
        SkipIndex {
            targets: targets.to_vec(),
            good,
        }
    }
}

impl Parser {
    fn new(s: Vec<char>) -> Self {
        let s_len = s.len();
        Parser {
            s,
            index: 0,
            ctx: Vec::new(),
            ctx_counts: [0; 3],
            deferred: Vec::new(),
            tried_valid_suffix: false,
            depth: 0,
            edit_budget: EDIT_BUDGET,
            skip_indexes: RefCell::new(Vec::new()),
            work_budget: Cell::new(
                WORK_BUDGET_PER_CHAR
                    .saturating_mul(s_len)
                    .saturating_add(1 << 20),
            ),
        }
    }

    // --- context -------------------------------------------------------------------------

    fn push_ctx(&mut self, c: Ctx) {
        self.ctx.push(c);
        self.ctx_counts[c.slot()] += 1;
    }

    fn pop_ctx(&mut self) {
        if let Some(c) = self.ctx.pop() {
            self.ctx_counts[c.slot()] -= 1;
        }
    }

    fn clear_ctx(&mut self) {
        self.ctx.clear();
        self.ctx_counts = [0; 3];
    }

    fn current(&self) -> Option<Ctx> {
        self.ctx.last().copied()
    }

    fn is_current(&self, c: Ctx) -> bool {
        self.current() == Some(c)
    }

    fn in_ctx(&self, c: Ctx) -> bool {
        self.ctx_counts[c.slot()] > 0
    }

    fn ctx_empty(&self) -> bool {
        self.ctx.is_empty()
    }

    // --- cursor --------------------------------------------------------------------------

    fn len(&self) -> usize {
        self.s.len()
    }

    /// The character at absolute position `pos`, with Python's negative indexing.
    fn at(&self, pos: isize) -> Option<char> {
        let len = self.s.len() as isize;
        let p = if pos < 0 { pos + len } else { pos };
        if p < 0 {
            return None;
        }
        self.s.get(p as usize).copied()
    }

    fn abs(&self, off: isize) -> isize {
        self.index as isize + off
    }

    /// The character `off` positions from the cursor.
    fn ch(&self, off: isize) -> Option<char> {
        self.at(self.abs(off))
    }

    fn cur(&self) -> Option<char> {
        self.s.get(self.index).copied()
    }

    /// `s[a:b]` with Python's clamping, for non-negative bounds.
    fn slice(&self, a: usize, b: usize) -> &[char] {
        let b = b.min(self.len());
        self.s.get(a.min(b)..b).unwrap_or(&[])
    }

    fn back(&mut self, n: usize) {
        self.index = self.index.saturating_sub(n);
    }

    fn skip_whitespaces(&mut self) {
        while self.cur().is_some_and(is_space) {
            self.index += 1;
        }
    }

    fn skip_whitespace_and_comments(&mut self) {
        loop {
            self.skip_whitespaces();
            let c = self.cur();
            let starts_comment =
                c == Some('#') || (c == Some('/') && one_of(self.ch(1), &['/', '*']));
            if !starts_comment {
                return;
            }
            self.skip_comment();
        }
    }

    /// The offset of the first non-whitespace character at or after offset `idx`.
    fn scroll(&self, mut idx: isize) -> isize {
        loop {
            let pos = self.abs(idx);
            match self.at(pos) {
                Some(c) if pos >= 0 && is_space(c) => idx += 1,
                _ => return idx,
            }
        }
    }

    /// The offset of the last non-whitespace character at or before offset `idx`.
    fn scroll_back(&self, mut idx: isize) -> isize {
        loop {
            let pos = self.abs(idx);
            match self.at(pos) {
                Some(c) if pos >= 0 && is_space(c) => idx -= 1,
                _ => return idx,
            }
        }
    }

    /// The offset of the first of `targets` at or after offset `idx` that is not escaped by
    /// an odd run of backslashes (counted from where the search starts); the offset of the
    /// end of the text when there is none.
    ///
    /// Short searches scan; long ones continue in a [`SkipIndex`], so the many look-aheads
    /// json_repair makes stay cheap on big inputs.
    fn skip_to(&self, targets: &[char], idx: isize) -> isize {
        let here = self.index as isize;
        let len = self.len();
        let start = self.abs(idx).max(0) as usize;
        let limit = start.saturating_add(NAIVE_SCAN).min(len);
        let mut i = start;
        let mut backslashes = 0usize;
        while i < limit {
            let c = self.s.get(i).copied().unwrap_or('\\');
            if c == '\\' {
                backslashes += 1;
            } else {
                if targets.contains(&c) && backslashes & 1 == 0 {
                    return i as isize - here;
                }
                backslashes = 0;
            }
            i += 1;
        }
        // Finish the backslash run in progress: its parity counts from `start`.
        while self.s.get(i) == Some(&'\\') {
            i += 1;
            backslashes += 1;
        }
        let Some(&c) = self.s.get(i) else {
            return len as isize - here;
        };
        if targets.contains(&c) && backslashes & 1 == 0 {
            return i as isize - here;
        }
        // Past `i`, every backslash run starts after `start`, so whether a target counts
        // depends only on its own position: look it up.
        match self.next_unescaped(targets, i + 1) {
            Some(m) => m as isize - here,
            None => len as isize - here,
        }
    }

    /// The first position at or after `from` holding one of `targets` after an even run of
    /// backslashes.
    fn next_unescaped(&self, targets: &[char], from: usize) -> Option<usize> {
        let mut indexes = self.skip_indexes.borrow_mut();
        let pos = match indexes.iter().position(|x| x.targets == targets) {
            Some(pos) => pos,
            None => {
                indexes.push(SkipIndex::build(&self.s, targets));
                indexes.len() - 1
            }
        };
        let good = &indexes.get(pos)?.good;
        good.get(good.partition_point(|&m| m < from)).copied()
    }

    /// How many unescaped `targets` lie in the absolute range `from..to`.
    fn count_unescaped(&self, target: char, from: usize, to: usize) -> usize {
        let mut indexes = self.skip_indexes.borrow_mut();
        let pos = match indexes.iter().position(|x| x.targets == [target]) {
            Some(pos) => pos,
            None => {
                indexes.push(SkipIndex::build(&self.s, &[target]));
                indexes.len() - 1
            }
        };
        match indexes.get(pos) {
            Some(x) => {
                let a = x.good.partition_point(|&m| m < from);
                let b = x.good.partition_point(|&m| m < to);
                b.saturating_sub(a)
            }
            None => 0,
        }
    }

    fn skip_to_char(&self, target: char, idx: isize) -> isize {
        self.skip_to(&[target], idx)
    }

    /// Takes `n` characters of work from the budget; false (taking nothing) when too few are
    /// left.
    fn charge(&self, n: usize) -> bool {
        let left = self.work_budget.get();
        if n > left {
            return false;
        }
        self.work_budget.set(left - n);
        true
    }

    /// Replaces `range` of the text with `with`, unless the edit budget is spent (then the
    /// text is left alone and this returns false). Each edit is charged the whole length, as
    /// it also invalidates the search indexes.
    fn edit_text(&mut self, range: std::ops::Range<usize>, with: &[char]) -> bool {
        let cost = self.len() + with.len();
        if cost > self.edit_budget || range.start > range.end || range.end > self.len() {
            return false;
        }
        self.edit_budget -= cost;
        self.s.splice(range, with.iter().copied());
        self.skip_indexes.borrow_mut().clear();
        true
    }

    // --- top level -----------------------------------------------------------------------

    fn parse(&mut self) -> Value {
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
    fn initial_container_has_non_comma_trailing_content(&self) -> bool {
        if self.index != 0 {
            return true;
        }
        let mut stack: Vec<char> = Vec::new();
        let mut in_string = false;
        let mut escaped = false;
        for (i, &c) in self.s.iter().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
                continue;
            }
            match c {
                '"' => in_string = true,
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
    fn try_parse_valid_json_value(&mut self) -> Option<Value> {
        self.tried_valid_suffix = true;
        let (value, end) = strict::raw_decode(&self.s, self.index)?;
        self.index = end;
        Some(value)
    }

    /// `"a": 1}` — a whole input that is valid JSON once a `{` is put in front.
    fn try_parse_missing_opening_object(&mut self, quote: char) -> Option<Value> {
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

    // --- values --------------------------------------------------------------------------

    fn parse_json(&mut self) -> Value {
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
    fn skip_comment(&mut self) {
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
        let mut in_quote: Option<char> = None;
        let mut backslashes = 0usize;
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
            if c == '\\' {
                backslashes += 1;
                continue;
            }
            let escaped = backslashes & 1 == 1;
            backslashes = 0;
            if let Some(q) = in_quote {
                if c == q && !escaped {
                    in_quote = None;
                }
                continue;
            }
            let top = parens == 0 && brackets == 0 && braces == 0;
            if is_quote(c) && !escaped {
                in_quote = Some(c);
                saw_content = saw_content || top;
                continue;
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
        let mut in_quote: Option<char> = None;
        let mut backslashes = 0usize;
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
            if c == '\\' {
                backslashes += 1;
                continue;
            }
            let escaped = backslashes & 1 == 1;
            backslashes = 0;
            if let Some(q) = in_quote {
                if c == q && !escaped {
                    in_quote = None;
                }
                continue;
            }
            if is_quote(c) && !escaped {
                in_quote = Some(c);
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

// Containers.
impl Parser {
    /// Goes one nesting level deeper; false, with the rest of the input dropped, past
    /// [`MAX_DEPTH`]. Each true is paired with a [`Parser::leave`].
    fn enter(&mut self) -> bool {
        if self.depth >= MAX_DEPTH {
            self.index = self.len();
            return false;
        }
        self.depth += 1;
        true
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Parses array items up to `closing` (`]`, or `)` for tuples); the opener is consumed.
    fn parse_array(&mut self, closing: char) -> Vec<Value> {
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
    fn parse_object(&mut self) -> Value {
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
        let mut in_quote: Option<char> = None;
        let mut backslashes = 0usize;
        for &c in body {
            if c == '\\' {
                backslashes += 1;
                continue;
            }
            let escaped = backslashes & 1 == 1;
            if let Some(q) = in_quote {
                if c == q && !escaped {
                    in_quote = None;
                }
            } else if is_quote(c) && !escaped {
                in_quote = Some(c);
            } else if c == ':' && !escaped {
                return EmptyObjectRepair::Keep;
            }
            backslashes = 0;
        }
        EmptyObjectRepair::Array
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
    let mut in_quote: Option<char> = None;
    let mut backslashes = 0usize;
    let mut i = 0;
    while let Some(&c) = body.get(i) {
        let next = body.get(i + 1).copied();
        if c == '\\' {
            backslashes += 1;
            out.push(c);
            i += 1;
            continue;
        }
        let escaped = backslashes & 1 == 1;
        if let Some(q) = in_quote {
            out.push(c);
            if c == q && !escaped {
                in_quote = None;
            }
            backslashes = 0;
            i += 1;
            continue;
        }
        if is_quote(c) && !escaped {
            in_quote = Some(c);
            out.push(c);
            backslashes = 0;
            i += 1;
            continue;
        }
        backslashes = 0;
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

// ---------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------

/// Marks the active closing quote while inside a `„…”` span (json_repair's sentinel).
const LOW_QUOTE_SENTINEL: char = '\0';

/// What a comma inside an object value turned out to be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CommaKind {
    /// Starts the next member: the value ends here.
    Member,
    /// Part of the string.
    Text,
    /// Part of the string, and no quote or bracket follows anywhere.
    TextNoFutureDelimiter,
    /// Part of the string and followed by an inline `[...]`/`{...}` that belongs to it.
    Container,
}

/// The state of one string parse.
struct StrState {
    missing_quotes: bool,
    doubled_quotes: bool,
    lquote: char,
    /// The closing quote of the string itself.
    rquote: char,
    /// How many `„` spans are open (each waits for its `”` or `"`).
    low_quote_spans: usize,
    acc: Vec<char>,
    /// Position in `acc` of the last whitespace character appended.
    last_space: Option<usize>,
    unmatched_delimiter: bool,
    pending_inline_container: bool,
    inline_stack: Vec<char>,
    no_future_delimiter: bool,
    /// Remembered forward searches: targets, start position, match position.
    lookahead_cache: Vec<(Vec<char>, isize, Option<isize>)>,
    unmatched_open_braces: usize,
    /// Where the content of the last `[` (a regex character class?) starts in `acc`.
    regex_class_start: Option<usize>,
}

impl StrState {
    fn new() -> Self {
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
    fn active_rquote(&self) -> char {
        if self.low_quote_spans > 0 {
            LOW_QUOTE_SENTINEL
        } else {
            self.rquote
        }
    }

    fn in_low_quote_span(&self) -> bool {
        self.low_quote_spans > 0
    }

    fn last_is(&self, c: char) -> bool {
        self.acc.last() == Some(&c)
    }

    fn append(&mut self, c: char) {
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
    fn replace_trailing_backslash(&mut self, content: &[char]) {
        self.acc.pop();
        for &c in content {
            self.append(c);
        }
    }

    fn has_space_since(&self, start: usize) -> bool {
        self.last_space
            .is_some_and(|p| p >= start && p < self.acc.len())
    }
}

fn lower_is(c: Option<char>, expected: char) -> bool {
    c.is_some_and(|c| {
        let mut lower = c.to_lowercase();
        lower.next() == Some(expected) && lower.next().is_none()
    })
}

impl Parser {
    fn parse_string(&mut self) -> Value {
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

    /// Reads the string's characters up to where it ends; returns the character it stopped
    /// at (the closing quote when there is one).
    fn scan_string_body(&mut self, st: &mut StrState) -> Option<char> {
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

    fn finalize_string(&mut self, mut st: StrState, last: Option<char>) -> String {
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

    /// A quote inside a compact regex character class like `[^"]`.
    fn quote_belongs_to_regex_character_class(&self, st: &StrState) -> bool {
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
    fn handle_right_delimiter_candidate(
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
    fn classify_object_value_comma(&self, st: &mut StrState) -> CommaKind {
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
    fn bare_key_is_followed_by_colon(&self, key_idx: isize) -> bool {
        if !self.ch(key_idx).is_some_and(|k| is_alnum(k) || k == '_') {
            return false;
        }
        let end = self.scroll(self.scan_bare_key(key_idx));
        self.ch(end) == Some(':')
    }

    /// The offset just past the balanced container opening at `idx` (or `idx` itself when
    /// nothing opens there); `None` when it does not close.
    fn skip_inline_container(&self, idx: isize) -> Option<isize> {
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
    fn brace_before_code_fence_belongs_to_string(&self, st: &mut StrState, fence: isize) -> bool {
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
fn update_inline_container_stack(st: &mut StrState, c: char) -> bool {
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

// ---------------------------------------------------------------------------------------------
// Unicode tables
// ---------------------------------------------------------------------------------------------

mod py_unicode {
    //! Python 3.11's `str.isalpha`, `str.isalnum` and `str.isdigit` outside ASCII (Unicode
    //! 14.0.0), as sorted inclusive ranges of code points: `[first, last, first, last, ...]`.
    //! Generated with Python:
    //!
    //! ```text
    //! for cp in range(0x80, 0x110000): test getattr(str, name)(chr(cp)) (surrogates excluded),
    //! and write the runs where it holds as first/last pairs.
    //! ```

    pub(super) const ALPHA: &[u32] = &[
        0xAA, 0xAA, 0xB5, 0xB5, 0xBA, 0xBA, 0xC0, 0xD6, 0xD8, 0xF6, 0xF8, 0x2C1, 0x2C6, 0x2D1,
        0x2E0, 0x2E4, 0x2EC, 0x2EC, 0x2EE, 0x2EE, 0x370, 0x374, 0x376, 0x377, 0x37A, 0x37D, 0x37F,
        0x37F, 0x386, 0x386, 0x388, 0x38A, 0x38C, 0x38C, 0x38E, 0x3A1, 0x3A3, 0x3F5, 0x3F7, 0x481,
        0x48A, 0x52F, 0x531, 0x556, 0x559, 0x559, 0x560, 0x588, 0x5D0, 0x5EA, 0x5EF, 0x5F2, 0x620,
        0x64A, 0x66E, 0x66F, 0x671, 0x6D3, 0x6D5, 0x6D5, 0x6E5, 0x6E6, 0x6EE, 0x6EF, 0x6FA, 0x6FC,
        0x6FF, 0x6FF, 0x710, 0x710, 0x712, 0x72F, 0x74D, 0x7A5, 0x7B1, 0x7B1, 0x7CA, 0x7EA, 0x7F4,
        0x7F5, 0x7FA, 0x7FA, 0x800, 0x815, 0x81A, 0x81A, 0x824, 0x824, 0x828, 0x828, 0x840, 0x858,
        0x860, 0x86A, 0x870, 0x887, 0x889, 0x88E, 0x8A0, 0x8C9, 0x904, 0x939, 0x93D, 0x93D, 0x950,
        0x950, 0x958, 0x961, 0x971, 0x980, 0x985, 0x98C, 0x98F, 0x990, 0x993, 0x9A8, 0x9AA, 0x9B0,
        0x9B2, 0x9B2, 0x9B6, 0x9B9, 0x9BD, 0x9BD, 0x9CE, 0x9CE, 0x9DC, 0x9DD, 0x9DF, 0x9E1, 0x9F0,
        0x9F1, 0x9FC, 0x9FC, 0xA05, 0xA0A, 0xA0F, 0xA10, 0xA13, 0xA28, 0xA2A, 0xA30, 0xA32, 0xA33,
        0xA35, 0xA36, 0xA38, 0xA39, 0xA59, 0xA5C, 0xA5E, 0xA5E, 0xA72, 0xA74, 0xA85, 0xA8D, 0xA8F,
        0xA91, 0xA93, 0xAA8, 0xAAA, 0xAB0, 0xAB2, 0xAB3, 0xAB5, 0xAB9, 0xABD, 0xABD, 0xAD0, 0xAD0,
        0xAE0, 0xAE1, 0xAF9, 0xAF9, 0xB05, 0xB0C, 0xB0F, 0xB10, 0xB13, 0xB28, 0xB2A, 0xB30, 0xB32,
        0xB33, 0xB35, 0xB39, 0xB3D, 0xB3D, 0xB5C, 0xB5D, 0xB5F, 0xB61, 0xB71, 0xB71, 0xB83, 0xB83,
        0xB85, 0xB8A, 0xB8E, 0xB90, 0xB92, 0xB95, 0xB99, 0xB9A, 0xB9C, 0xB9C, 0xB9E, 0xB9F, 0xBA3,
        0xBA4, 0xBA8, 0xBAA, 0xBAE, 0xBB9, 0xBD0, 0xBD0, 0xC05, 0xC0C, 0xC0E, 0xC10, 0xC12, 0xC28,
        0xC2A, 0xC39, 0xC3D, 0xC3D, 0xC58, 0xC5A, 0xC5D, 0xC5D, 0xC60, 0xC61, 0xC80, 0xC80, 0xC85,
        0xC8C, 0xC8E, 0xC90, 0xC92, 0xCA8, 0xCAA, 0xCB3, 0xCB5, 0xCB9, 0xCBD, 0xCBD, 0xCDD, 0xCDE,
        0xCE0, 0xCE1, 0xCF1, 0xCF2, 0xD04, 0xD0C, 0xD0E, 0xD10, 0xD12, 0xD3A, 0xD3D, 0xD3D, 0xD4E,
        0xD4E, 0xD54, 0xD56, 0xD5F, 0xD61, 0xD7A, 0xD7F, 0xD85, 0xD96, 0xD9A, 0xDB1, 0xDB3, 0xDBB,
        0xDBD, 0xDBD, 0xDC0, 0xDC6, 0xE01, 0xE30, 0xE32, 0xE33, 0xE40, 0xE46, 0xE81, 0xE82, 0xE84,
        0xE84, 0xE86, 0xE8A, 0xE8C, 0xEA3, 0xEA5, 0xEA5, 0xEA7, 0xEB0, 0xEB2, 0xEB3, 0xEBD, 0xEBD,
        0xEC0, 0xEC4, 0xEC6, 0xEC6, 0xEDC, 0xEDF, 0xF00, 0xF00, 0xF40, 0xF47, 0xF49, 0xF6C, 0xF88,
        0xF8C, 0x1000, 0x102A, 0x103F, 0x103F, 0x1050, 0x1055, 0x105A, 0x105D, 0x1061, 0x1061,
        0x1065, 0x1066, 0x106E, 0x1070, 0x1075, 0x1081, 0x108E, 0x108E, 0x10A0, 0x10C5, 0x10C7,
        0x10C7, 0x10CD, 0x10CD, 0x10D0, 0x10FA, 0x10FC, 0x1248, 0x124A, 0x124D, 0x1250, 0x1256,
        0x1258, 0x1258, 0x125A, 0x125D, 0x1260, 0x1288, 0x128A, 0x128D, 0x1290, 0x12B0, 0x12B2,
        0x12B5, 0x12B8, 0x12BE, 0x12C0, 0x12C0, 0x12C2, 0x12C5, 0x12C8, 0x12D6, 0x12D8, 0x1310,
        0x1312, 0x1315, 0x1318, 0x135A, 0x1380, 0x138F, 0x13A0, 0x13F5, 0x13F8, 0x13FD, 0x1401,
        0x166C, 0x166F, 0x167F, 0x1681, 0x169A, 0x16A0, 0x16EA, 0x16F1, 0x16F8, 0x1700, 0x1711,
        0x171F, 0x1731, 0x1740, 0x1751, 0x1760, 0x176C, 0x176E, 0x1770, 0x1780, 0x17B3, 0x17D7,
        0x17D7, 0x17DC, 0x17DC, 0x1820, 0x1878, 0x1880, 0x1884, 0x1887, 0x18A8, 0x18AA, 0x18AA,
        0x18B0, 0x18F5, 0x1900, 0x191E, 0x1950, 0x196D, 0x1970, 0x1974, 0x1980, 0x19AB, 0x19B0,
        0x19C9, 0x1A00, 0x1A16, 0x1A20, 0x1A54, 0x1AA7, 0x1AA7, 0x1B05, 0x1B33, 0x1B45, 0x1B4C,
        0x1B83, 0x1BA0, 0x1BAE, 0x1BAF, 0x1BBA, 0x1BE5, 0x1C00, 0x1C23, 0x1C4D, 0x1C4F, 0x1C5A,
        0x1C7D, 0x1C80, 0x1C88, 0x1C90, 0x1CBA, 0x1CBD, 0x1CBF, 0x1CE9, 0x1CEC, 0x1CEE, 0x1CF3,
        0x1CF5, 0x1CF6, 0x1CFA, 0x1CFA, 0x1D00, 0x1DBF, 0x1E00, 0x1F15, 0x1F18, 0x1F1D, 0x1F20,
        0x1F45, 0x1F48, 0x1F4D, 0x1F50, 0x1F57, 0x1F59, 0x1F59, 0x1F5B, 0x1F5B, 0x1F5D, 0x1F5D,
        0x1F5F, 0x1F7D, 0x1F80, 0x1FB4, 0x1FB6, 0x1FBC, 0x1FBE, 0x1FBE, 0x1FC2, 0x1FC4, 0x1FC6,
        0x1FCC, 0x1FD0, 0x1FD3, 0x1FD6, 0x1FDB, 0x1FE0, 0x1FEC, 0x1FF2, 0x1FF4, 0x1FF6, 0x1FFC,
        0x2071, 0x2071, 0x207F, 0x207F, 0x2090, 0x209C, 0x2102, 0x2102, 0x2107, 0x2107, 0x210A,
        0x2113, 0x2115, 0x2115, 0x2119, 0x211D, 0x2124, 0x2124, 0x2126, 0x2126, 0x2128, 0x2128,
        0x212A, 0x212D, 0x212F, 0x2139, 0x213C, 0x213F, 0x2145, 0x2149, 0x214E, 0x214E, 0x2183,
        0x2184, 0x2C00, 0x2CE4, 0x2CEB, 0x2CEE, 0x2CF2, 0x2CF3, 0x2D00, 0x2D25, 0x2D27, 0x2D27,
        0x2D2D, 0x2D2D, 0x2D30, 0x2D67, 0x2D6F, 0x2D6F, 0x2D80, 0x2D96, 0x2DA0, 0x2DA6, 0x2DA8,
        0x2DAE, 0x2DB0, 0x2DB6, 0x2DB8, 0x2DBE, 0x2DC0, 0x2DC6, 0x2DC8, 0x2DCE, 0x2DD0, 0x2DD6,
        0x2DD8, 0x2DDE, 0x2E2F, 0x2E2F, 0x3005, 0x3006, 0x3031, 0x3035, 0x303B, 0x303C, 0x3041,
        0x3096, 0x309D, 0x309F, 0x30A1, 0x30FA, 0x30FC, 0x30FF, 0x3105, 0x312F, 0x3131, 0x318E,
        0x31A0, 0x31BF, 0x31F0, 0x31FF, 0x3400, 0x4DBF, 0x4E00, 0xA48C, 0xA4D0, 0xA4FD, 0xA500,
        0xA60C, 0xA610, 0xA61F, 0xA62A, 0xA62B, 0xA640, 0xA66E, 0xA67F, 0xA69D, 0xA6A0, 0xA6E5,
        0xA717, 0xA71F, 0xA722, 0xA788, 0xA78B, 0xA7CA, 0xA7D0, 0xA7D1, 0xA7D3, 0xA7D3, 0xA7D5,
        0xA7D9, 0xA7F2, 0xA801, 0xA803, 0xA805, 0xA807, 0xA80A, 0xA80C, 0xA822, 0xA840, 0xA873,
        0xA882, 0xA8B3, 0xA8F2, 0xA8F7, 0xA8FB, 0xA8FB, 0xA8FD, 0xA8FE, 0xA90A, 0xA925, 0xA930,
        0xA946, 0xA960, 0xA97C, 0xA984, 0xA9B2, 0xA9CF, 0xA9CF, 0xA9E0, 0xA9E4, 0xA9E6, 0xA9EF,
        0xA9FA, 0xA9FE, 0xAA00, 0xAA28, 0xAA40, 0xAA42, 0xAA44, 0xAA4B, 0xAA60, 0xAA76, 0xAA7A,
        0xAA7A, 0xAA7E, 0xAAAF, 0xAAB1, 0xAAB1, 0xAAB5, 0xAAB6, 0xAAB9, 0xAABD, 0xAAC0, 0xAAC0,
        0xAAC2, 0xAAC2, 0xAADB, 0xAADD, 0xAAE0, 0xAAEA, 0xAAF2, 0xAAF4, 0xAB01, 0xAB06, 0xAB09,
        0xAB0E, 0xAB11, 0xAB16, 0xAB20, 0xAB26, 0xAB28, 0xAB2E, 0xAB30, 0xAB5A, 0xAB5C, 0xAB69,
        0xAB70, 0xABE2, 0xAC00, 0xD7A3, 0xD7B0, 0xD7C6, 0xD7CB, 0xD7FB, 0xF900, 0xFA6D, 0xFA70,
        0xFAD9, 0xFB00, 0xFB06, 0xFB13, 0xFB17, 0xFB1D, 0xFB1D, 0xFB1F, 0xFB28, 0xFB2A, 0xFB36,
        0xFB38, 0xFB3C, 0xFB3E, 0xFB3E, 0xFB40, 0xFB41, 0xFB43, 0xFB44, 0xFB46, 0xFBB1, 0xFBD3,
        0xFD3D, 0xFD50, 0xFD8F, 0xFD92, 0xFDC7, 0xFDF0, 0xFDFB, 0xFE70, 0xFE74, 0xFE76, 0xFEFC,
        0xFF21, 0xFF3A, 0xFF41, 0xFF5A, 0xFF66, 0xFFBE, 0xFFC2, 0xFFC7, 0xFFCA, 0xFFCF, 0xFFD2,
        0xFFD7, 0xFFDA, 0xFFDC, 0x10000, 0x1000B, 0x1000D, 0x10026, 0x10028, 0x1003A, 0x1003C,
        0x1003D, 0x1003F, 0x1004D, 0x10050, 0x1005D, 0x10080, 0x100FA, 0x10280, 0x1029C, 0x102A0,
        0x102D0, 0x10300, 0x1031F, 0x1032D, 0x10340, 0x10342, 0x10349, 0x10350, 0x10375, 0x10380,
        0x1039D, 0x103A0, 0x103C3, 0x103C8, 0x103CF, 0x10400, 0x1049D, 0x104B0, 0x104D3, 0x104D8,
        0x104FB, 0x10500, 0x10527, 0x10530, 0x10563, 0x10570, 0x1057A, 0x1057C, 0x1058A, 0x1058C,
        0x10592, 0x10594, 0x10595, 0x10597, 0x105A1, 0x105A3, 0x105B1, 0x105B3, 0x105B9, 0x105BB,
        0x105BC, 0x10600, 0x10736, 0x10740, 0x10755, 0x10760, 0x10767, 0x10780, 0x10785, 0x10787,
        0x107B0, 0x107B2, 0x107BA, 0x10800, 0x10805, 0x10808, 0x10808, 0x1080A, 0x10835, 0x10837,
        0x10838, 0x1083C, 0x1083C, 0x1083F, 0x10855, 0x10860, 0x10876, 0x10880, 0x1089E, 0x108E0,
        0x108F2, 0x108F4, 0x108F5, 0x10900, 0x10915, 0x10920, 0x10939, 0x10980, 0x109B7, 0x109BE,
        0x109BF, 0x10A00, 0x10A00, 0x10A10, 0x10A13, 0x10A15, 0x10A17, 0x10A19, 0x10A35, 0x10A60,
        0x10A7C, 0x10A80, 0x10A9C, 0x10AC0, 0x10AC7, 0x10AC9, 0x10AE4, 0x10B00, 0x10B35, 0x10B40,
        0x10B55, 0x10B60, 0x10B72, 0x10B80, 0x10B91, 0x10C00, 0x10C48, 0x10C80, 0x10CB2, 0x10CC0,
        0x10CF2, 0x10D00, 0x10D23, 0x10E80, 0x10EA9, 0x10EB0, 0x10EB1, 0x10F00, 0x10F1C, 0x10F27,
        0x10F27, 0x10F30, 0x10F45, 0x10F70, 0x10F81, 0x10FB0, 0x10FC4, 0x10FE0, 0x10FF6, 0x11003,
        0x11037, 0x11071, 0x11072, 0x11075, 0x11075, 0x11083, 0x110AF, 0x110D0, 0x110E8, 0x11103,
        0x11126, 0x11144, 0x11144, 0x11147, 0x11147, 0x11150, 0x11172, 0x11176, 0x11176, 0x11183,
        0x111B2, 0x111C1, 0x111C4, 0x111DA, 0x111DA, 0x111DC, 0x111DC, 0x11200, 0x11211, 0x11213,
        0x1122B, 0x11280, 0x11286, 0x11288, 0x11288, 0x1128A, 0x1128D, 0x1128F, 0x1129D, 0x1129F,
        0x112A8, 0x112B0, 0x112DE, 0x11305, 0x1130C, 0x1130F, 0x11310, 0x11313, 0x11328, 0x1132A,
        0x11330, 0x11332, 0x11333, 0x11335, 0x11339, 0x1133D, 0x1133D, 0x11350, 0x11350, 0x1135D,
        0x11361, 0x11400, 0x11434, 0x11447, 0x1144A, 0x1145F, 0x11461, 0x11480, 0x114AF, 0x114C4,
        0x114C5, 0x114C7, 0x114C7, 0x11580, 0x115AE, 0x115D8, 0x115DB, 0x11600, 0x1162F, 0x11644,
        0x11644, 0x11680, 0x116AA, 0x116B8, 0x116B8, 0x11700, 0x1171A, 0x11740, 0x11746, 0x11800,
        0x1182B, 0x118A0, 0x118DF, 0x118FF, 0x11906, 0x11909, 0x11909, 0x1190C, 0x11913, 0x11915,
        0x11916, 0x11918, 0x1192F, 0x1193F, 0x1193F, 0x11941, 0x11941, 0x119A0, 0x119A7, 0x119AA,
        0x119D0, 0x119E1, 0x119E1, 0x119E3, 0x119E3, 0x11A00, 0x11A00, 0x11A0B, 0x11A32, 0x11A3A,
        0x11A3A, 0x11A50, 0x11A50, 0x11A5C, 0x11A89, 0x11A9D, 0x11A9D, 0x11AB0, 0x11AF8, 0x11C00,
        0x11C08, 0x11C0A, 0x11C2E, 0x11C40, 0x11C40, 0x11C72, 0x11C8F, 0x11D00, 0x11D06, 0x11D08,
        0x11D09, 0x11D0B, 0x11D30, 0x11D46, 0x11D46, 0x11D60, 0x11D65, 0x11D67, 0x11D68, 0x11D6A,
        0x11D89, 0x11D98, 0x11D98, 0x11EE0, 0x11EF2, 0x11FB0, 0x11FB0, 0x12000, 0x12399, 0x12480,
        0x12543, 0x12F90, 0x12FF0, 0x13000, 0x1342E, 0x14400, 0x14646, 0x16800, 0x16A38, 0x16A40,
        0x16A5E, 0x16A70, 0x16ABE, 0x16AD0, 0x16AED, 0x16B00, 0x16B2F, 0x16B40, 0x16B43, 0x16B63,
        0x16B77, 0x16B7D, 0x16B8F, 0x16E40, 0x16E7F, 0x16F00, 0x16F4A, 0x16F50, 0x16F50, 0x16F93,
        0x16F9F, 0x16FE0, 0x16FE1, 0x16FE3, 0x16FE3, 0x17000, 0x187F7, 0x18800, 0x18CD5, 0x18D00,
        0x18D08, 0x1AFF0, 0x1AFF3, 0x1AFF5, 0x1AFFB, 0x1AFFD, 0x1AFFE, 0x1B000, 0x1B122, 0x1B150,
        0x1B152, 0x1B164, 0x1B167, 0x1B170, 0x1B2FB, 0x1BC00, 0x1BC6A, 0x1BC70, 0x1BC7C, 0x1BC80,
        0x1BC88, 0x1BC90, 0x1BC99, 0x1D400, 0x1D454, 0x1D456, 0x1D49C, 0x1D49E, 0x1D49F, 0x1D4A2,
        0x1D4A2, 0x1D4A5, 0x1D4A6, 0x1D4A9, 0x1D4AC, 0x1D4AE, 0x1D4B9, 0x1D4BB, 0x1D4BB, 0x1D4BD,
        0x1D4C3, 0x1D4C5, 0x1D505, 0x1D507, 0x1D50A, 0x1D50D, 0x1D514, 0x1D516, 0x1D51C, 0x1D51E,
        0x1D539, 0x1D53B, 0x1D53E, 0x1D540, 0x1D544, 0x1D546, 0x1D546, 0x1D54A, 0x1D550, 0x1D552,
        0x1D6A5, 0x1D6A8, 0x1D6C0, 0x1D6C2, 0x1D6DA, 0x1D6DC, 0x1D6FA, 0x1D6FC, 0x1D714, 0x1D716,
        0x1D734, 0x1D736, 0x1D74E, 0x1D750, 0x1D76E, 0x1D770, 0x1D788, 0x1D78A, 0x1D7A8, 0x1D7AA,
        0x1D7C2, 0x1D7C4, 0x1D7CB, 0x1DF00, 0x1DF1E, 0x1E100, 0x1E12C, 0x1E137, 0x1E13D, 0x1E14E,
        0x1E14E, 0x1E290, 0x1E2AD, 0x1E2C0, 0x1E2EB, 0x1E7E0, 0x1E7E6, 0x1E7E8, 0x1E7EB, 0x1E7ED,
        0x1E7EE, 0x1E7F0, 0x1E7FE, 0x1E800, 0x1E8C4, 0x1E900, 0x1E943, 0x1E94B, 0x1E94B, 0x1EE00,
        0x1EE03, 0x1EE05, 0x1EE1F, 0x1EE21, 0x1EE22, 0x1EE24, 0x1EE24, 0x1EE27, 0x1EE27, 0x1EE29,
        0x1EE32, 0x1EE34, 0x1EE37, 0x1EE39, 0x1EE39, 0x1EE3B, 0x1EE3B, 0x1EE42, 0x1EE42, 0x1EE47,
        0x1EE47, 0x1EE49, 0x1EE49, 0x1EE4B, 0x1EE4B, 0x1EE4D, 0x1EE4F, 0x1EE51, 0x1EE52, 0x1EE54,
        0x1EE54, 0x1EE57, 0x1EE57, 0x1EE59, 0x1EE59, 0x1EE5B, 0x1EE5B, 0x1EE5D, 0x1EE5D, 0x1EE5F,
        0x1EE5F, 0x1EE61, 0x1EE62, 0x1EE64, 0x1EE64, 0x1EE67, 0x1EE6A, 0x1EE6C, 0x1EE72, 0x1EE74,
        0x1EE77, 0x1EE79, 0x1EE7C, 0x1EE7E, 0x1EE7E, 0x1EE80, 0x1EE89, 0x1EE8B, 0x1EE9B, 0x1EEA1,
        0x1EEA3, 0x1EEA5, 0x1EEA9, 0x1EEAB, 0x1EEBB, 0x20000, 0x2A6DF, 0x2A700, 0x2B738, 0x2B740,
        0x2B81D, 0x2B820, 0x2CEA1, 0x2CEB0, 0x2EBE0, 0x2F800, 0x2FA1D, 0x30000, 0x3134A,
    ];

    pub(super) const ALNUM: &[u32] = &[
        0xAA, 0xAA, 0xB2, 0xB3, 0xB5, 0xB5, 0xB9, 0xBA, 0xBC, 0xBE, 0xC0, 0xD6, 0xD8, 0xF6, 0xF8,
        0x2C1, 0x2C6, 0x2D1, 0x2E0, 0x2E4, 0x2EC, 0x2EC, 0x2EE, 0x2EE, 0x370, 0x374, 0x376, 0x377,
        0x37A, 0x37D, 0x37F, 0x37F, 0x386, 0x386, 0x388, 0x38A, 0x38C, 0x38C, 0x38E, 0x3A1, 0x3A3,
        0x3F5, 0x3F7, 0x481, 0x48A, 0x52F, 0x531, 0x556, 0x559, 0x559, 0x560, 0x588, 0x5D0, 0x5EA,
        0x5EF, 0x5F2, 0x620, 0x64A, 0x660, 0x669, 0x66E, 0x66F, 0x671, 0x6D3, 0x6D5, 0x6D5, 0x6E5,
        0x6E6, 0x6EE, 0x6FC, 0x6FF, 0x6FF, 0x710, 0x710, 0x712, 0x72F, 0x74D, 0x7A5, 0x7B1, 0x7B1,
        0x7C0, 0x7EA, 0x7F4, 0x7F5, 0x7FA, 0x7FA, 0x800, 0x815, 0x81A, 0x81A, 0x824, 0x824, 0x828,
        0x828, 0x840, 0x858, 0x860, 0x86A, 0x870, 0x887, 0x889, 0x88E, 0x8A0, 0x8C9, 0x904, 0x939,
        0x93D, 0x93D, 0x950, 0x950, 0x958, 0x961, 0x966, 0x96F, 0x971, 0x980, 0x985, 0x98C, 0x98F,
        0x990, 0x993, 0x9A8, 0x9AA, 0x9B0, 0x9B2, 0x9B2, 0x9B6, 0x9B9, 0x9BD, 0x9BD, 0x9CE, 0x9CE,
        0x9DC, 0x9DD, 0x9DF, 0x9E1, 0x9E6, 0x9F1, 0x9F4, 0x9F9, 0x9FC, 0x9FC, 0xA05, 0xA0A, 0xA0F,
        0xA10, 0xA13, 0xA28, 0xA2A, 0xA30, 0xA32, 0xA33, 0xA35, 0xA36, 0xA38, 0xA39, 0xA59, 0xA5C,
        0xA5E, 0xA5E, 0xA66, 0xA6F, 0xA72, 0xA74, 0xA85, 0xA8D, 0xA8F, 0xA91, 0xA93, 0xAA8, 0xAAA,
        0xAB0, 0xAB2, 0xAB3, 0xAB5, 0xAB9, 0xABD, 0xABD, 0xAD0, 0xAD0, 0xAE0, 0xAE1, 0xAE6, 0xAEF,
        0xAF9, 0xAF9, 0xB05, 0xB0C, 0xB0F, 0xB10, 0xB13, 0xB28, 0xB2A, 0xB30, 0xB32, 0xB33, 0xB35,
        0xB39, 0xB3D, 0xB3D, 0xB5C, 0xB5D, 0xB5F, 0xB61, 0xB66, 0xB6F, 0xB71, 0xB77, 0xB83, 0xB83,
        0xB85, 0xB8A, 0xB8E, 0xB90, 0xB92, 0xB95, 0xB99, 0xB9A, 0xB9C, 0xB9C, 0xB9E, 0xB9F, 0xBA3,
        0xBA4, 0xBA8, 0xBAA, 0xBAE, 0xBB9, 0xBD0, 0xBD0, 0xBE6, 0xBF2, 0xC05, 0xC0C, 0xC0E, 0xC10,
        0xC12, 0xC28, 0xC2A, 0xC39, 0xC3D, 0xC3D, 0xC58, 0xC5A, 0xC5D, 0xC5D, 0xC60, 0xC61, 0xC66,
        0xC6F, 0xC78, 0xC7E, 0xC80, 0xC80, 0xC85, 0xC8C, 0xC8E, 0xC90, 0xC92, 0xCA8, 0xCAA, 0xCB3,
        0xCB5, 0xCB9, 0xCBD, 0xCBD, 0xCDD, 0xCDE, 0xCE0, 0xCE1, 0xCE6, 0xCEF, 0xCF1, 0xCF2, 0xD04,
        0xD0C, 0xD0E, 0xD10, 0xD12, 0xD3A, 0xD3D, 0xD3D, 0xD4E, 0xD4E, 0xD54, 0xD56, 0xD58, 0xD61,
        0xD66, 0xD78, 0xD7A, 0xD7F, 0xD85, 0xD96, 0xD9A, 0xDB1, 0xDB3, 0xDBB, 0xDBD, 0xDBD, 0xDC0,
        0xDC6, 0xDE6, 0xDEF, 0xE01, 0xE30, 0xE32, 0xE33, 0xE40, 0xE46, 0xE50, 0xE59, 0xE81, 0xE82,
        0xE84, 0xE84, 0xE86, 0xE8A, 0xE8C, 0xEA3, 0xEA5, 0xEA5, 0xEA7, 0xEB0, 0xEB2, 0xEB3, 0xEBD,
        0xEBD, 0xEC0, 0xEC4, 0xEC6, 0xEC6, 0xED0, 0xED9, 0xEDC, 0xEDF, 0xF00, 0xF00, 0xF20, 0xF33,
        0xF40, 0xF47, 0xF49, 0xF6C, 0xF88, 0xF8C, 0x1000, 0x102A, 0x103F, 0x1049, 0x1050, 0x1055,
        0x105A, 0x105D, 0x1061, 0x1061, 0x1065, 0x1066, 0x106E, 0x1070, 0x1075, 0x1081, 0x108E,
        0x108E, 0x1090, 0x1099, 0x10A0, 0x10C5, 0x10C7, 0x10C7, 0x10CD, 0x10CD, 0x10D0, 0x10FA,
        0x10FC, 0x1248, 0x124A, 0x124D, 0x1250, 0x1256, 0x1258, 0x1258, 0x125A, 0x125D, 0x1260,
        0x1288, 0x128A, 0x128D, 0x1290, 0x12B0, 0x12B2, 0x12B5, 0x12B8, 0x12BE, 0x12C0, 0x12C0,
        0x12C2, 0x12C5, 0x12C8, 0x12D6, 0x12D8, 0x1310, 0x1312, 0x1315, 0x1318, 0x135A, 0x1369,
        0x137C, 0x1380, 0x138F, 0x13A0, 0x13F5, 0x13F8, 0x13FD, 0x1401, 0x166C, 0x166F, 0x167F,
        0x1681, 0x169A, 0x16A0, 0x16EA, 0x16EE, 0x16F8, 0x1700, 0x1711, 0x171F, 0x1731, 0x1740,
        0x1751, 0x1760, 0x176C, 0x176E, 0x1770, 0x1780, 0x17B3, 0x17D7, 0x17D7, 0x17DC, 0x17DC,
        0x17E0, 0x17E9, 0x17F0, 0x17F9, 0x1810, 0x1819, 0x1820, 0x1878, 0x1880, 0x1884, 0x1887,
        0x18A8, 0x18AA, 0x18AA, 0x18B0, 0x18F5, 0x1900, 0x191E, 0x1946, 0x196D, 0x1970, 0x1974,
        0x1980, 0x19AB, 0x19B0, 0x19C9, 0x19D0, 0x19DA, 0x1A00, 0x1A16, 0x1A20, 0x1A54, 0x1A80,
        0x1A89, 0x1A90, 0x1A99, 0x1AA7, 0x1AA7, 0x1B05, 0x1B33, 0x1B45, 0x1B4C, 0x1B50, 0x1B59,
        0x1B83, 0x1BA0, 0x1BAE, 0x1BE5, 0x1C00, 0x1C23, 0x1C40, 0x1C49, 0x1C4D, 0x1C7D, 0x1C80,
        0x1C88, 0x1C90, 0x1CBA, 0x1CBD, 0x1CBF, 0x1CE9, 0x1CEC, 0x1CEE, 0x1CF3, 0x1CF5, 0x1CF6,
        0x1CFA, 0x1CFA, 0x1D00, 0x1DBF, 0x1E00, 0x1F15, 0x1F18, 0x1F1D, 0x1F20, 0x1F45, 0x1F48,
        0x1F4D, 0x1F50, 0x1F57, 0x1F59, 0x1F59, 0x1F5B, 0x1F5B, 0x1F5D, 0x1F5D, 0x1F5F, 0x1F7D,
        0x1F80, 0x1FB4, 0x1FB6, 0x1FBC, 0x1FBE, 0x1FBE, 0x1FC2, 0x1FC4, 0x1FC6, 0x1FCC, 0x1FD0,
        0x1FD3, 0x1FD6, 0x1FDB, 0x1FE0, 0x1FEC, 0x1FF2, 0x1FF4, 0x1FF6, 0x1FFC, 0x2070, 0x2071,
        0x2074, 0x2079, 0x207F, 0x2089, 0x2090, 0x209C, 0x2102, 0x2102, 0x2107, 0x2107, 0x210A,
        0x2113, 0x2115, 0x2115, 0x2119, 0x211D, 0x2124, 0x2124, 0x2126, 0x2126, 0x2128, 0x2128,
        0x212A, 0x212D, 0x212F, 0x2139, 0x213C, 0x213F, 0x2145, 0x2149, 0x214E, 0x214E, 0x2150,
        0x2189, 0x2460, 0x249B, 0x24EA, 0x24FF, 0x2776, 0x2793, 0x2C00, 0x2CE4, 0x2CEB, 0x2CEE,
        0x2CF2, 0x2CF3, 0x2CFD, 0x2CFD, 0x2D00, 0x2D25, 0x2D27, 0x2D27, 0x2D2D, 0x2D2D, 0x2D30,
        0x2D67, 0x2D6F, 0x2D6F, 0x2D80, 0x2D96, 0x2DA0, 0x2DA6, 0x2DA8, 0x2DAE, 0x2DB0, 0x2DB6,
        0x2DB8, 0x2DBE, 0x2DC0, 0x2DC6, 0x2DC8, 0x2DCE, 0x2DD0, 0x2DD6, 0x2DD8, 0x2DDE, 0x2E2F,
        0x2E2F, 0x3005, 0x3007, 0x3021, 0x3029, 0x3031, 0x3035, 0x3038, 0x303C, 0x3041, 0x3096,
        0x309D, 0x309F, 0x30A1, 0x30FA, 0x30FC, 0x30FF, 0x3105, 0x312F, 0x3131, 0x318E, 0x3192,
        0x3195, 0x31A0, 0x31BF, 0x31F0, 0x31FF, 0x3220, 0x3229, 0x3248, 0x324F, 0x3251, 0x325F,
        0x3280, 0x3289, 0x32B1, 0x32BF, 0x3400, 0x4DBF, 0x4E00, 0xA48C, 0xA4D0, 0xA4FD, 0xA500,
        0xA60C, 0xA610, 0xA62B, 0xA640, 0xA66E, 0xA67F, 0xA69D, 0xA6A0, 0xA6EF, 0xA717, 0xA71F,
        0xA722, 0xA788, 0xA78B, 0xA7CA, 0xA7D0, 0xA7D1, 0xA7D3, 0xA7D3, 0xA7D5, 0xA7D9, 0xA7F2,
        0xA801, 0xA803, 0xA805, 0xA807, 0xA80A, 0xA80C, 0xA822, 0xA830, 0xA835, 0xA840, 0xA873,
        0xA882, 0xA8B3, 0xA8D0, 0xA8D9, 0xA8F2, 0xA8F7, 0xA8FB, 0xA8FB, 0xA8FD, 0xA8FE, 0xA900,
        0xA925, 0xA930, 0xA946, 0xA960, 0xA97C, 0xA984, 0xA9B2, 0xA9CF, 0xA9D9, 0xA9E0, 0xA9E4,
        0xA9E6, 0xA9FE, 0xAA00, 0xAA28, 0xAA40, 0xAA42, 0xAA44, 0xAA4B, 0xAA50, 0xAA59, 0xAA60,
        0xAA76, 0xAA7A, 0xAA7A, 0xAA7E, 0xAAAF, 0xAAB1, 0xAAB1, 0xAAB5, 0xAAB6, 0xAAB9, 0xAABD,
        0xAAC0, 0xAAC0, 0xAAC2, 0xAAC2, 0xAADB, 0xAADD, 0xAAE0, 0xAAEA, 0xAAF2, 0xAAF4, 0xAB01,
        0xAB06, 0xAB09, 0xAB0E, 0xAB11, 0xAB16, 0xAB20, 0xAB26, 0xAB28, 0xAB2E, 0xAB30, 0xAB5A,
        0xAB5C, 0xAB69, 0xAB70, 0xABE2, 0xABF0, 0xABF9, 0xAC00, 0xD7A3, 0xD7B0, 0xD7C6, 0xD7CB,
        0xD7FB, 0xF900, 0xFA6D, 0xFA70, 0xFAD9, 0xFB00, 0xFB06, 0xFB13, 0xFB17, 0xFB1D, 0xFB1D,
        0xFB1F, 0xFB28, 0xFB2A, 0xFB36, 0xFB38, 0xFB3C, 0xFB3E, 0xFB3E, 0xFB40, 0xFB41, 0xFB43,
        0xFB44, 0xFB46, 0xFBB1, 0xFBD3, 0xFD3D, 0xFD50, 0xFD8F, 0xFD92, 0xFDC7, 0xFDF0, 0xFDFB,
        0xFE70, 0xFE74, 0xFE76, 0xFEFC, 0xFF10, 0xFF19, 0xFF21, 0xFF3A, 0xFF41, 0xFF5A, 0xFF66,
        0xFFBE, 0xFFC2, 0xFFC7, 0xFFCA, 0xFFCF, 0xFFD2, 0xFFD7, 0xFFDA, 0xFFDC, 0x10000, 0x1000B,
        0x1000D, 0x10026, 0x10028, 0x1003A, 0x1003C, 0x1003D, 0x1003F, 0x1004D, 0x10050, 0x1005D,
        0x10080, 0x100FA, 0x10107, 0x10133, 0x10140, 0x10178, 0x1018A, 0x1018B, 0x10280, 0x1029C,
        0x102A0, 0x102D0, 0x102E1, 0x102FB, 0x10300, 0x10323, 0x1032D, 0x1034A, 0x10350, 0x10375,
        0x10380, 0x1039D, 0x103A0, 0x103C3, 0x103C8, 0x103CF, 0x103D1, 0x103D5, 0x10400, 0x1049D,
        0x104A0, 0x104A9, 0x104B0, 0x104D3, 0x104D8, 0x104FB, 0x10500, 0x10527, 0x10530, 0x10563,
        0x10570, 0x1057A, 0x1057C, 0x1058A, 0x1058C, 0x10592, 0x10594, 0x10595, 0x10597, 0x105A1,
        0x105A3, 0x105B1, 0x105B3, 0x105B9, 0x105BB, 0x105BC, 0x10600, 0x10736, 0x10740, 0x10755,
        0x10760, 0x10767, 0x10780, 0x10785, 0x10787, 0x107B0, 0x107B2, 0x107BA, 0x10800, 0x10805,
        0x10808, 0x10808, 0x1080A, 0x10835, 0x10837, 0x10838, 0x1083C, 0x1083C, 0x1083F, 0x10855,
        0x10858, 0x10876, 0x10879, 0x1089E, 0x108A7, 0x108AF, 0x108E0, 0x108F2, 0x108F4, 0x108F5,
        0x108FB, 0x1091B, 0x10920, 0x10939, 0x10980, 0x109B7, 0x109BC, 0x109CF, 0x109D2, 0x10A00,
        0x10A10, 0x10A13, 0x10A15, 0x10A17, 0x10A19, 0x10A35, 0x10A40, 0x10A48, 0x10A60, 0x10A7E,
        0x10A80, 0x10A9F, 0x10AC0, 0x10AC7, 0x10AC9, 0x10AE4, 0x10AEB, 0x10AEF, 0x10B00, 0x10B35,
        0x10B40, 0x10B55, 0x10B58, 0x10B72, 0x10B78, 0x10B91, 0x10BA9, 0x10BAF, 0x10C00, 0x10C48,
        0x10C80, 0x10CB2, 0x10CC0, 0x10CF2, 0x10CFA, 0x10D23, 0x10D30, 0x10D39, 0x10E60, 0x10E7E,
        0x10E80, 0x10EA9, 0x10EB0, 0x10EB1, 0x10F00, 0x10F27, 0x10F30, 0x10F45, 0x10F51, 0x10F54,
        0x10F70, 0x10F81, 0x10FB0, 0x10FCB, 0x10FE0, 0x10FF6, 0x11003, 0x11037, 0x11052, 0x1106F,
        0x11071, 0x11072, 0x11075, 0x11075, 0x11083, 0x110AF, 0x110D0, 0x110E8, 0x110F0, 0x110F9,
        0x11103, 0x11126, 0x11136, 0x1113F, 0x11144, 0x11144, 0x11147, 0x11147, 0x11150, 0x11172,
        0x11176, 0x11176, 0x11183, 0x111B2, 0x111C1, 0x111C4, 0x111D0, 0x111DA, 0x111DC, 0x111DC,
        0x111E1, 0x111F4, 0x11200, 0x11211, 0x11213, 0x1122B, 0x11280, 0x11286, 0x11288, 0x11288,
        0x1128A, 0x1128D, 0x1128F, 0x1129D, 0x1129F, 0x112A8, 0x112B0, 0x112DE, 0x112F0, 0x112F9,
        0x11305, 0x1130C, 0x1130F, 0x11310, 0x11313, 0x11328, 0x1132A, 0x11330, 0x11332, 0x11333,
        0x11335, 0x11339, 0x1133D, 0x1133D, 0x11350, 0x11350, 0x1135D, 0x11361, 0x11400, 0x11434,
        0x11447, 0x1144A, 0x11450, 0x11459, 0x1145F, 0x11461, 0x11480, 0x114AF, 0x114C4, 0x114C5,
        0x114C7, 0x114C7, 0x114D0, 0x114D9, 0x11580, 0x115AE, 0x115D8, 0x115DB, 0x11600, 0x1162F,
        0x11644, 0x11644, 0x11650, 0x11659, 0x11680, 0x116AA, 0x116B8, 0x116B8, 0x116C0, 0x116C9,
        0x11700, 0x1171A, 0x11730, 0x1173B, 0x11740, 0x11746, 0x11800, 0x1182B, 0x118A0, 0x118F2,
        0x118FF, 0x11906, 0x11909, 0x11909, 0x1190C, 0x11913, 0x11915, 0x11916, 0x11918, 0x1192F,
        0x1193F, 0x1193F, 0x11941, 0x11941, 0x11950, 0x11959, 0x119A0, 0x119A7, 0x119AA, 0x119D0,
        0x119E1, 0x119E1, 0x119E3, 0x119E3, 0x11A00, 0x11A00, 0x11A0B, 0x11A32, 0x11A3A, 0x11A3A,
        0x11A50, 0x11A50, 0x11A5C, 0x11A89, 0x11A9D, 0x11A9D, 0x11AB0, 0x11AF8, 0x11C00, 0x11C08,
        0x11C0A, 0x11C2E, 0x11C40, 0x11C40, 0x11C50, 0x11C6C, 0x11C72, 0x11C8F, 0x11D00, 0x11D06,
        0x11D08, 0x11D09, 0x11D0B, 0x11D30, 0x11D46, 0x11D46, 0x11D50, 0x11D59, 0x11D60, 0x11D65,
        0x11D67, 0x11D68, 0x11D6A, 0x11D89, 0x11D98, 0x11D98, 0x11DA0, 0x11DA9, 0x11EE0, 0x11EF2,
        0x11FB0, 0x11FB0, 0x11FC0, 0x11FD4, 0x12000, 0x12399, 0x12400, 0x1246E, 0x12480, 0x12543,
        0x12F90, 0x12FF0, 0x13000, 0x1342E, 0x14400, 0x14646, 0x16800, 0x16A38, 0x16A40, 0x16A5E,
        0x16A60, 0x16A69, 0x16A70, 0x16ABE, 0x16AC0, 0x16AC9, 0x16AD0, 0x16AED, 0x16B00, 0x16B2F,
        0x16B40, 0x16B43, 0x16B50, 0x16B59, 0x16B5B, 0x16B61, 0x16B63, 0x16B77, 0x16B7D, 0x16B8F,
        0x16E40, 0x16E96, 0x16F00, 0x16F4A, 0x16F50, 0x16F50, 0x16F93, 0x16F9F, 0x16FE0, 0x16FE1,
        0x16FE3, 0x16FE3, 0x17000, 0x187F7, 0x18800, 0x18CD5, 0x18D00, 0x18D08, 0x1AFF0, 0x1AFF3,
        0x1AFF5, 0x1AFFB, 0x1AFFD, 0x1AFFE, 0x1B000, 0x1B122, 0x1B150, 0x1B152, 0x1B164, 0x1B167,
        0x1B170, 0x1B2FB, 0x1BC00, 0x1BC6A, 0x1BC70, 0x1BC7C, 0x1BC80, 0x1BC88, 0x1BC90, 0x1BC99,
        0x1D2E0, 0x1D2F3, 0x1D360, 0x1D378, 0x1D400, 0x1D454, 0x1D456, 0x1D49C, 0x1D49E, 0x1D49F,
        0x1D4A2, 0x1D4A2, 0x1D4A5, 0x1D4A6, 0x1D4A9, 0x1D4AC, 0x1D4AE, 0x1D4B9, 0x1D4BB, 0x1D4BB,
        0x1D4BD, 0x1D4C3, 0x1D4C5, 0x1D505, 0x1D507, 0x1D50A, 0x1D50D, 0x1D514, 0x1D516, 0x1D51C,
        0x1D51E, 0x1D539, 0x1D53B, 0x1D53E, 0x1D540, 0x1D544, 0x1D546, 0x1D546, 0x1D54A, 0x1D550,
        0x1D552, 0x1D6A5, 0x1D6A8, 0x1D6C0, 0x1D6C2, 0x1D6DA, 0x1D6DC, 0x1D6FA, 0x1D6FC, 0x1D714,
        0x1D716, 0x1D734, 0x1D736, 0x1D74E, 0x1D750, 0x1D76E, 0x1D770, 0x1D788, 0x1D78A, 0x1D7A8,
        0x1D7AA, 0x1D7C2, 0x1D7C4, 0x1D7CB, 0x1D7CE, 0x1D7FF, 0x1DF00, 0x1DF1E, 0x1E100, 0x1E12C,
        0x1E137, 0x1E13D, 0x1E140, 0x1E149, 0x1E14E, 0x1E14E, 0x1E290, 0x1E2AD, 0x1E2C0, 0x1E2EB,
        0x1E2F0, 0x1E2F9, 0x1E7E0, 0x1E7E6, 0x1E7E8, 0x1E7EB, 0x1E7ED, 0x1E7EE, 0x1E7F0, 0x1E7FE,
        0x1E800, 0x1E8C4, 0x1E8C7, 0x1E8CF, 0x1E900, 0x1E943, 0x1E94B, 0x1E94B, 0x1E950, 0x1E959,
        0x1EC71, 0x1ECAB, 0x1ECAD, 0x1ECAF, 0x1ECB1, 0x1ECB4, 0x1ED01, 0x1ED2D, 0x1ED2F, 0x1ED3D,
        0x1EE00, 0x1EE03, 0x1EE05, 0x1EE1F, 0x1EE21, 0x1EE22, 0x1EE24, 0x1EE24, 0x1EE27, 0x1EE27,
        0x1EE29, 0x1EE32, 0x1EE34, 0x1EE37, 0x1EE39, 0x1EE39, 0x1EE3B, 0x1EE3B, 0x1EE42, 0x1EE42,
        0x1EE47, 0x1EE47, 0x1EE49, 0x1EE49, 0x1EE4B, 0x1EE4B, 0x1EE4D, 0x1EE4F, 0x1EE51, 0x1EE52,
        0x1EE54, 0x1EE54, 0x1EE57, 0x1EE57, 0x1EE59, 0x1EE59, 0x1EE5B, 0x1EE5B, 0x1EE5D, 0x1EE5D,
        0x1EE5F, 0x1EE5F, 0x1EE61, 0x1EE62, 0x1EE64, 0x1EE64, 0x1EE67, 0x1EE6A, 0x1EE6C, 0x1EE72,
        0x1EE74, 0x1EE77, 0x1EE79, 0x1EE7C, 0x1EE7E, 0x1EE7E, 0x1EE80, 0x1EE89, 0x1EE8B, 0x1EE9B,
        0x1EEA1, 0x1EEA3, 0x1EEA5, 0x1EEA9, 0x1EEAB, 0x1EEBB, 0x1F100, 0x1F10C, 0x1FBF0, 0x1FBF9,
        0x20000, 0x2A6DF, 0x2A700, 0x2B738, 0x2B740, 0x2B81D, 0x2B820, 0x2CEA1, 0x2CEB0, 0x2EBE0,
        0x2F800, 0x2FA1D, 0x30000, 0x3134A,
    ];

    pub(super) const DIGIT: &[u32] = &[
        0xB2, 0xB3, 0xB9, 0xB9, 0x660, 0x669, 0x6F0, 0x6F9, 0x7C0, 0x7C9, 0x966, 0x96F, 0x9E6,
        0x9EF, 0xA66, 0xA6F, 0xAE6, 0xAEF, 0xB66, 0xB6F, 0xBE6, 0xBEF, 0xC66, 0xC6F, 0xCE6, 0xCEF,
        0xD66, 0xD6F, 0xDE6, 0xDEF, 0xE50, 0xE59, 0xED0, 0xED9, 0xF20, 0xF29, 0x1040, 0x1049,
        0x1090, 0x1099, 0x1369, 0x1371, 0x17E0, 0x17E9, 0x1810, 0x1819, 0x1946, 0x194F, 0x19D0,
        0x19DA, 0x1A80, 0x1A89, 0x1A90, 0x1A99, 0x1B50, 0x1B59, 0x1BB0, 0x1BB9, 0x1C40, 0x1C49,
        0x1C50, 0x1C59, 0x2070, 0x2070, 0x2074, 0x2079, 0x2080, 0x2089, 0x2460, 0x2468, 0x2474,
        0x247C, 0x2488, 0x2490, 0x24EA, 0x24EA, 0x24F5, 0x24FD, 0x24FF, 0x24FF, 0x2776, 0x277E,
        0x2780, 0x2788, 0x278A, 0x2792, 0xA620, 0xA629, 0xA8D0, 0xA8D9, 0xA900, 0xA909, 0xA9D0,
        0xA9D9, 0xA9F0, 0xA9F9, 0xAA50, 0xAA59, 0xABF0, 0xABF9, 0xFF10, 0xFF19, 0x104A0, 0x104A9,
        0x10A40, 0x10A43, 0x10D30, 0x10D39, 0x10E60, 0x10E68, 0x11052, 0x1105A, 0x11066, 0x1106F,
        0x110F0, 0x110F9, 0x11136, 0x1113F, 0x111D0, 0x111D9, 0x112F0, 0x112F9, 0x11450, 0x11459,
        0x114D0, 0x114D9, 0x11650, 0x11659, 0x116C0, 0x116C9, 0x11730, 0x11739, 0x118E0, 0x118E9,
        0x11950, 0x11959, 0x11C50, 0x11C59, 0x11D50, 0x11D59, 0x11DA0, 0x11DA9, 0x16A60, 0x16A69,
        0x16AC0, 0x16AC9, 0x16B50, 0x16B59, 0x1D7CE, 0x1D7FF, 0x1E140, 0x1E149, 0x1E2F0, 0x1E2F9,
        0x1E950, 0x1E959, 0x1F100, 0x1F10A, 0x1FBF0, 0x1FBF9,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn reads_what_lms_write() {
        let fenced = "Sure!\n```json\n{\"answer\": \"Paris\", \"confidence\": 0.9}\n```\nBye.";
        assert_eq!(loads(fenced), json!({"answer": "Paris", "confidence": 0.9}));
        assert_eq!(
            loads("{'a': True, 'b': None, 'c': (1, 2)}"),
            json!({"a": true, "b": null, "c": [1, 2]})
        );
        assert_eq!(
            loads("{a: 1, // one\n b: [1, 2,], # two\n}"),
            json!({"a": 1, "b": [1, 2]})
        );
        assert_eq!(
            loads("{\"reasoning\": \"The capital is Paris, which"),
            json!({"reasoning": "The capital is Paris, which"})
        );
        assert_eq!(loads("{\"a\": 1} {\"b\": 2}"), json!([{"a": 1}, {"b": 2}]));
        assert_eq!(loads("[{a: 1, a: 2}]"), json!([{"a": 1}, {"a": 2}]));
    }

    #[test]
    fn nothing_found_is_an_empty_string() {
        for text in ["", "   ", "no json here", "answer: 42", "'single'"] {
            assert_eq!(loads(text), json!(""), "{text:?}");
        }
    }

    #[test]
    fn numbers_keep_their_python_type() {
        let v = loads("{\"i\": 3, \"f\": 3.0, \"e\": 1e3, \"n\": -0, \"u\": 1_000, \"h\": .5}");
        assert!(v["i"].is_u64() && v["f"].is_f64() && v["e"].is_f64());
        assert_eq!(v["n"], json!(0));
        assert_eq!(v["u"], json!(1000));
        assert_eq!(v["h"], json!(0.5));
        assert_eq!(
            loads("[18446744073709551615, -9223372036854775808]")[0],
            json!(u64::MAX)
        );
        assert_eq!(loads("[-9223372036854775808]")[0], json!(i64::MIN));
        assert_eq!(
            loads("[123456789012345678901234567890]")[0],
            json!(1.2345678901234568e29)
        );
        let huge = format!("[{}]", "9".repeat(400));
        assert_eq!(loads(&huge)[0], json!("9".repeat(400)));
        assert_eq!(
            loads("[NaN, Infinity, -Infinity, 1e999]"),
            json!(["NaN", "Infinity", "-Infinity", "Infinity"])
        );
    }

    #[test]
    fn escapes_and_surrogates() {
        assert_eq!(loads(r#"{"a": "\ud83d\ude00"}"#), json!({"a": "😀"}));
        // Not valid JSON (no closing brace), so the repairing parser decodes these.
        assert_eq!(loads(r#"{"a": "\ud83d\ude00 \u00e9"#), json!({"a": "😀 é"}));
        assert_eq!(loads(r#"{"a": "\ud800 x"#), json!({"a": "\u{fffd} x"}));
        assert_eq!(loads(r#"["\ud800"]"#), json!(["\u{fffd}"]));
    }

    #[test]
    fn deep_nesting_is_cut_off_without_overflowing() {
        let n = 20_000;
        let inputs = [
            "[".repeat(n),
            format!("{}{}", "[".repeat(n), "]".repeat(n)),
            "{\"a\": ".repeat(n),
            "{\"a\": [".repeat(n),
            "[{".repeat(n),
            "{".repeat(n),
            "(".repeat(n),
            format!("{{\"a\": {}", "\"```json ```".repeat(n)),
            format!("{{\"a\": [1]{}", ", [{\"b\": [1]".repeat(n)),
            format!("{{\"a\": 1}}{}", ", \"b\": 1}".repeat(n)),
            "{\\\"a\\\": {".repeat(n),
        ];
        for input in &inputs {
            let value = loads(input);
            // The result is well-formed and can be serialized (iteratively deep values would
            // also be fine; serde_json's own writer recurses, so keep this shallow check).
            assert!(!value.is_null(), "{}", &input[..20]);
        }
        // Within the limit nothing is cut off.
        let depth = |mut v: &Value| {
            let mut d = 0;
            while let Some(inner) = v.as_array().and_then(|a| a.first()) {
                v = inner;
                d += 1;
            }
            d
        };
        assert_eq!(depth(&loads(&format!("{}1", "[".repeat(300)))), 300);
        // Valid JSON is read as deep as Python's `json` reads it.
        let valid = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(
            depth(&loads(&valid(STRICT_MAX_DEPTH))),
            STRICT_MAX_DEPTH - 1
        );
        assert_eq!(depth(&loads(&valid(STRICT_MAX_DEPTH + 1))), 0);
        let objects = format!(
            "{}1{}",
            "{\"a\": ".repeat(STRICT_MAX_DEPTH),
            "}".repeat(STRICT_MAX_DEPTH)
        );
        let mut v = &loads(&objects);
        let mut levels = 0;
        while let Some(inner) = v.get("a") {
            v = inner;
            levels += 1;
        }
        assert_eq!((levels, v), (STRICT_MAX_DEPTH, &json!(1)));
    }

    #[test]
    fn big_awkward_inputs_stay_fast() {
        // Each of these made some look-ahead quadratic at one point; together they take a
        // fraction of a second.
        let n = 50_000;
        let inputs = [
            format!("{{\"a\": \"{}", "x } y ".repeat(n)),
            format!("[{}]", "\"a\"b\", ".repeat(n / 5)),
            format!("{{\"a\": \"[{}", "\"x".repeat(n / 5)),
            format!("{{\"a\": [1]{}}}", ", [1]".repeat(n)),
            format!(
                "{{\"k\": [{}{}]}}",
                "1, ".repeat(n),
                "{}, \"a\": 1, ".repeat(n / 10)
            ),
            format!("[{{{}}}]", "a: 1, ".repeat(n / 5)),
            "[{".repeat(n),
            "(".repeat(n),
        ];
        for input in &inputs {
            let start = std::time::Instant::now();
            let _ = loads(input);
            assert!(
                start.elapsed().as_secs() < 20,
                "too slow on {}...",
                &input[..20]
            );
        }
    }

    #[test]
    fn character_classes_follow_python() {
        // Python 3.11: 'ा'.isalpha() is False (a combining vowel sign), 'Ⅻ'.isalpha() False,
        // '½'.isdigit() False, '²'.isdigit() True, '३'.isdigit() True, 'ª'.isalpha() True.
        assert!(!is_alpha('\u{93e}') && !is_alnum('\u{93e}'));
        assert!(!is_alpha('Ⅻ') && is_alnum('Ⅻ') && !is_digit('Ⅻ'));
        assert!(!is_digit('½') && is_alnum('½'));
        assert!(is_digit('²') && is_digit('३') && !is_alpha('३'));
        assert!(is_alpha('ª') && is_alpha('中') && is_alpha('é'));
        assert!(!is_alpha('\u{10ffff}') && !is_alnum('\u{80}'));
        assert!(is_space('\u{1c}') && is_space('\u{3000}') && !is_space('\u{200b}'));
        for c in ['a', 'Z', '0', '_', ' ', '{'] {
            assert_eq!(is_alpha(c), c.is_ascii_alphabetic());
            assert_eq!(is_alnum(c), c.is_ascii_alphanumeric());
        }
    }

    #[test]
    fn unicode_tables_are_sorted_ranges() {
        for table in [py_unicode::ALPHA, py_unicode::ALNUM, py_unicode::DIGIT] {
            assert_eq!(table.len() % 2, 0);
            assert!(table.windows(2).all(|w| w[0] <= w[1]));
            assert!(table
                .chunks(2)
                .zip(table.chunks(2).skip(1))
                .all(|(a, b)| a[1] + 1 < b[0]));
        }
    }

    #[test]
    fn skip_index_matches_scanning() {
        let texts = [
            r#"a\"b"c\\"d\\\"e"f:g}h]"#,
            r#"\\\\\\"x" \" \\" ]"#,
            "no targets here at all",
        ];
        for text in texts {
            let padded = format!("{}{text}", " ".repeat(NAIVE_SCAN + 3));
            let p = Parser::new(padded.chars().collect());
            let scan = |targets: &[char], from: usize| {
                let mut backslashes = 0;
                for (i, &c) in p.s.iter().enumerate().skip(from) {
                    if c == '\\' {
                        backslashes += 1;
                        continue;
                    }
                    if targets.contains(&c) && backslashes % 2 == 0 {
                        return i as isize;
                    }
                    backslashes = 0;
                }
                p.s.len() as isize
            };
            for targets in [&['"'][..], &[':', '}'], &[']'], &['"', ']']] {
                for from in 0..p.s.len() {
                    assert_eq!(p.skip_to(targets, from as isize), scan(targets, from));
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn never_panics_on_json_like_text(
            text in r#"[{}\[\]()"',:;#/*\\ \n`\-+.eE0-9a-zA-Z_“”„]{0,80}"#
        ) {
            let _ = loads(&text);
        }

        #[test]
        fn never_panics_on_any_text(text in any::<String>()) {
            let _ = loads(&text);
        }

        #[test]
        fn valid_json_round_trips(value in json_value()) {
            let text = value.to_string();
            prop_assert_eq!(loads(&text), value);
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        })
    }
}
