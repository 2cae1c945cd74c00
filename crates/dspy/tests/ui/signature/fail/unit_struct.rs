use dspy::Signature;

#[derive(Signature)]
struct QA;

fn main() {}
