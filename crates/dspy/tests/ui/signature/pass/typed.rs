use dspy::prelude::*;
use dspy::schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone)]
#[schemars(crate = "dspy::schemars")]
enum Sentiment {
    Positive,
    Negative,
}

/// A span of text.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone)]
#[schemars(crate = "dspy::schemars")]
struct Span {
    start: usize,
    end: usize,
}

#[derive(Signature)]
pub struct Classify {
    #[input]
    text: String,
    #[input]
    hints: Option<Vec<String>>,
    #[output]
    sentiment: Sentiment,
    #[output]
    spans: Vec<Span>,
    #[output]
    r#type: std::collections::HashMap<String, f64>,
}

fn main() {
    let spec = Classify::spec();
    let names: Vec<String> = spec.fields().map(|f| f.ty.dspy_name()).collect();
    assert_eq!(
        names,
        ["str", "Union[list[str], NoneType]", "Sentiment", "list[Span]", "dict[str, float]"]
    );
    assert_eq!(spec.outputs()[2].name, "type");
    assert_eq!(
        spec.instructions(),
        "Given the fields `text`, `hints`, produce the fields `sentiment`, `spans`, `type`."
    );
    let _ = ClassifyOutput {
        sentiment: Sentiment::Positive,
        spans: vec![Span { start: 0, end: 1 }],
        r#type: Default::default(),
    };
    let _ = Sentiment::Negative;
}
