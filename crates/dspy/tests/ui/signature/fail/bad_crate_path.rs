use dspy::Signature;

#[derive(Signature)]
#[dspy(crate = dspy, crate = dspy)]
struct Twice {
    #[output]
    answer: String,
}

#[derive(Signature)]
#[dspy(crate = "not a path")]
struct NotAPath {
    #[output]
    answer: String,
}

fn main() {}
