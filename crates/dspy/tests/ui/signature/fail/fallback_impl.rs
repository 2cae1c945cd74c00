//! An invalid signature still implements `Signature`, so code using it adds no errors.
use dspy::Signature;

#[derive(Signature)]
struct QA {
    #[input]
    question: String,
}

fn spec_of<S: Signature>() -> &'static dspy::prelude::SignatureSpec {
    S::spec()
}

fn main() {
    let _ = spec_of::<QA>();
}
