use dspy::Signature;

#[derive(Signature)]
struct QA<T> {
    #[input]
    question: T,
    #[output]
    answer: String,
}

fn main() {}
