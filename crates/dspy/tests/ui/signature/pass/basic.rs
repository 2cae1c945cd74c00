use dspy::prelude::*;

/// Answer questions with short factoid answers.
///
/// Lines are cleaned like a Python docstring:
///     indented lines keep their extra indentation.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    /// Copied to `QAOutput::answer`.
    #[output(desc = "often between 1 and 5 words", prefix = "Short Answer:")]
    answer: String,
}

fn main() {
    let spec = QA::spec();
    assert_eq!(
        spec.instructions(),
        "Answer questions with short factoid answers.\n\nLines are cleaned like a Python docstring:\n    indented lines keep their extra indentation."
    );
    assert_eq!(spec.inputs()[0].name, "question");
    assert_eq!(spec.inputs()[0].prefix, "Question:");
    assert_eq!(spec.inputs()[0].desc, None);
    assert_eq!(spec.outputs()[0].prefix, "Short Answer:");
    assert!(std::ptr::eq(spec, QA::spec()), "built once");

    let input = QAInput { question: "Who?".into() };
    let values = dspy::core::signature::to_values(&input).unwrap();
    assert_eq!(values["question"], "Who?");
    let output: QAOutput = dspy::core::signature::from_values(values_with("answer", "Ada")).unwrap();
    assert_eq!(output.answer, "Ada");
}

fn values_with(key: &str, value: &str) -> Values {
    let mut values = Values::new();
    values.insert(key.into(), value.into());
    values
}
