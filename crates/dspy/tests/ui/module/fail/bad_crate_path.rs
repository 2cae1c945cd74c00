use dspy::prelude::*;

/// Answer questions.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

#[module(crate = dspy, crate = dspy)]
#[derive(Debug)]
struct Twice {
    answer: Predict<QA>,
}

impl Twice {
    async fn forward(&self, input: QAInput) -> Result<QAOutput, Error> {
        self.answer.forward(input).await
    }
}

#[module(crate = "not a path")]
#[derive(Debug)]
struct NotAPath {
    answer: Predict<QA>,
}

impl NotAPath {
    async fn forward(&self, input: QAInput) -> Result<QAOutput, Error> {
        self.answer.forward(input).await
    }
}

fn main() {}
