use dspy::Signature;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone)]
struct Answer {
    text: String,
}

#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: Answer,
}

fn main() {}
