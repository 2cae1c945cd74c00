use dspy::Signature;

#[derive(Signature)]
struct QA(#[input] String, #[output] String);

fn main() {}
