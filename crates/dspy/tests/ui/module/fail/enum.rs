use dspy::prelude::*;

#[module]
enum Program {
    A,
}

fn main() {
    let _ = Program::A;
}
