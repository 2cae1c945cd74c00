use dspy::Signature;

#[derive(Signature)]
struct QA {
    #[input(descr = "the question")]
    question: String,
    #[output(desc = 5)]
    answer: String,
    #[output(prefix = "A:", prefix = "B:")]
    other: String,
}

fn main() {}
