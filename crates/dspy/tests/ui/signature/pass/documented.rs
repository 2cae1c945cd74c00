//! Generated public items are documented, so `missing_docs` stays quiet.
#![deny(missing_docs)]

use dspy::Signature;

/// Summarize.
#[derive(Signature)]
pub struct Summarize {
    /// The text to summarize.
    #[input]
    pub text: String,
    #[allow(missing_docs)]
    #[output]
    pub summary: String,
}

/// Entry point.
fn main() {
    let _ = SummarizeInput { text: String::new() };
    let _ = SummarizeOutput { summary: String::new() };
    let _ = <Summarize as dspy::Signature>::spec();
}
