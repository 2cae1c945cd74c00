//! `#[dspy(crate = ..)]` re-points the generated paths.

use dspy_core::signature::Signature;

mod renamed {
    pub use dspy as runtime;
}

#[derive(dspy::Signature)]
#[dspy(crate = dspy_core)]
struct ViaCore {
    #[output]
    answer: i64,
}

#[derive(dspy::Signature)]
#[dspy(crate = "renamed::runtime")]
struct ViaRename {
    #[output]
    answer: bool,
}

fn main() {
    assert_eq!(ViaCore::spec().outputs()[0].ty.dspy_name(), "int");
    assert_eq!(ViaCore::spec().instructions(), "Given the fields , produce the fields `answer`.");
    assert_eq!(ViaRename::spec().outputs()[0].ty.dspy_name(), "bool");
}
