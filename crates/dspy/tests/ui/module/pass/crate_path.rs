use dspy::prelude::*;

mod runtime {
    pub use dspy::*;
}

#[derive(Signature)]
#[dspy(crate = runtime)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

#[module(crate = runtime)]
#[derive(Debug)]
struct Program {
    answer: Predict<QA>,
}

impl Program {
    async fn forward(&self, input: QAInput) -> Result<QAOutput, Error> {
        self.answer.forward(input).await
    }
}

fn main() {
    let program = Program { answer: Predict::new() };
    assert_eq!(program.named_predictors()[0].0, "answer");
}
