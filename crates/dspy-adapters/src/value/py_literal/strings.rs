//! String and bytes literals (with prefixes, escapes and implicit concatenation), and the
//! names `True`, `False`, `None` and `set()` that start like them.

use serde_json::Value;

use super::{Node, Parser};

impl<'a> Parser<'a> {
    /// `True`, `False`, `None`, `set()`, `...`, or a string with a prefix (`r'..'`, `u".."`).
    pub(super) fn name_or_prefixed_string(&mut self) -> Option<Node> {
        if self.text[self.pos..].starts_with("...") {
            self.pos += 3;
            self.no_json_form = true;
            return Some(Node::Value(Value::Null));
        }
        let start = self.pos;
        let rest = &self.text[start..];
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(c == '_' || c.is_alphanumeric()))
            .map_or(rest.len(), |(i, _)| i);
        if len == 0 {
            return None;
        }
        let name = &rest[..len];
        if matches!(self.src.get(start + len), Some(b'\'' | b'"')) {
            return self.strings();
        }
        self.pos += len;
        match name {
            "True" => Some(Node::Value(Value::Bool(true))),
            "False" => Some(Node::Value(Value::Bool(false))),
            "None" => Some(Node::Value(Value::Null)),
            "set" => {
                if self.eat(b'(')? && self.eat(b')')? {
                    Some(Node::Value(Value::Array(Vec::new())))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// One or more adjacent string (or bytes) literals, concatenated (`'a' "b"` is `'ab'`).
    pub(super) fn strings(&mut self) -> Option<Node> {
        let mut out = Vec::new();
        let mut bytes = None;
        loop {
            let is_bytes = self.string_literal(&mut out)?;
            // `'a' b'b'` is a syntax error.
            if *bytes.get_or_insert(is_bytes) != is_bytes {
                return None;
            }
            self.skip_ws()?;
            let next_is_string = match self.peek() {
                Some(b'\'' | b'"') => true,
                Some(c) if c.is_ascii_alphabetic() => {
                    let rest = &self.src[self.pos..];
                    let prefix = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
                    prefix <= 2 && matches!(rest.get(prefix), Some(b'\'' | b'"'))
                }
                _ => false,
            };
            if !next_is_string {
                break;
            }
        }
        // Bytes validate as the text they decode to; bytes that are not UTF-8 fit no field.
        match String::from_utf8(out) {
            Ok(text) => Some(Node::Value(Value::String(text))),
            Err(_) => {
                self.no_json_form = true;
                Some(Node::Value(Value::Null))
            }
        }
    }

    /// One string or bytes literal with an optional prefix, appended to `out` (UTF-8 for a
    /// string). Returns whether it was a bytes literal.
    fn string_literal(&mut self, out: &mut Vec<u8>) -> Option<bool> {
        let prefix_len = self.src[self.pos..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        let prefix = self.text[self.pos..self.pos + prefix_len].to_ascii_lowercase();
        let (raw, bytes) = match prefix.as_str() {
            "" | "u" => (false, false),
            "r" => (true, false),
            "b" => (false, true),
            "br" | "rb" => (true, true),
            // f-strings are not literals.
            _ => return None,
        };
        self.pos += prefix_len;
        // A name that is not a string prefix (`𝐀"x"`) leaves no quote here.
        let quote = self.peek().filter(|q| matches!(q, b'\'' | b'"'))?;
        let triple = self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote);
        self.pos += if triple { 3 } else { 1 };
        loop {
            let c = self.peek()?;
            if c == quote {
                if !triple {
                    self.pos += 1;
                    return Some(bytes);
                }
                if self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote) {
                    self.pos += 3;
                    return Some(bytes);
                }
            }
            match c {
                b'\n' | b'\r' if !triple => return None,
                b'\r' => {
                    // Source newlines are read as `\n`.
                    self.pos += if self.peek_at(1) == Some(b'\n') { 2 } else { 1 };
                    out.push(b'\n');
                }
                b'\\' if raw => {
                    out.push(b'\\');
                    self.pos += 1;
                    // The backslash keeps the next character from ending the literal.
                    match self.peek()? {
                        b'\r' => {
                            self.pos += if self.peek_at(1) == Some(b'\n') { 2 } else { 1 };
                            out.push(b'\n');
                        }
                        _ => self.push_char(out, bytes)?,
                    }
                }
                b'\\' => {
                    self.pos += 1;
                    self.escape(out, bytes)?;
                }
                _ => self.push_char(out, bytes)?,
            }
        }
    }

    /// Copies the next source character into `out`; bytes literals allow ASCII only.
    fn push_char(&mut self, out: &mut Vec<u8>, bytes: bool) -> Option<()> {
        let ch = self.text.get(self.pos..)?.chars().next()?;
        if bytes && !ch.is_ascii() {
            return None;
        }
        self.pos += ch.len_utf8();
        let mut buf = [0; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        Some(())
    }

    /// The escape sequence after a backslash in a non-raw literal.
    fn escape(&mut self, out: &mut Vec<u8>, bytes: bool) -> Option<()> {
        let c = self.peek()?;
        let code: u32 = match c {
            b'\n' => {
                self.pos += 1;
                return Some(());
            }
            b'\r' => {
                self.pos += if self.peek_at(1) == Some(b'\n') { 2 } else { 1 };
                return Some(());
            }
            b'\\' | b'\'' | b'"' => u32::from(c),
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => 0x0a,
            b'r' => 0x0d,
            b't' => 0x09,
            b'v' => 0x0b,
            b'0'..=b'7' => {
                let mut code = 0;
                let mut len = 0;
                while len < 3 {
                    match self.peek_at(len) {
                        Some(d @ b'0'..=b'7') => code = code * 8 + u32::from(d - b'0'),
                        _ => break,
                    }
                    len += 1;
                }
                self.pos += len - 1;
                if bytes && code > 0xff {
                    return None;
                }
                code
            }
            b'x' => self.hex_escape(2)?,
            b'u' if !bytes => self.hex_escape(4)?,
            b'U' if !bytes => self.hex_escape(8)?,
            // `\N{name}` needs Unicode's name table; treat it as unsupported.
            b'N' if !bytes => return None,
            _ => {
                // Unknown escapes keep their backslash.
                out.push(b'\\');
                return self.push_char(out, bytes);
            }
        };
        self.pos += 1;
        if bytes {
            out.push(u8::try_from(code).ok()?);
        } else {
            // Lone surrogates (valid in Python) have no Rust form: `from_u32` rejects them.
            let ch = char::from_u32(code)?;
            let mut buf = [0; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
        Some(())
    }

    /// The code of a `\xhh`, `\uhhhh` or `\Uhhhhhhhh` escape; `pos` is at the letter and ends
    /// on the last digit.
    fn hex_escape(&mut self, digits: usize) -> Option<u32> {
        let hex = self.text.get(self.pos + 1..self.pos + 1 + digits)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += digits;
        u32::from_str_radix(hex, 16).ok()
    }
}
