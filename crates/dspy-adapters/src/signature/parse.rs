//! DSPy's string signatures (`"question, context: list[str] -> answer: int"`) and its
//! type grammar (`str`, `int`, `list[..]`, `dict[..]`, `Literal[..]`, `Optional[..]`, ...).

use super::{FieldSpec, FieldType, LiteralValue, SignatureBuilder, SignatureSpec};

/// A string signature or type expression that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid signature {text:?} at position {position}: expected {expected}, found {found}")]
pub struct SignatureSyntaxError {
    /// The text being parsed.
    pub text: String,
    /// Byte offset of the problem in `text`.
    pub position: usize,
    /// What was expected there.
    pub expected: String,
    /// What was found there.
    pub found: String,
}

impl SignatureSyntaxError {
    pub(crate) fn duplicate(name: &str) -> SignatureSyntaxError {
        SignatureSyntaxError {
            text: name.to_string(),
            position: 0,
            expected: "distinct field names".to_string(),
            found: format!("the name `{name}` used twice"),
        }
    }
}

/// Parses a DSPy type expression such as `dict[str, list[int]]` or `Literal['a', "b's"]`.
///
/// `resolve` maps other names (pydantic models, enums) to their types.
pub fn parse_type(
    text: &str,
    resolve: &dyn Fn(&str) -> Option<FieldType>,
) -> Result<FieldType, SignatureSyntaxError> {
    let mut p = Parser {
        text,
        pos: 0,
        resolve,
        depth: 0,
    };
    p.skip_ws();
    let ty = p.union_expr()?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error("end of type"));
    }
    Ok(ty)
}

pub(super) fn parse_signature(text: &str) -> Result<SignatureSpec, SignatureSyntaxError> {
    let arrows: Vec<usize> = text.match_indices("->").map(|(i, _)| i).collect();
    if arrows.len() != 1 {
        return Err(SignatureSyntaxError {
            text: text.to_string(),
            position: arrows.get(1).copied().unwrap_or(text.len()),
            expected: "exactly one `->` between inputs and outputs".to_string(),
            found: format!("{} `->`", arrows.len()),
        });
    }
    let arrow = arrows[0];
    let no_custom = |_: &str| None;
    let with_text = |mut e: SignatureSyntaxError| {
        e.text = text.to_string();
        e
    };
    let inputs = parse_side(text, 0, arrow, &no_custom).map_err(with_text)?;
    let outputs = parse_side(text, arrow + 2, text.len(), &no_custom).map_err(with_text)?;
    let mut builder = SignatureBuilder::default();
    for f in inputs {
        builder = builder.input(f);
    }
    for f in outputs {
        builder = builder.output(f);
    }
    builder.build().map_err(with_text)
}

/// Parses `name[: type], ...` between byte offsets `start` and `end` of `text`.
fn parse_side(
    text: &str,
    start: usize,
    end: usize,
    resolve: &dyn Fn(&str) -> Option<FieldType>,
) -> Result<Vec<FieldSpec>, SignatureSyntaxError> {
    let mut p = Parser {
        text: &text[..end],
        pos: start,
        resolve,
        depth: 0,
    };
    let mut fields = Vec::new();
    p.skip_ws();
    if p.pos >= end {
        return Ok(fields);
    }
    loop {
        p.skip_ws();
        let name = p.ident().ok_or_else(|| p.error("a field name"))?;
        p.skip_ws();
        let ty = if p.eat(':') {
            p.skip_ws();
            p.union_expr()?
        } else {
            FieldType::Str
        };
        fields.push(FieldSpec::new(name, ty));
        p.skip_ws();
        if p.pos >= end {
            return Ok(fields);
        }
        if !p.eat(',') {
            return Err(p.error("`,` or `->`"));
        }
    }
}

/// Deepest nesting of type arguments a signature may use (`list[list[...]]`); deeper text is a
/// syntax error instead of a stack overflow.
pub(crate) const MAX_TYPE_DEPTH: usize = 64;

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    resolve: &'a dyn Fn(&str) -> Option<FieldType>,
    /// Type-argument brackets open around the current position.
    depth: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn error(&self, expected: &str) -> SignatureSyntaxError {
        let found = match self.peek() {
            None => "end of text".to_string(),
            Some(_) => format!("{:?}", self.rest().chars().take(12).collect::<String>()),
        };
        SignatureSyntaxError {
            text: self.text.to_string(),
            position: self.pos,
            expected: expected.to_string(),
            found,
        }
    }

    /// An identifier, possibly dotted (`dspy.History`).
    fn ident(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let rest = self.rest();
        let mut chars = rest.char_indices();
        match chars.next() {
            Some((_, c)) if c.is_alphabetic() || c == '_' => {}
            _ => return None,
        }
        let mut len = rest.len();
        for (i, c) in chars {
            if !(c.is_alphanumeric() || c == '_' || c == '.') {
                len = i;
                break;
            }
        }
        self.pos += len;
        Some(&self.text[start..self.pos])
    }

    /// `T | U | ...` (PEP 604) or a single type.
    fn union_expr(&mut self) -> Result<FieldType, SignatureSyntaxError> {
        let first = self.type_expr()?;
        self.skip_ws();
        if self.peek() != Some('|') {
            return Ok(first);
        }
        let mut members = vec![first];
        while self.eat('|') {
            self.skip_ws();
            members.push(self.type_expr()?);
            self.skip_ws();
        }
        Ok(FieldType::Union(members))
    }

    fn type_expr(&mut self) -> Result<FieldType, SignatureSyntaxError> {
        let at = self.pos;
        let name = self
            .ident()
            .ok_or_else(|| self.error("a type name"))?
            .to_string();
        self.skip_ws();
        let args = if self.eat('[') {
            let args = if name == "Literal" {
                None
            } else {
                if self.depth >= MAX_TYPE_DEPTH {
                    self.pos -= 1;
                    return Err(self.error("at most 64 levels of nested type arguments"));
                }
                self.depth += 1;
                let args = self.type_args();
                self.depth -= 1;
                Some(args?)
            };
            Some(args)
        } else {
            None
        };
        let base = name.rsplit('.').next().unwrap_or(&name);
        let ty = match (base, args) {
            ("Literal", Some(None)) => FieldType::Literal(self.literal_args()?),
            ("str", None) => FieldType::Str,
            ("int", None) => FieldType::Int,
            ("float", None) => FieldType::Float,
            ("bool", None) => FieldType::Bool,
            ("Any", None) => FieldType::Any,
            ("None" | "NoneType", None) => FieldType::None,
            ("History", None) => FieldType::History,
            ("Tool", None) => FieldType::Tool,
            ("ToolCalls", None) => FieldType::ToolCalls,
            ("list" | "List", None) => FieldType::List(Box::new(FieldType::Any)),
            ("dict" | "Dict", None) => {
                FieldType::Dict(Box::new(FieldType::Any), Box::new(FieldType::Any))
            }
            ("list" | "List", Some(Some(mut a))) if a.len() == 1 => {
                FieldType::List(Box::new(a.remove(0)))
            }
            ("dict" | "Dict", Some(Some(mut a))) if a.len() == 2 => {
                let v = a.remove(1);
                FieldType::Dict(Box::new(a.remove(0)), Box::new(v))
            }
            ("tuple" | "Tuple", Some(Some(a))) => FieldType::Tuple(a),
            ("Optional", Some(Some(mut a))) if a.len() == 1 => FieldType::optional(a.remove(0)),
            ("Union", Some(Some(a))) if !a.is_empty() => FieldType::Union(a),
            (_, None) => match (self.resolve)(&name) {
                Some(t) => t,
                None => {
                    self.pos = at;
                    return Err(self.error("a known type (str, int, float, bool, list[..], dict[..], tuple[..], Literal[..], Optional[..], Union[..] or a declared model/enum)"));
                }
            },
            (generic, _) => {
                self.pos = at;
                let known = [
                    "list", "List", "dict", "Dict", "tuple", "Tuple", "Optional", "Union",
                ];
                return Err(self.error(if known.contains(&generic) {
                    "type arguments that fit this generic"
                } else {
                    "a known generic (list[..], dict[..], tuple[..], Literal[..], Optional[..], Union[..])"
                }));
            }
        };
        Ok(ty)
    }

    /// Comma-separated types up to the closing `]`.
    fn type_args(&mut self) -> Result<Vec<FieldType>, SignatureSyntaxError> {
        let mut args = Vec::new();
        loop {
            self.skip_ws();
            args.push(self.union_expr()?);
            self.skip_ws();
            if self.eat(']') {
                return Ok(args);
            }
            if !self.eat(',') {
                return Err(self.error("`,` or `]`"));
            }
        }
    }

    fn literal_args(&mut self) -> Result<Vec<LiteralValue>, SignatureSyntaxError> {
        let mut values = Vec::new();
        loop {
            self.skip_ws();
            values.push(self.literal()?);
            self.skip_ws();
            if self.eat(']') {
                return Ok(values);
            }
            if !self.eat(',') {
                return Err(self.error("`,` or `]`"));
            }
        }
    }

    /// A Python literal: a quoted string, number, `True`, `False` or `None`.
    fn literal(&mut self) -> Result<LiteralValue, SignatureSyntaxError> {
        match self.peek() {
            Some(q @ ('\'' | '"')) => self.string_literal(q).map(LiteralValue::Str),
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                self.number_literal()
            }
            _ => {
                let at = self.pos;
                match self.ident() {
                    Some("True") => Ok(LiteralValue::Bool(true)),
                    Some("False") => Ok(LiteralValue::Bool(false)),
                    Some("None") => Ok(LiteralValue::None),
                    _ => {
                        self.pos = at;
                        Err(self.error(
                            "a literal value (a quoted string, a number, True, False or None)",
                        ))
                    }
                }
            }
        }
    }

    fn string_literal(&mut self, quote: char) -> Result<String, SignatureSyntaxError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.error("a closing quote"));
            };
            self.pos += c.len_utf8();
            match c {
                c if c == quote => return Ok(out),
                '\\' => {
                    let Some(e) = self.peek() else { continue };
                    self.pos += e.len_utf8();
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '0' => out.push('\0'),
                        other => {
                            if !matches!(other, '\\' | '\'' | '"') {
                                out.push('\\');
                            }
                            out.push(other);
                        }
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn number_literal(&mut self) -> Result<LiteralValue, SignatureSyntaxError> {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_')))
            .unwrap_or(self.rest().len());
        let raw = self.text[start..start + len].replace('_', "");
        self.pos += len;
        if let Ok(i) = raw.parse::<i64>() {
            return Ok(LiteralValue::Int(i));
        }
        match raw.parse::<f64>() {
            Ok(x) => Ok(LiteralValue::Float(x)),
            Err(_) => {
                self.pos = start;
                Err(self.error("a number"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> FieldType {
        parse_type(text, &|_| None).unwrap()
    }

    #[test]
    fn parses_type_grammar_and_names_back() {
        for text in [
            "str",
            "list[str]",
            "dict[str, list[int]]",
            "tuple[int, str]",
            "Literal['a', \"it's\", 1]",
            "Literal[True, 3, 'foo']",
        ] {
            assert_eq!(ty(text).dspy_name(), text);
        }
        assert_eq!(ty("Optional[int]").dspy_name(), "Union[int, NoneType]");
        assert_eq!(ty("int | None").dspy_name(), "Union[int, NoneType]");
    }

    #[test]
    fn parses_signature() {
        let spec = SignatureSpec::parse("question, context: list[str] -> answer: int").unwrap();
        assert_eq!(spec.inputs().len(), 2);
        assert_eq!(
            spec.inputs()[1].ty,
            FieldType::List(Box::new(FieldType::Str))
        );
        assert_eq!(spec.outputs()[0].ty, FieldType::Int);
        assert_eq!(spec.outputs()[0].prefix, "Answer:");
        assert_eq!(
            spec.instructions(),
            "Given the fields `question`, `context`, produce the fields `answer`."
        );
        assert!(SignatureSpec::parse("-> b").unwrap().inputs().is_empty());
    }

    #[test]
    fn deep_nesting_is_a_syntax_error_not_a_stack_overflow() {
        let deep = |n: usize| format!("x: {}str{} -> y", "list[".repeat(n), "]".repeat(n));
        assert!(parse_signature(&deep(MAX_TYPE_DEPTH)).is_ok());
        let err = parse_signature(&deep(MAX_TYPE_DEPTH + 1)).unwrap_err();
        assert!(err.expected.contains("nested"), "{}", err.expected);
        // 100,000 levels (would overflow the stack of a recursive parser) fail the same way.
        let err = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || parse_signature(&deep(100_000)).unwrap_err())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(err.position, 3 + 5 * MAX_TYPE_DEPTH + 4);
    }

    #[test]
    fn reports_position_and_expectation() {
        let err = SignatureSpec::parse("a, b: lst[int] -> c").unwrap_err();
        assert_eq!(err.position, 6);
        assert!(err.expected.contains("known generic"), "{err}");
        let err = SignatureSpec::parse("a -> b -> c").unwrap_err();
        assert!(err.expected.contains("exactly one"));
        let err = SignatureSpec::parse("a: list[int -> b").unwrap_err();
        assert!(err.expected.contains("`]`"), "{err}");
        let err = SignatureSpec::parse("a -> a").unwrap_err();
        assert!(err.found.contains("twice"));
    }
}
