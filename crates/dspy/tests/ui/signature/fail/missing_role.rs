use dspy::Signature;

#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    context: String,
    #[output]
    answer: String,
}

fn main() {}
