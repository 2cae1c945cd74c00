//! Expressions: tuples, signed numbers, atoms, and the containers (lists, tuples, sets, dicts).

use serde_json::{Map, Number, Value};

use super::{Node, Parser, MAX_DEPTH};
use crate::render::py_repr::float_repr;

impl<'a> Parser<'a> {
    /// The top-level expression: `a, b, ...` (a tuple when a comma appears) or a single
    /// expression.
    pub(super) fn expr_list(&mut self) -> Option<Value> {
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
