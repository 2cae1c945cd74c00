use dspy::Signature;

#[derive(Signature)]
struct Reserved {
    #[input]
    instructions: String,
    #[input]
    _private: String,
    #[input]
    r#in: String,
    #[output]
    model_dump: String,
}

fn main() {}
