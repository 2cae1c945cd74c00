//! `#[derive(Signature)]` attributes: `#[dspy(instructions = "...")]`, field doc comments as
//! descriptions, and the derives of the generated `<Name>Input`/`<Name>Output` structs.

use std::collections::HashSet;

use dspy::prelude::*;

/// Rust documentation only: the attribute below is what the LM reads.
#[derive(Signature)]
#[dspy(instructions = "Answer questions with short factoid answers.")]
struct Factoid {
    #[input]
    question: String,
    #[output]
    answer: String,
}

/// Several lines, cleaned like a Python docstring.
#[derive(Signature)]
#[dspy(instructions = "
    Classify the ticket.

    Rules:
      - Be precise.
")]
struct Ticket {
    #[input]
    ticket: String,
    #[output]
    label: String,
}

#[derive(Signature)]
#[dspy(instructions = "")]
struct EmptyInstructions {
    #[input]
    question: String,
    #[output]
    answer: String,
}

/// Answer with sources.
#[derive(Signature)]
struct Documented {
    /// The question to answer.
    #[input]
    question: String,
    /// Passages that may hold the answer.
    ///
    /// Retrieved before the call,
    ///   best first.
    #[input]
    context: Vec<String>,
    /// Ignored for the prompt: `desc` wins.
    #[output(desc = "often between 1 and 5 words")]
    answer: String,
    #[output]
    sources: Vec<u32>,
}

/// Compare outputs.
#[derive(Signature)]
#[dspy(derive(PartialEq, Eq, Hash), derive(PartialOrd))]
struct Comparable {
    #[input]
    question: String,
    #[output]
    answer: String,
    #[output]
    votes: u32,
}

fn desc_of<'a>(spec: &'a SignatureSpec, name: &str) -> Option<&'a str> {
    let field = spec.fields().find(|f| f.name == name).expect("the field");
    field.desc.as_deref()
}

#[test]
fn instructions_attribute_wins_over_the_doc_comment() {
    assert_eq!(
        <Factoid as Signature>::spec().instructions(),
        "Answer questions with short factoid answers."
    );
    assert_eq!(
        Ticket::spec().instructions(),
        "Classify the ticket.\n\nRules:\n  - Be precise."
    );
}

#[test]
fn empty_instructions_mean_the_default_like_an_empty_docstring() {
    assert_eq!(
        EmptyInstructions::spec().instructions(),
        "Given the fields `question`, produce the fields `answer`."
    );
}

#[test]
fn field_doc_comment_is_the_description_unless_desc_is_given() {
    let spec = Documented::spec();
    assert_eq!(spec.instructions(), "Answer with sources.");
    assert_eq!(desc_of(spec, "question"), Some("The question to answer."));
    assert_eq!(
        desc_of(spec, "context"),
        Some("Passages that may hold the answer.\n\nRetrieved before the call,\n  best first.")
    );
    assert_eq!(desc_of(spec, "answer"), Some("often between 1 and 5 words"));
    assert_eq!(desc_of(spec, "sources"), None);
}

#[test]
fn field_doc_comment_shows_in_the_prompt_field_list() {
    let messages = AdapterKind::Chat
        .adapter()
        .format(Documented::spec(), &[], &Values::new());
    let system = &messages[0].content;
    assert!(
        system.contains("1. `question` (str): The question to answer.\n"),
        "{system}"
    );
    assert!(
        system.contains("1. `answer` (str): often between 1 and 5 words\n"),
        "{system}"
    );
    assert!(!system.contains("Ignored for the prompt"), "{system}");
    assert!(system.contains("2. `sources` (list[int])"), "{system}");
}

#[test]
fn generated_structs_are_debug_and_clone() {
    let input = DocumentedInput {
        question: "Who wrote Dune?".into(),
        context: vec!["Frank Herbert wrote Dune.".into()],
    };
    let copy = input.clone();
    assert_eq!(format!("{copy:?}"), format!("{input:?}"));
    assert!(format!("{input:?}").starts_with("DocumentedInput { question: \"Who wrote Dune?\""));
    let output = DocumentedOutput {
        answer: "Frank Herbert".into(),
        sources: vec![0],
    };
    assert_eq!(output.clone().sources, [0]);
    assert!(format!("{output:?}").contains("answer: \"Frank Herbert\""));
    let with_reasoning = WithReasoning {
        reasoning: "It says so.".to_string(),
        output,
    };
    assert!(format!("{:?}", with_reasoning.clone()).contains("It says so."));
}

#[test]
fn dspy_derive_adds_traits_to_both_generated_structs() {
    let a = ComparableOutput {
        answer: "Paris".into(),
        votes: 2,
    };
    assert_eq!(a, a.clone());
    assert!(
        a.clone()
            > ComparableOutput {
                votes: 1,
                ..a.clone()
            }
    );
    let set: HashSet<ComparableOutput> = [a.clone(), a.clone()].into_iter().collect();
    assert_eq!(set.len(), 1);
    let q = ComparableInput {
        question: "Capital of France?".into(),
    };
    assert_eq!(q.clone(), q);
    let set: HashSet<ComparableInput> = [q].into_iter().collect();
    assert_eq!(set.len(), 1);
    // `WithReasoning` compares when its output does.
    let r = WithReasoning {
        reasoning: "Known.".to_string(),
        output: a.clone(),
    };
    assert_eq!(r, r.clone());
}

// A signature written by a `macro_rules!` macro: the field types carry the macro's hygiene.
macro_rules! answer_signature {
    ($name:ident, $ty:ty) => {
        /// Answer.
        #[derive(Signature)]
        #[dspy(derive(PartialEq))]
        struct $name {
            #[input]
            question: String,
            #[output]
            answer: $ty,
        }
    };
}

answer_signature!(Numeric, i64);

// The same with the field types written in the macro's body.
macro_rules! fixed_signature {
    ($name:ident) => {
        /// Answer.
        #[derive(Signature)]
        struct $name {
            #[input]
            question: String,
            #[output]
            votes: Vec<u32>,
        }
    };
}

fixed_signature!(Votes);

#[test]
fn signature_from_a_macro_is_debug_and_clone() {
    let output = NumericOutput { answer: 42 };
    assert_eq!(output.clone(), output);
    assert_eq!(format!("{output:?}"), "NumericOutput { answer: 42 }");
    let input = NumericInput {
        question: "?".into(),
    };
    assert_eq!(
        format!("{:?}", input.clone()),
        r#"NumericInput { question: "?" }"#
    );
    let votes = VotesOutput { votes: vec![1] };
    assert_eq!(format!("{:?}", votes.clone()), "VotesOutput { votes: [1] }");
}
