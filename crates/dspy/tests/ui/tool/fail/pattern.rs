use dspy::tool;

/// Sum a pair.
#[tool]
fn sum((a, b): (i64, i64)) -> i64 {
    a + b
}

fn main() {}
