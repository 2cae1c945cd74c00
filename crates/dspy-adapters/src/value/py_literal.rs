//! Python's `ast.literal_eval` for the literals an LM writes: numbers, strings, `True`,
//! `False`, `None`, and tuples, lists, sets and dicts of them.
//!
//! DSPy falls back to `literal_eval` when JSON repair finds nothing (`"1, 2"`, `"True"`,
//! `"'x'"`, `"1_000"`). The result is JSON: tuples and sets become arrays, dict keys become
//! strings, bytes become the text they decode to (as pydantic reads bytes as `str`).

use serde_json::{Map, Number, Value};

use crate::render::py_repr::float_repr;

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

    /// The top-level expression: `a, b, ...` (a tuple when a comma appears) or a single
    /// expression.
    fn expr_list(&mut self) -> Option<Value> {
        let first = self.expr()?;
        if !self.eat(b',')? {
            return Some(first.into_value());
        }
        let mut items = vec![first.into_value()];
        loop {
            self.skip_ws()?;
            if matches!(self.peek(), None | Some(b'\n' | b'\r')) {
                return Some(Value::Array(items));
            }
            items.push(self.expr()?.into_value());
            if !self.eat(b',')? {
                return Some(Value::Array(items));
            }
        }
    }

    /// The items of a list, tuple or set up to `close` (already past the first item when
    /// `items` is not empty), with an optional trailing comma.
    fn items_until(&mut self, close: u8, mut items: Vec<Value>) -> Option<Node> {
        loop {
            if self.eat(close)? {
                return Some(Node::Value(Value::Array(items)));
            }
            items.push(self.expr()?.into_value());
            if !self.eat(b',')? {
                return self.eat(close)?.then_some(Node::Value(Value::Array(items)));
            }
        }
    }

    /// One expression: an atom, optionally with a single `+`/`-` sign on a number, or a
    /// complex number `a + bj` (real part, sign, imaginary part).
    fn expr(&mut self) -> Option<Node> {
        self.skip_ws()?;
        let mut signed = false;
        let left = match self.peek()? {
            sign @ (b'+' | b'-') => {
                self.pos += 1;
                signed = true;
                match self.atom()? {
                    Node::Number(v) | Node::ParenNumber(v) => {
                        Node::Number(if sign == b'-' { negate(&v)? } else { v })
                    }
                    Node::Imaginary => Node::Imaginary,
                    Node::Value(_) => return None,
                }
            }
            _ => self.atom()?,
        };
        self.skip_ws()?;
        if let (Node::Number(_) | Node::ParenNumber(_), Some(b'+' | b'-')) = (&left, self.peek()) {
            self.pos += 1;
            if !matches!(self.atom()?, Node::Imaginary) {
                return None;
            }
            self.no_operator()?;
            return Some(Node::Imaginary);
        }
        self.no_operator()?;
        Some(match left {
            // A signed number cannot take another sign: `-(-1)` is not a literal.
            Node::Number(v) if signed => Node::Value(v),
            other => other,
        })
    }

    /// Rejects a binary operator, call, subscript or attribute after an operand (literal_eval
    /// accepts none that JSON could hold).
    fn no_operator(&mut self) -> Option<()> {
        self.skip_ws()?;
        match self.peek() {
            None | Some(b',' | b')' | b']' | b'}' | b':' | b'\n' | b'\r' | b'#') => Some(()),
            _ => None,
        }
    }

    fn atom(&mut self) -> Option<Node> {
        self.skip_ws()?;
        let c = self.peek()?;
        match c {
            b'0'..=b'9' => self.number(),
            b'.' if matches!(self.peek_at(1), Some(b'0'..=b'9')) => self.number(),
            b'\'' | b'"' => self.strings(),
            b'(' => self.nested(|p| {
                if p.eat(b')')? {
                    return Some(Node::Value(Value::Array(Vec::new())));
                }
                let first = p.expr()?;
                if p.eat(b')')? {
                    // `(x)` is `x`; a parenthesised number may still take a sign.
                    return Some(match first {
                        Node::Number(v) | Node::ParenNumber(v) => Node::ParenNumber(v),
                        other => other,
                    });
                }
                if !p.eat(b',')? {
                    return None;
                }
                p.items_until(b')', vec![first.into_value()])
            }),
            b'[' => self.nested(|p| p.items_until(b']', Vec::new())),
            b'{' => self.nested(Parser::braces),
            _ => self.name_or_prefixed_string(),
        }
    }

    /// Runs `inner` one bracket level deeper, after consuming the opening bracket.
    fn nested(&mut self, inner: impl FnOnce(&mut Self) -> Option<Node>) -> Option<Node> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        self.depth += 1;
        let node = inner(self);
        self.depth -= 1;
        node
    }

    /// `{}` (a dict), `{k: v, ...}` or `{a, b}` (a set).
    fn braces(&mut self) -> Option<Node> {
        if self.eat(b'}')? {
            return Some(Node::Value(Value::Object(Map::new())));
        }
        let first = self.expr()?.into_value();
        if !self.eat(b':')? {
            if !self.eat(b',')? {
                return self
                    .eat(b'}')?
                    .then_some(Node::Value(Value::Array(vec![first])));
            }
            return self.items_until(b'}', vec![first]);
        }
        let mut map = Map::new();
        let mut key = first;
        loop {
            let value = self.expr()?.into_value();
            map.insert(dict_key(&key)?, value);
            let more = self.eat(b',')?;
            if self.eat(b'}')? {
                return Some(Node::Value(Value::Object(map)));
            }
            if !more {
                return None;
            }
            key = self.expr()?.into_value();
            if !self.eat(b':')? {
                return None;
            }
        }
    }

    /// `True`, `False`, `None`, `set()`, `...`, or a string with a prefix (`r'..'`, `u".."`).
    fn name_or_prefixed_string(&mut self) -> Option<Node> {
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
    fn strings(&mut self) -> Option<Node> {
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
        let quote = self.peek()?;
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
        let ch = self.text[self.pos..].chars().next()?;
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

    /// A number literal: decimal/hex/octal/binary int, float, or imaginary.
    fn number(&mut self) -> Option<Node> {
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

fn negate(number: &Value) -> Option<Value> {
    let n = number.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(Value::from(i.checked_neg()?));
    }
    if let Some(u) = n.as_u64() {
        // Only `-(2**63)` fits after negation.
        return (u == 1 << 63).then(|| Value::from(i64::MIN));
    }
    Number::from_f64(-n.as_f64()?).map(Value::Number)
}

/// A dict key as a JSON object key: strings as they are, other scalars as `json.dumps`
/// writes keys (`1`, `1.5`, `true`, `null`). Containers cannot be keys.
fn dict_key(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".to_string()),
        Value::Number(n) if n.is_f64() => n.as_f64().map(float_repr),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{literal_eval, LiteralError};
    use serde_json::{json, Value};

    fn eval(text: &str) -> Option<Value> {
        literal_eval(text).ok()
    }

    #[test]
    fn scalars() {
        assert_eq!(eval("True"), Some(json!(true)));
        assert_eq!(eval("None"), Some(json!(null)));
        assert_eq!(eval("'x'"), Some(json!("x")));
        assert_eq!(eval("\"it's\""), Some(json!("it's")));
        assert_eq!(eval("'a' 'b'"), Some(json!("ab")));
        assert_eq!(eval("r'\\n'"), Some(json!("\\n")));
        assert_eq!(eval("'\\x41\\u00e9\\101\\d'"), Some(json!("A\u{e9}A\\d")));
        assert_eq!(eval("'''a\nb'''"), Some(json!("a\nb")));
        assert_eq!(eval("1_000"), Some(json!(1000)));
        assert_eq!(eval("123_456.789"), Some(json!(123456.789)));
        assert_eq!(eval("0x10"), Some(json!(16)));
        assert_eq!(eval("-5"), Some(json!(-5)));
        assert_eq!(eval("+1.5"), Some(json!(1.5)));
        assert_eq!(eval("-(1)"), Some(json!(-1)));
        assert_eq!(eval("1e3"), Some(json!(1000.0)));
        assert_eq!(eval(".5"), Some(json!(0.5)));
        assert_eq!(eval("5."), Some(json!(5.0)));
        assert_eq!(eval("00"), Some(json!(0)));
        assert_eq!(eval("  7  # seven\n"), Some(json!(7)));
    }

    #[test]
    fn containers() {
        assert_eq!(eval("1, 2"), Some(json!([1, 2])));
        assert_eq!(eval("1,"), Some(json!([1])));
        assert_eq!(eval("(1, 'x')"), Some(json!([1, "x"])));
        assert_eq!(eval("()"), Some(json!([])));
        assert_eq!(eval("(1)"), Some(json!(1)));
        assert_eq!(eval("[1, [2, (3,)],]"), Some(json!([1, [2, [3]]])));
        assert_eq!(
            eval("{'a': 1, 'b': [True, None]}"),
            Some(json!({"a": 1, "b": [true, null]}))
        );
        assert_eq!(
            eval("{1: 'a', 2.5: 'b',}"),
            Some(json!({"1": "a", "2.5": "b"}))
        );
        assert_eq!(eval("{1, 2}"), Some(json!([1, 2])));
        assert_eq!(eval("set()"), Some(json!([])));
        assert_eq!(eval("{}"), Some(json!({})));
        assert_eq!(eval("[\n  1,\n  2\n]"), Some(json!([1, 2])));
    }

    #[test]
    fn rejections() {
        for text in [
            "",
            "yes",
            "Paris",
            "1 2",
            "1 + 2",
            "--1",
            "-True",
            "03",
            "1__0",
            "1_",
            "1abc",
            "f'x'",
            "'a",
            "'a\nb'",
            "[1, 2",
            "x = 1",
            "1\n2",
            "1e400",
            "99999999999999999999",
            "{[1]: 2}",
            "frozenset()",
            "'\\N{BULLET}'",
            "'\\ud800'",
            "\u{a0}1",
            "~1",
            "(1,) (2,)",
        ] {
            assert_eq!(eval(text), None, "{text:?}");
        }
        for text in ["...", "2j", "1+2j", "-1.5-2J", "b'\\xff'", "[1, ...]"] {
            assert_eq!(
                literal_eval(text),
                Err(LiteralError::NoJsonForm),
                "{text:?}"
            );
        }
        assert_eq!(eval("b'x\\x41'"), Some(json!("xA")));
        assert_eq!(eval("b'a' b'b'"), Some(json!("ab")));
        assert_eq!(eval("'a' b'b'"), None);
        assert_eq!(eval("b'\\u0041'"), Some(json!("\\u0041")));
        assert_eq!(eval("-(-1)"), None);
        for (text, want) in [
            ("\n1", Some(json!(1))),
            ("\n 1", None),
            ("{1: 2,}", Some(json!({"1": 2}))),
            ("{1,}", Some(json!([1]))),
            ("0x_1f", Some(json!(31))),
            ("+(1)", Some(json!(1))),
            ("R'x'", Some(json!("x"))),
            ("'''a\r\nb'''", Some(json!("a\nb"))),
            ("[1, # c\n 2]", Some(json!([1, 2]))),
            ("1\\\n", None),
            ("None,None", Some(json!([null, null]))),
            ("{**{}}", None),
            ("[*[1]]", None),
            ("0_1", None),
            ("00.5", Some(json!(0.5))),
            ("( )", Some(json!([]))),
        ] {
            assert_eq!(eval(text), want, "{text:?}");
        }
        for text in ["(1)+2j", "1_0j", "1e5j"] {
            assert_eq!(
                literal_eval(text),
                Err(LiteralError::NoJsonForm),
                "{text:?}"
            );
        }
        assert_eq!(eval("1j + 1"), None);
        let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
        assert_eq!(eval(&deep), None);
        let ok = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        assert!(eval(&ok).is_some());
    }
}
