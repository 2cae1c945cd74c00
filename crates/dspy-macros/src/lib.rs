//! Macros for DSPy in Rust: `#[derive(Signature)]`, `#[module]` and `#[tool]`.
//!
//! Use them through the `dspy` crate (`dspy::Signature`, on by default with its `derive`
//! feature). This crate depends on `syn`, `quote` and `proc-macro2` only; the code it
//! generates calls the runtime through `::dspy::__private`.
//!
//! The derive is a pipeline with one module per stage: `attr` reads attributes, `ast` builds
//! the model, `valid` checks it, and `expand` writes the code.

#![forbid(unsafe_code)]

mod ast;
mod attr;
mod errors;
mod expand;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Derives `Signature` for a struct whose fields are the signature's inputs and outputs.
///
/// ```
/// use dspy::prelude::*;
///
/// /// Answer questions with short factoid answers.
/// #[derive(Signature)]
/// struct QA {
///     /// The question, as the user asked it.
///     #[input]
///     question: String,
///     /// The answer, in a few words.
///     #[output(desc = "often between 1 and 5 words")]
///     answer: String,
/// }
///
/// let spec = QA::spec();
/// assert_eq!(spec.instructions(), "Answer questions with short factoid answers.");
/// assert_eq!(spec.inputs()[0].desc.as_deref(), Some("The question, as the user asked it."));
/// assert_eq!(spec.outputs()[0].desc.as_deref(), Some("often between 1 and 5 words"));
///
/// // The generated structs hold the values; they are `Debug` and `Clone`.
/// let input = QAInput { question: "Who wrote Dune?".into() };
/// let output = QAOutput { answer: "Frank Herbert".into() };
/// assert_eq!(format!("{:?}", output.clone()), r#"QAOutput { answer: "Frank Herbert" }"#);
/// # let _ = input;
/// ```
///
/// # Fields
///
/// Every field carries `#[input]` or `#[output]`, optionally with `desc = "..."` (the field's
/// description in prompts) and `prefix = "..."` (saved with programs; by default inferred from
/// the name as DSPy does, `Question:`). Fields keep their declaration order.
///
/// A field's doc comment is its description when `desc` is absent (`desc` wins when both are
/// there); its lines are joined with `\n` and cleaned up like the instructions below, so the
/// space after `///` is dropped. Field doc comments are also copied to the generated structs.
///
/// A field's type must implement `serde::Serialize`, `serde::Deserialize` and
/// `schemars::JsonSchema`; its DSPy type is read from the JSON Schema (`field_type_of`). It must
/// also implement `Debug` and `Clone`, which the generated structs implement: a field type
/// without them is a compile error at the field ("`T` does not implement `Clone`, which the
/// field types of a signature need"); derive them on your models and enums.
///
/// # Instructions
///
/// `#[dspy(instructions = "...")]` on the struct is the signature's instructions (DSPy's
/// docstring); the doc comment is then Rust documentation only. Without the attribute the
/// struct's doc comment is the instructions. Either is cleaned up like a Python docstring
/// (`inspect.cleandoc`); when there is no text, DSPy's default instructions are used
/// (``Given the fields `question`, produce the fields `answer`.``).
///
/// ```
/// use dspy::prelude::*;
///
/// /// Rust documentation: not shown to the LM.
/// #[derive(Signature)]
/// #[dspy(instructions = "Answer with a single word.")]
/// struct OneWord {
///     #[input]
///     question: String,
///     #[output]
///     answer: String,
/// }
///
/// assert_eq!(OneWord::spec().instructions(), "Answer with a single word.");
/// ```
///
/// # Generated items
///
/// * `<Name>Input` and `<Name>Output`: structs with the item's visibility, `pub` fields of the
///   input and output fields, implementing `Debug` and `Clone` (as `#[derive]` would) and
///   deriving serde's `Serialize` and `Deserialize`, plus the traits of `#[dspy(derive(..))]`.
/// * `impl Signature for <Name>` whose `spec()` builds the `SignatureSpec` once.
///
/// # Container attributes
///
/// In `#[dspy(..)]` on the struct (one attribute or several):
///
/// * `instructions = "..."`: the instructions (see above).
/// * `derive(Trait, ..)`: more derives for both generated structs, for example
///   `#[dspy(derive(PartialEq, Eq, Hash))]`. Every field type must implement them. `Debug`,
///   `Clone`, `Serialize` and `Deserialize` are always there and may not be listed.
/// * `crate = path`: names the runtime crate when it is not `::dspy` (for example
///   `#[dspy(crate = dspy_core)]`, or a re-export). The path must provide `__private` as
///   `dspy` does.
///
/// ```
/// use dspy::prelude::*;
///
/// /// Pick a label.
/// #[derive(Signature)]
/// #[dspy(derive(PartialEq, Eq, Hash))]
/// struct Label {
///     #[input]
///     text: String,
///     #[output]
///     label: String,
/// }
///
/// let a = LabelOutput { label: "spam".into() };
/// assert_eq!(a, a.clone());
/// ```
///
/// # Rules checked at compile time
///
/// * At least one `#[output]` field; each field exactly one of `#[input]`/`#[output]`.
/// * Only the keys `desc` and `prefix` in `#[input(..)]`/`#[output(..)]`, each a string.
/// * Only the keys `instructions` (a string, at most once), `derive` and `crate` (at most once)
///   in `#[dspy(..)]`; no trait twice in `derive(..)`.
/// * Distinct field names; no name starting with `_`; no Python keyword (`r#in`).
/// * Not a reserved name (DSPy 3.4.1 or pydantic 2 reject these on a `dspy.Signature`):
///   `signature`, `instructions`, `input_fields`, `output_fields`, `fields`, `model_config`,
///   `model_dump`, `model_dump_json`, `model_validate`, `model_validate_json`,
///   `model_validate_strings`.
/// * A struct with named fields and no generic parameters.
#[proc_macro_derive(Signature, attributes(input, output, dspy))]
pub fn derive_signature(input: TokenStream) -> TokenStream {
    let node = parse_macro_input!(input as DeriveInput);
    expand::signature::derive(&node).into()
}

/// Makes a struct whose fields are predictors and modules a `Module`.
///
/// ```
/// use dspy::prelude::*;
///
/// /// Answer questions with short factoid answers.
/// #[derive(Signature)]
/// struct QA {
///     #[input]
///     question: String,
///     #[output]
///     answer: String,
/// }
///
/// #[module]
/// #[derive(Debug)]
/// struct TwoStep {
///     draft: Predict<QA>,
///     refine: ChainOfThought<QA>,
///     #[module(skip)]
///     attempts: usize,
/// }
///
/// impl TwoStep {
///     async fn forward(&self, input: QAInput) -> Result<QAOutput, Error> {
///         let draft = self.draft.forward(input).await?;
///         let refined = self.refine.forward(QAInput { question: draft.answer }).await?;
///         Ok(refined.into_output())
///     }
/// }
///
/// let program = TwoStep { draft: Predict::new(), refine: ChainOfThought::new(), attempts: 1 };
/// let names: Vec<String> = program.named_predictors().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["draft", "refine.predict"]);
/// ```
///
/// # Predictors
///
/// The generated `named_predictors` and `named_predictors_mut` list the predictors of every
/// field, in declaration order, with DSPy's dotted names: `draft` for a `Predict` in field
/// `draft`, `refine.predict` for a `ChainOfThought`, `hops[0]` for entries of a `Vec` or array,
/// `experts['math']` for entries of a `HashMap<String, _>` (in key order) or `BTreeMap`,
/// nothing for a `None`. Optimizers change these predictors and save/load writes them.
///
/// Every field must hold predictors: its type implements `ModuleField` (every `Module`, and
/// `Vec`, arrays, `Option` and `String`-keyed maps of them). Mark any other field
/// `#[module(skip)]`; an unmarked field of another type is a compile error, so no predictor
/// is missed silently.
///
/// # `forward`
///
/// Write `forward` as an ordinary method on the struct:
/// `async fn forward(&self, input: In) -> Result<Out, E>` where `In` is a signature's input
/// struct (or implements `ModuleInput`), `Out` implements `serde::Serialize` and
/// `dspy::core::Error: From<E>`. Call it directly for typed use. The generated
/// `Module::forward` (used by `Evaluate`, batches and optimizers) reads `In` from the input
/// values, awaits the method, and returns `Out`'s fields as the `Prediction`. The future must
/// be `Send`, and the struct `Debug + Send + Sync` like every `Module`.
///
/// # Arguments
///
/// `#[module(crate = path)]` names the runtime crate when it is not `::dspy`.
///
/// # Rules checked at compile time
///
/// * On a struct with named fields (or a unit struct), not an enum, union or function.
/// * `#[module(skip)]` at most once per field; no other keys.
#[proc_macro_attribute]
pub fn module(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::module::expand(args.into(), input.into()).into()
}

/// Makes a function a tool for agents (`ReAct`): keeps the function and adds `<name>_tool()`,
/// which returns a `Tool` named after the function, described by its doc comment, whose
/// arguments are its parameters.
///
/// ```
/// use dspy::tool;
///
/// /// Add two integers.
/// #[tool]
/// fn add(a: i64, b: i64) -> i64 {
///     a + b
/// }
///
/// /// Look up the country of a city.
/// #[tool(name = "lookup")]
/// async fn country_of(city: String) -> Result<String, String> {
///     match city.as_str() {
///         "Paris" => Ok("France".into()),
///         _ => Err(format!("no entry for {city}")),
///     }
/// }
///
/// assert_eq!(
///     add_tool().to_string(),
///     "add, whose description is <desc>Add two integers.</desc>. It takes arguments \
///      {'a': {'type': 'integer'}, 'b': {'type': 'integer'}}."
/// );
/// assert_eq!(country_of_tool().tool_name(), "lookup");
/// assert_eq!(add(2, 3), 5); // the function is unchanged
/// ```
///
/// Each parameter is an argument: its name is the parameter's, its JSON schema pydantic's for
/// its type (the type implements `serde::Deserialize` and `schemars::JsonSchema`); an `Option`
/// parameter may be left out (`None`). The function may be `async`, and may return any
/// `serde::Serialize` value or a `Result` whose error (any `Display`) the agent shows the model.
///
/// # Arguments
///
/// `name = "..."` names the tool (default: the function's name); `crate = path` names the
/// runtime crate when it is not `::dspy`.
///
/// # Rules checked at compile time
///
/// * A free function (no `self`), not generic, each parameter a plain name.
#[proc_macro_attribute]
pub fn tool(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::tool::expand(args.into(), input.into()).into()
}
