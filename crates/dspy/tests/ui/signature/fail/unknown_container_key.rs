use dspy::Signature;

#[derive(Signature)]
#[dspy(krate = dspy_core)]
struct QA {
    #[output]
    answer: String,
}

fn main() {}
