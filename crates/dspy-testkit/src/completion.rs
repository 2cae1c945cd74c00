//! Writing completions in DSPy's chat format.

use std::fmt::Write as _;

/// The marker that ends every chat-format completion.
pub const COMPLETED_MARKER: &str = "[[ ## completed ## ]]";

/// Writes output field values as a completion in DSPy's chat format.
///
/// Each field becomes `[[ ## name ## ]]\n{value}`; fields are joined by a blank line and the
/// text ends with `\n\n[[ ## completed ## ]]`. With no fields, the text is just the marker.
///
/// ```
/// use dspy_testkit::chat_completion;
///
/// let text = chat_completion([("reasoning", "2 plus 2 is 4."), ("answer", "4")]);
/// assert_eq!(
///     text,
///     "[[ ## reasoning ## ]]\n2 plus 2 is 4.\n\n[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"
/// );
/// ```
pub fn chat_completion<I, K, V>(fields: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut out = String::new();
    for (name, value) in fields {
        push_field(&mut out, name.as_ref(), value.as_ref());
    }
    finish(&mut out);
    out
}

/// Appends one `[[ ## name ## ]]\n{value}` section, with a blank line before it if needed.
pub(crate) fn push_field(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    // Writing to a String cannot fail.
    let _ = write!(out, "[[ ## {name} ## ]]\n{value}");
}

/// Appends the completed marker.
pub(crate) fn finish(out: &mut String) {
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(COMPLETED_MARKER);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_field() {
        assert_eq!(
            chat_completion([("answer", "Paris")]),
            "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"
        );
    }

    #[test]
    fn no_fields() {
        let none: [(&str, &str); 0] = [];
        assert_eq!(chat_completion(none), "[[ ## completed ## ]]");
    }
}
