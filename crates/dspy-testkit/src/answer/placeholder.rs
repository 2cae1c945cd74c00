//! The placeholder value for each field type.

use serde_json::Value;

/// What a field of some type is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placeholder<'a> {
    /// The echoed input (`str` and anything text-like).
    Echo,
    /// `0`.
    Int,
    /// `0.0`.
    Float,
    /// `True`.
    Bool,
    /// `[]`.
    List,
    /// `{}` (dicts, models, unknown types).
    Object,
    /// A `Literal` member, as written (quotes included).
    Literal(&'a str),
}

impl<'a> Placeholder<'a> {
    /// The placeholder for a type as DSPy names it (`str`, `list[int]`, `Optional[bool]`, ...).
    pub(super) fn for_type(ty: &'a str) -> Placeholder<'a> {
        Placeholder::nested(ty, 0)
    }

    fn nested(ty: &'a str, depth: usize) -> Placeholder<'a> {
        // Bounds the recursion on hostile input such as `Optional[Optional[...`.
        const MAX_DEPTH: usize = 16;
        let ty = ty.trim();
        if depth > MAX_DEPTH {
            return Placeholder::Object;
        }
        if let Some(inner) = strip_generic(ty, "Optional") {
            return Placeholder::nested(first_arg(inner), depth + 1);
        }
        if let Some(inner) = strip_generic(ty, "Union") {
            return Placeholder::nested(first_arg(inner), depth + 1);
        }
        if let Some(inner) = strip_generic(ty, "Literal") {
            return Placeholder::Literal(first_arg(inner));
        }
        if let Some((first, _)) = split_top_level(ty, '|') {
            return Placeholder::nested(first, depth + 1);
        }
        let base = ty.split('[').next().unwrap_or(ty);
        match base {
            "str" | "String" | "Any" => Placeholder::Echo,
            "int" => Placeholder::Int,
            "float" => Placeholder::Float,
            "bool" => Placeholder::Bool,
            "list" | "List" | "tuple" | "Tuple" | "set" | "Set" => Placeholder::List,
            _ => Placeholder::Object,
        }
    }

    /// The value as chat-format text.
    pub(super) fn text(self, echo: &str) -> String {
        match self {
            Placeholder::Echo => echo.to_string(),
            Placeholder::Int => "0".to_string(),
            Placeholder::Float => "0.0".to_string(),
            Placeholder::Bool => "True".to_string(),
            Placeholder::List => "[]".to_string(),
            Placeholder::Object => "{}".to_string(),
            Placeholder::Literal(member) => unquote(member).to_string(),
        }
    }

    /// The value as JSON.
    pub(super) fn json(self, echo: &str) -> Value {
        match self {
            Placeholder::Echo => Value::String(echo.to_string()),
            Placeholder::Int => Value::from(0),
            Placeholder::Float => Value::from(0.0),
            Placeholder::Bool => Value::Bool(true),
            Placeholder::List => Value::Array(Vec::new()),
            Placeholder::Object => Value::Object(serde_json::Map::new()),
            Placeholder::Literal(member) => {
                let bare = unquote(member);
                if bare.len() == member.len() {
                    // Unquoted: a number, True/False/None, or an enum member.
                    match bare {
                        "True" => Value::Bool(true),
                        "False" => Value::Bool(false),
                        "None" => Value::Null,
                        _ => serde_json::from_str::<serde_json::Number>(bare)
                            .map(Value::Number)
                            .unwrap_or_else(|_| Value::String(bare.to_string())),
                    }
                } else {
                    Value::String(bare.to_string())
                }
            }
        }
    }
}

/// `inner` for `name[inner]`.
fn strip_generic<'a>(ty: &'a str, name: &str) -> Option<&'a str> {
    ty.strip_prefix(name)?.strip_prefix('[')?.strip_suffix(']')
}

/// The first comma-separated argument at bracket depth zero.
fn first_arg(args: &str) -> &str {
    split_top_level(args, ',')
        .map_or(args, |(first, _)| first)
        .trim()
}

/// Splits at the first `sep` outside brackets and quotes.
fn split_top_level(text: &str, sep: char) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '(' | '{') => depth += 1,
            (None, ']' | ')' | '}') => depth = depth.saturating_sub(1),
            (None, c) if c == sep && depth == 0 => {
                return Some((&text[..i], &text[i + c.len_utf8()..]));
            }
            _ => {}
        }
    }
    None
}

/// `a` for `'a'` or `"a"`; anything else unchanged.
fn unquote(text: &str) -> &str {
    for q in ['\'', '"'] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return inner;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(ty: &str) -> String {
        Placeholder::for_type(ty).text("echo")
    }

    fn json(ty: &str) -> String {
        Placeholder::for_type(ty).json("echo").to_string()
    }

    #[test]
    fn chat_values() {
        assert_eq!(text("str"), "echo");
        assert_eq!(text("int"), "0");
        assert_eq!(text("float"), "0.0");
        assert_eq!(text("bool"), "True");
        assert_eq!(text("list[str]"), "[]");
        assert_eq!(text("dict[str, Any]"), "{}");
        assert_eq!(text("Literal['yes', 'no']"), "yes");
        assert_eq!(text("Literal['a, b', 'c']"), "a, b");
        assert_eq!(text("Optional[int]"), "0");
        assert_eq!(text("Union[bool, str]"), "True");
        assert_eq!(text("int | None"), "0");
        assert_eq!(text("MyModel"), "{}");
        assert_eq!(text(""), "{}");
        assert_eq!(text("Literal[]"), "");
        let deep = format!("{}int{}", "Optional[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(text(&deep), "{}");
        assert_eq!(text(&"Optional[".repeat(10_000)), "{}");
    }

    #[test]
    fn json_values() {
        assert_eq!(json("str"), "\"echo\"");
        assert_eq!(json("int"), "0");
        assert_eq!(json("float"), "0.0");
        assert_eq!(json("bool"), "true");
        assert_eq!(json("Literal[3, 4]"), "3");
        assert_eq!(json("Literal[False]"), "false");
        assert_eq!(json("Literal[\"x\"]"), "\"x\"");
        assert_eq!(json("Literal[Color.RED]"), "\"Color.RED\"");
    }
}
