use dspy::Signature;

#[derive(Signature)]
struct QA {
    #[input]
    #[output]
    question: String,
    #[output]
    #[output]
    answer: String,
}

fn main() {}
