use dspy::Signature;

#[derive(Signature)]
struct Echo {
    #[input]
    text: String,
    #[output]
    text: String,
}

fn main() {}
