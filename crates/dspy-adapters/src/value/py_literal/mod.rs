//! Python's `ast.literal_eval` for the literals an LM writes: numbers, strings, `True`,
//! `False`, `None`, and tuples, lists, sets and dicts of them.
//!
//! DSPy falls back to `literal_eval` when JSON repair finds nothing (`"1, 2"`, `"True"`,
//! `"'x'"`, `"1_000"`). The result is JSON: tuples and sets become arrays, dict keys become
//! strings, bytes become the text they decode to (as pydantic reads bytes as `str`).
//!
//! The parser's state and cursor are here; `expressions` reads expressions and containers,
//! `strings` string and bytes literals, `numbers` number literals.

mod expressions;
mod numbers;
mod strings;
#[cfg(test)]
mod tests;

use serde_json::Value;

/// Python's parser refuses more than 200 nested brackets ("too many nested parentheses").
const MAX_DEPTH: usize = 200;

/// Why [`literal_eval`] gave no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LiteralError {
    /// Python would raise `ValueError`/`SyntaxError` (DSPy then keeps the raw text), or the
    /// value is one JSON cannot hold but which validates like its text would (integers beyond
    /// 64 bits, infinite floats, lone surrogates, tuple dict keys).
    Invalid,
    /// A valid literal of a kind no field type accepts and JSON cannot hold: `...`, complex
    /// numbers, bytes that are not UTF-8.
    NoJsonForm,
}

/// Evaluates `text` as a Python literal.
pub(crate) fn literal_eval(text: &str) -> Result<Value, LiteralError> {
    let text = text.trim_start_matches([' ', '\t']);
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
        no_json_form: false,
    };
    let value = (|| {
        p.skip_blank_lines()?;
        let value = p.expr_list()?;
        p.skip_trailer()?;
        Some(value)
    })()
    .ok_or(LiteralError::Invalid)?;
    if p.no_json_form {
        Err(LiteralError::NoJsonForm)
    } else {
        Ok(value)
    }
}

/// A node of the (tiny) expression tree before conversion: numbers keep whether they can
/// take a sign.
enum Node {
    Value(Value),
    /// A number (int or float): the only operand `+`/`-` accept.
    Number(Value),
    /// A parenthesised number, which may still take one sign (`-(1)`).
    ParenNumber(Value),
    /// An imaginary number (`2j`): valid, but with no JSON form.
    Imaginary,
}

impl Node {
    fn into_value(self) -> Value {
        match self {
            Node::Value(v) | Node::Number(v) | Node::ParenNumber(v) => v,
            Node::Imaginary => Value::Null,
        }
    }
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
    /// Set when a valid literal without a JSON form was read (a placeholder stands in).
    no_json_form: bool,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.src.get(self.pos + offset).copied()
    }

    /// Skips spaces, tabs, form feeds, comments and backslash continuations; inside brackets
    /// (`depth > 0`) also newlines.
    fn skip_ws(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | 0x0c) => self.pos += 1,
                Some(b'#') => {
                    while !matches!(self.peek(), None | Some(b'\n' | b'\r')) {
                        self.pos += 1;
                    }
                }
                Some(b'\\') => {
                    match (self.peek_at(1), self.peek_at(2)) {
                        (Some(b'\n'), _) => self.pos += 2,
                        (Some(b'\r'), Some(b'\n')) => self.pos += 3,
                        (Some(b'\r'), _) => self.pos += 2,
                        _ => return None,
                    }
                    // A continuation must be followed by more source.
                    self.peek()?;
                }
                Some(b'\n' | b'\r') if self.depth > 0 => self.pos += 1,
                _ => return Some(()),
            }
        }
    }

    /// Skips blank (or comment-only) lines before the expression; the expression's own line
    /// must not be indented.
    fn skip_blank_lines(&mut self) -> Option<()> {
        loop {
            let line_start = self.pos;
            self.skip_ws()?;
            match self.peek() {
                Some(b'\n' | b'\r') => self.pos += 1,
                _ if self.pos > line_start && line_start > 0 => return None,
                _ => return Some(()),
            }
        }
    }

    /// After the expression: only whitespace, comments and newlines.
    fn skip_trailer(&mut self) -> Option<()> {
        loop {
            self.skip_ws()?;
            match self.peek() {
                None => return Some(()),
                Some(b'\n' | b'\r') => self.pos += 1,
                _ => return None,
            }
        }
    }

    fn eat(&mut self, byte: u8) -> Option<bool> {
        self.skip_ws()?;
        if self.peek() == Some(byte) {
            self.pos += 1;
            Some(true)
        } else {
            Some(false)
        }
    }
}
