use dspy::prelude::*;

/// Answer questions.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

/// A program with predictors, containers, a nested module and a skipped field.
#[module]
#[derive(Debug)]
struct Program {
    first: Predict<QA>,
    second: ChainOfThought<QA>,
    hops: Vec<Predict<QA>>,
    #[module(skip)]
    retries: usize,
}

impl Program {
    async fn forward(&self, input: QAInput) -> Result<QAOutput, Error> {
        let first = self.first.forward(input).await?;
        let second = self.second.forward(QAInput { question: first.answer }).await?;
        Ok(second.into_output())
    }
}

#[module]
#[derive(Debug)]
struct Outer<M: Module> {
    inner: M,
    r#type: Option<Predict<QA>>,
}

impl<M: Module> Outer<M> {
    async fn forward(&self, input: QAInput) -> Result<WithReasoning<QAOutput>, Error> {
        let _ = input;
        Err(Error::custom("not run"))
    }
}

fn main() {
    let program = Program {
        first: Predict::new(),
        second: ChainOfThought::new(),
        hops: vec![Predict::new()],
        retries: 2,
    };
    assert_eq!(program.retries, 2);
    let outer = Outer { inner: program, r#type: Some(Predict::new()) };
    let names: Vec<String> = outer.named_predictors().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["inner.first", "inner.second.predict", "inner.hops[0]", "type"]);
    let boxed: Box<dyn Module> = Box::new(outer);
    assert_eq!(boxed.named_predictors().len(), 4);
}
