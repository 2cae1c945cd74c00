use dspy::Signature;

/// Answer questions.
#[derive(Signature)]
#[dspy(instructions = "Answer questions.")]
#[dspy(instructions = "Answer questions briefly.")]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

#[derive(Signature)]
#[dspy(instructions = "Be brief.", instructions = "Be precise.")]
struct Twice {
    #[output]
    answer: String,
}

#[derive(Signature)]
#[dspy(instructions = 5)]
struct NotAString {
    #[output]
    answer: String,
}

fn main() {}
