use dspy::prelude::*;

#[module]
union Bits {
    int: u32,
    float: f32,
}

#[module]
fn program() {}

struct Unit;

#[module]
impl Unit {}

#[module]
trait Program {}

impl Program for Unit {}

#[module]
type Alias = Unit;

#[module]
const ANSWER: u32 = 42;

fn main() {
    program();
    let _ = Bits { int: ANSWER };
    let _: Alias = Unit;
}
