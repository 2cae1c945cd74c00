//! DSPy's inferred field prefixes and default instructions.

use std::sync::LazyLock;

use regex::Regex;

use super::FieldSpec;

static STEPS: LazyLock<[Regex; 4]> = LazyLock::new(|| {
    [
        Regex::new(r"(.)([A-Z][a-z]+)").expect("valid regex"),
        Regex::new(r"([a-z0-9])([A-Z])").expect("valid regex"),
        Regex::new(r"([a-zA-Z])(\d)").expect("valid regex"),
        Regex::new(r"(\d)([a-zA-Z])").expect("valid regex"),
    ]
});

/// DSPy's `infer_prefix`: `camelCaseText` → `Camel Case Text`, `sql_query2DB` → `Sql Query 2 DB`.
///
/// ```
/// use dspy_adapters::signature::infer_prefix;
/// assert_eq!(infer_prefix("myURLValue"), "My URL Value");
/// assert_eq!(infer_prefix("question_1"), "Question 1");
/// ```
pub fn infer_prefix(name: &str) -> String {
    let mut text = name.to_string();
    for re in STEPS.iter() {
        text = re.replace_all(&text, "${1}_${2}").into_owned();
    }
    let words: Vec<String> = text.split('_').map(capitalize_word).collect();
    words.join(" ")
}

/// Python's `str.isupper()` keeps a word as is; otherwise `str.capitalize()`.
fn capitalize_word(word: &str) -> String {
    let has_cased = word.chars().any(|c| c.is_lowercase() || c.is_uppercase());
    if has_cased && !word.chars().any(char::is_lowercase) {
        return word.to_string();
    }
    let mut chars = word.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
    }
}

/// DSPy's default instructions: ``Given the fields `a`, `b`, produce the fields `c`.``
pub fn default_instructions(inputs: &[FieldSpec], outputs: &[FieldSpec]) -> String {
    let names = |fields: &[FieldSpec]| {
        fields
            .iter()
            .map(|f| format!("`{}`", f.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("Given the fields {}, produce the fields {}.", names(inputs), names(outputs))
}

#[cfg(test)]
mod tests {
    use super::infer_prefix;

    #[test]
    fn matches_dspy_table() {
        for (name, want) in [
            ("camelCaseText", "Camel Case Text"),
            ("snake_case_text", "Snake Case Text"),
            ("text2number", "Text 2 Number"),
            ("HTMLParser", "HTML Parser"),
            ("myURLValue", "My URL Value"),
            ("sql_query2DB", "Sql Query 2 DB"),
            ("question_1", "Question 1"),
            ("__x", "  X"),
            ("question", "Question"),
        ] {
            assert_eq!(infer_prefix(name), want, "{name}");
        }
    }
}
