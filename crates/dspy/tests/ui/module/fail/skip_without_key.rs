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
    #[module()]
    retries: usize,
    #[module]
    label: String,
}

impl Program {
    async fn forward(&self, input: QAInput) -> Result<QAOutput, Error> {
        self.answer.forward(input).await
    }
}

fn main() {}
