//! DSPy's text helpers for proposers: `strip_prefix`, a demo as prompt text, a data set as
//! Python prints it, and our stand-in for the program's source code.

use std::sync::OnceLock;

use dspy_adapters::render::py_repr::{py_repr, py_str, str_repr};
use dspy_adapters::SignatureSpec;
use regex::Regex;

use dspy_core::example::Example;
use dspy_core::module::Module;

/// DSPy's `strip_prefix`: drops a leading label of up to five words and a colon
/// (`Proposed Instruction: Be brief.` gives `Be brief.`), then the double quotes around the
/// rest.
pub(crate) fn strip_prefix(text: &str) -> String {
    static LABEL: OnceLock<Regex> = OnceLock::new();
    let label = LABEL.get_or_init(|| {
        Regex::new(r"^[\*\s]*(([\w'\-]+\s+){0,4}[\w'\-]+):\s*").expect("a valid pattern")
    });
    let rest = match label.find(text) {
        Some(m) => &text[m.end()..],
        None => text,
    };
    rest.trim_matches('"').to_string()
}

/// DSPy's `create_example_string`: one `Prefix: value` line per field of `spec`, inputs then
/// outputs, with Python's `str()` of each value (`None` when the demo lacks the field).
pub(crate) fn example_string(spec: &SignatureSpec, demo: &Example) -> String {
    spec.fields()
        .map(|f| {
            let value = demo.get(&f.name).map_or_else(|| "None".to_string(), py_str);
            format!("{} {value}", f.prefix)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Python's `repr` of one `dspy.Example`: its fields (without `dspy_` keys) and input keys.
fn example_repr(example: &Example) -> String {
    let fields: serde_json::Map<String, serde_json::Value> = example
        .iter()
        .filter(|(k, _)| !k.starts_with("dspy_"))
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let keys = match example.input_keys() {
        None => "None".to_string(),
        Some([]) => "set()".to_string(),
        Some(keys) => {
            let items: Vec<String> = keys.iter().map(|k| str_repr(k)).collect();
            format!("{{{}}}", items.join(", "))
        }
    };
    format!(
        "Example({}) (input_keys={keys})",
        py_repr(&serde_json::Value::Object(fields))
    )
}

/// What DSPy's data-set summary shows the LM: Python's `repr` of a list of examples, with the
/// keys inside every `input_keys={...}` sorted (DSPy's `order_input_keys_in_string`, which
/// makes Python's set order irrelevant).
pub(crate) fn examples_repr(examples: &[Example]) -> String {
    let items: Vec<String> = examples.iter().map(example_repr).collect();
    let text = format!("[{}]", items.join(", "));
    static KEYS: OnceLock<Regex> = OnceLock::new();
    let keys =
        KEYS.get_or_init(|| Regex::new(r"input_keys=\{([^\}]+)\}").expect("a valid pattern"));
    keys.replace_all(&text, |caps: &regex::Captures<'_>| {
        let mut keys: Vec<&str> = caps[1].split(',').map(|k| k.trim()).collect();
        keys.sort_unstable();
        format!("input_keys={{{}}}", keys.join(", "))
    })
    .into_owned()
}

/// A stand-in for the program's source code, which DSPy shows its proposer: Rust has no source
/// at run time, so each predictor is described by its name and signature, one per paragraph:
/// `name = Predict(question -> answer)` and its instructions. A lone predictor gives the text
/// DSPy sends for a bare `dspy.Predict` (`"\n\n"`: DSPy skips the source of its own modules).
pub(crate) fn program_code<P: Module + ?Sized>(program: &P) -> String {
    let predictors = program.named_predictors();
    if predictors.len() <= 1 {
        return "\n\n".to_string();
    }
    let parts: Vec<String> = predictors
        .iter()
        .map(|(name, p)| {
            let spec = p.signature();
            format!(
                "{name} = {}\n    \"\"\"{}\"\"\"",
                module_code(spec),
                spec.instructions()
            )
        })
        .collect();
    format!("{}\n\n", parts.join("\n\n"))
}

/// DSPy's one-line view of a predictor: `Predict(question, context) -> reasoning, answer`.
pub(crate) fn module_code(spec: &SignatureSpec) -> String {
    let names = |fields: &[dspy_adapters::FieldSpec]| {
        fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "Predict({}) -> {}",
        names(spec.inputs()),
        names(spec.outputs())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strip_prefix_like_dspy() {
        // Expected values from Python: dspy.propose.utils.strip_prefix(...)
        for (text, want) in [
            ("Proposed Instruction: Be brief.", "Be brief."),
            ("**Summary:** fine", "** fine"),
            ("  Program Description:   It works.", "It works."),
            ("\"Quoted.\"", "Quoted."),
            (
                "one two three four five six: no",
                "one two three four five six: no",
            ),
            ("Time: 10:30", "10:30"),
            ("no label here", "no label here"),
            ("", ""),
        ] {
            assert_eq!(strip_prefix(text), want, "{text:?}");
        }
    }

    #[test]
    fn examples_print_as_python_lists() {
        let a = Example::new()
            .with("question", "It's 2?")
            .with("answer", json!(2))
            .with("context", "x")
            .with_inputs(["question", "context"]);
        let b = Example::new().with("q", json!(null));
        // Python: repr([a, b]) with the input keys sorted.
        assert_eq!(
            examples_repr(&[a, b]),
            "[Example({'question': \"It's 2?\", 'answer': 2, 'context': 'x'}) (input_keys={'context', 'question'}), Example({'q': None}) (input_keys=None)]"
        );
    }

    #[test]
    fn demos_as_prefixed_lines() {
        let spec = SignatureSpec::parse("question -> answer").unwrap();
        let demo = Example::new()
            .with("question", "Why?")
            .with("augmented", true);
        assert_eq!(example_string(&spec, &demo), "Question: Why?\nAnswer: None");
    }
}
