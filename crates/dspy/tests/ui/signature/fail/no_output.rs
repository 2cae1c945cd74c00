use dspy::Signature;

#[derive(Signature)]
struct OnlyInputs {
    #[input]
    question: String,
}

fn main() {}
