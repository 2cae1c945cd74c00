//! The generated structs implement `Debug` and `Clone`, so every field type needs them.
use dspy::schemars::JsonSchema;
use dspy::Signature;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
#[schemars(crate = "dspy::schemars")]
struct Claim {
    text: String,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug)]
#[schemars(crate = "dspy::schemars")]
struct Verdict {
    ok: bool,
}

#[derive(Signature)]
struct Judge {
    #[input]
    claim: Claim,
    #[output]
    verdict: Verdict,
}

fn main() {}
