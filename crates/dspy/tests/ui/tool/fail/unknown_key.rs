use dspy::tool;

/// Add.
#[tool(title = "adder")]
fn add(a: i64) -> i64 {
    a
}

fn main() {}
