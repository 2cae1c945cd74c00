use dspy::Signature;

#[derive(Signature)]
struct QA {
    #[input = "the question"]
    question: String,
    #[output = "the answer"]
    answer: String,
}

fn main() {}
