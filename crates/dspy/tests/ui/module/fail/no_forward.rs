use dspy::prelude::*;

/// Answer questions.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

#[module]
#[derive(Debug)]
struct Program {
    answer: Predict<QA>,
}

fn main() {}
