//! Strict JSON: Python's `json.loads` / `JSONDecoder.raw_decode`, on a char slice (Python's
//! `json` module also accepts NaN and Infinity).

use serde_json::{Map, Value};

use super::py_value::{float_value, int_value};
use super::STRICT_MAX_DEPTH;

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

impl Open {
    /// Adds a value that was read inside this container; returns the character that closes
    /// it.
    fn add(&mut self, value: Value) -> char {
        match self {
            Open::Array(items) => {
                items.push(value);
                ']'
            }
            Open::Object(map, key) => {
                map.insert(std::mem::take(key), value);
                '}'
            }
        }
    }

    /// The finished container.
    fn take(&mut self) -> Value {
        match self {
            Open::Array(items) => Value::Array(std::mem::take(items)),
            Open::Object(map, _) => Value::Object(std::mem::take(map)),
        }
    }
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
                let Some(open) = stack.last_mut() else {
                    return Some(value);
                };
                let close = open.add(value);
                self.skip_ws();
                match self.peek()? {
                    ',' => {
                        self.pos += 1;
                        self.skip_ws();
                        if let Open::Object(_, key) = open {
                            *key = self.key()?;
                        }
                        break;
                    }
                    c if c == close => {
                        self.pos += 1;
                        value = open.take();
                        stack.pop();
                    }
                    _ => return None,
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
        if self.peek() == Some('.') && self.s.get(self.pos + 1).is_some_and(char::is_ascii_digit) {
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
