use dspy::Signature;

#[derive(Signature)]
#[dspy(derive(PartialEq, Debug, PartialEq))]
#[dspy(derive(serde::Serialize), derive = "Eq")]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

#[derive(Signature)]
#[dspy(instruction = "Answer questions.")]
struct Misspelled {
    #[output]
    answer: String,
}

fn main() {}
