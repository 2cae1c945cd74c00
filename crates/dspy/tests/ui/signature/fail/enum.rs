use dspy::Signature;

#[derive(Signature)]
enum QA {
    Question(String),
}

fn main() {}
