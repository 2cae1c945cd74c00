use dspy::tool;

struct Calculator;

impl Calculator {
    /// Add.
    #[tool]
    fn add(&self, a: i64) -> i64 {
        a
    }
}

fn main() {}
