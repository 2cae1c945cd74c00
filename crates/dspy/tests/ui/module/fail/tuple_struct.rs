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
struct Program(Predict<QA>);

fn main() {
    let program = Program(Predict::new());
    let _ = program.named_predictors();
}
