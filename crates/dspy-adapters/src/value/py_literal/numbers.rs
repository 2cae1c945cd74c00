//! Number literals: decimal, hex, octal and binary ints, floats, and imaginary numbers.

use serde_json::{Number, Value};

use super::{Node, Parser};

impl<'a> Parser<'a> {
    /// A number literal: decimal/hex/octal/binary int, float, or imaginary.
    pub(super) fn number(&mut self) -> Option<Node> {
        let rest = &self.src[self.pos..];
        if rest.len() > 1
            && rest[0] == b'0'
            && matches!(rest[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
        {
            let radix = match rest[1] {
                b'x' | b'X' => 16,
                b'o' | b'O' => 8,
                _ => 2,
            };
            let body_len = rest[2..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            let body = &self.text[self.pos + 2..self.pos + 2 + body_len];
            self.pos += 2 + body_len;
            // `0x_1f` is valid: one underscore may follow the base prefix.
            let digits = body.strip_prefix('_').unwrap_or(body);
            let cleaned = underscores_removed(digits)?;
            let n = u64::from_str_radix(&cleaned, radix).ok()?;
            return Some(Node::Number(Value::Number(Number::from(n))));
        }
        let start = self.pos;
        let int_len = self.digit_part();
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            is_float = true;
            self.pos += 1;
            let frac_len = self.digit_part();
            if int_len == 0 && frac_len == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digit_part() == 0 {
                self.pos = save;
                return None;
            }
            is_float = true;
        }
        let imaginary = matches!(self.peek(), Some(b'j' | b'J'));
        if imaginary {
            self.pos += 1;
        }
        // A letter, digit, `_` or `.` right after a number (`1abc`, `1__0`) is an error.
        if let Some(c) = self.text[self.pos..].chars().next() {
            if c == '_' || c == '.' || c.is_alphanumeric() {
                return None;
            }
        }
        if imaginary {
            underscores_removed(&self.text[start..self.pos - 1])?;
            self.no_json_form = true;
            return Some(Node::Imaginary);
        }
        let literal = underscores_removed(&self.text[start..self.pos])?;
        if is_float {
            let x: f64 = literal.parse().ok()?;
            return Number::from_f64(x)
                .filter(|_| x.is_finite())
                .map(|n| Node::Number(Value::Number(n)));
        }
        // Decimal ints may not have leading zeros unless all digits are zero.
        if literal.len() > 1 && literal.starts_with('0') && literal.bytes().any(|b| b != b'0') {
            return None;
        }
        let n = if let Ok(i) = literal.parse::<i64>() {
            Number::from(i)
        } else {
            Number::from(literal.parse::<u64>().ok()?)
        };
        Some(Node::Number(Value::Number(n)))
    }

    /// Digits with single underscores between them; returns how many bytes it consumed.
    fn digit_part(&mut self) -> usize {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit()
                || (c == b'_' && matches!(self.peek_at(1), Some(b'0'..=b'9')) && self.pos > start)
            {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.pos - start
    }
}

/// `digits` with its underscores removed, or `None` when an underscore is not between two
/// digits.
fn underscores_removed(digits: &str) -> Option<String> {
    let bytes = digits.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let ok = i > 0
                && i + 1 < bytes.len()
                && bytes[i - 1].is_ascii_alphanumeric()
                && bytes[i + 1].is_ascii_alphanumeric();
            if !ok {
                return None;
            }
        }
    }
    Some(digits.replace('_', ""))
}
