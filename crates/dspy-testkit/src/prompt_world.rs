//! [`PromptWorld`]: a deterministic prompt model for instruction-optimizer tests, with a twin in
//! Python.
//!
//! Instruction optimizers (COPRO, MIPROv2) ask a prompt model to describe the data and the
//! program and to propose instructions, often for several completions per request. This world
//! answers any signature in DSPy's chat format, and every completion is a pure function of the
//! request messages and the completion's index:
//!
//! - The output fields are every `[[ ## name ## ]]` that the last message names after its last
//!   "Respond with the corresponding output fields" sentence, in order, except `completed`; a
//!   request without that sentence gets the single field `answer`.
//! - Each field's value is drawn from a small fixed list for the names the optimizers use
//!   (`observations`, `summary`, `program_description`, `module_description`,
//!   `proposed_instruction`, `proposed_prefix_for_output_field`); any other field gets
//!   `value of {name}`. The draw is the first eight bytes (little-endian) of the SHA-256 of the
//!   salt, every message (`0x00`, role, `0x00`, content), then `0x00`, the field name, `0x00` and
//!   the completion index in decimal.
//!
//! Some proposed instructions contain [`PromptWorld::MAGIC`], which an
//! [`Oracle::with_magic`](crate::Oracle::with_magic) task model can reward, so an optimizer
//! that picks instructions by score has something to find.
//!
//! `scripts/record_instruction_fixtures.py` holds the same world as a `dspy.utils.DummyLM` for
//! Python DSPy 3.4.1, so Rust and Python see the same proposals exactly when they send
//! byte-identical prompts.
//!
//! ```
//! use dspy_core::adapters::Message;
//! use dspy_testkit::PromptWorld;
//!
//! let world = PromptWorld::new("prompts-a");
//! let ask = vec![Message::user(
//!     "[[ ## basic_instruction ## ]]\nAnswer.\n\nRespond with the corresponding output fields, \
//!      starting with the field `[[ ## proposed_instruction ## ]]`, and then ending with the \
//!      marker for `[[ ## completed ## ]]`.",
//! )];
//! let text = world.completion(&ask, 0);
//! assert!(text.starts_with("[[ ## proposed_instruction ## ]]\n"));
//! assert!(text.ends_with("\n\n[[ ## completed ## ]]"));
//! assert_eq!(world.completion(&ask, 0), text, "a pure function of the prompt and the index");
//! ```

use dspy_core::adapters::Message;
use dspy_core::lm::{Choice, LmError, LmRequest, LmResponse, Usage};
use sha2::Digest;

use crate::{chat_completion, tokens, ScriptedLm, DEFAULT_MODEL};

/// The sentence after which a DSPy chat prompt names the output fields it wants.
const RESPOND: &str = "Respond with the corresponding output fields";

/// The deterministic prompt model: answers every output field a DSPy chat prompt asks for with
/// a value drawn by SHA-256 from the salt, the messages, the field name and the completion
/// index: the output fields are those the last message asks for after its last "Respond with
/// the corresponding output fields" sentence (else `answer`), and each value is picked from a
/// fixed list per field name by the first eight bytes of the SHA-256 of the salt, every message
/// (`0x00`, role, `0x00`, content), `0x00`, the field name, `0x00` and the index in decimal. The
/// same rule as the Python twin in `scripts/record_instruction_fixtures.py`.
#[derive(Debug, Clone)]
pub struct PromptWorld {
    salt: String,
}

impl PromptWorld {
    /// A phrase that some proposed instructions contain (`"Give the hex code of the item."`,
    /// with or without quotes around it), for an [`Oracle::with_magic`](crate::Oracle::with_magic)
    /// task model to reward.
    pub const MAGIC: &'static str = "hex code";

    /// A world with this salt (a different salt is a different world).
    pub fn new(salt: impl Into<String>) -> PromptWorld {
        PromptWorld { salt: salt.into() }
    }

    /// The completion with this index (0 for the first of `n`) to these messages, in DSPy's
    /// chat format (as [`chat_completion`] writes it).
    pub fn completion(&self, messages: &[Message], index: usize) -> String {
        let text = messages.last().map_or("", |m| m.content.as_str());
        let fields = output_fields(text);
        chat_completion(
            fields
                .iter()
                .map(|name| (name.as_str(), self.value(messages, name, index))),
        )
    }

    /// A [`ScriptedLm`] answering `n` completions (indices `0..n`, `n` defaulting to 1) per
    /// request as this world does, counting its calls and keeping its requests.
    pub fn lm(&self) -> ScriptedLm {
        let world = self.clone();
        ScriptedLm::from_response_fn(move |request| world.respond(request))
    }

    fn respond(&self, request: &LmRequest) -> Result<LmResponse, LmError> {
        let n = request.n.unwrap_or(1);
        if !(1..=tokens::MAX_CHOICES).contains(&n) {
            return Err(LmError::InvalidRequest {
                status: 400,
                message: format!("n must be between 1 and {}, got {n}", tokens::MAX_CHOICES),
            });
        }
        let texts: Vec<String> = (0..n as usize)
            .map(|index| self.completion(&request.messages, index))
            .collect();
        let prompt_tokens = request
            .messages
            .iter()
            .map(|m| tokens::estimate(&m.content))
            .sum();
        let completion_tokens = texts.iter().map(|t| tokens::estimate(t)).sum();
        let mut response = LmResponse::text(request.model.as_deref().unwrap_or(DEFAULT_MODEL), "");
        response.choices = texts.into_iter().map(Choice::text).collect();
        response.usage = Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
        };
        Ok(response)
    }

    /// The value of one output field.
    fn value(&self, messages: &[Message], name: &str, index: usize) -> String {
        let mut hash = crate::roll::prompt_hash(&self.salt, messages);
        hash.update([0u8]);
        hash.update(name.as_bytes());
        hash.update([0u8]);
        hash.update(index.to_string().as_bytes());
        let pick = crate::roll::first_u64(hash);
        let choices: &[&str] = match name {
            "observations" => &[
                "The questions ask for the code of a colored item.",
                "COMPLETE",
                "Observations: every answer is six hex digits.",
            ],
            "summary" => &[
                "Summary: The data set asks for the six-digit hex code of named items.",
                "The questions ask for item codes.",
            ],
            "program_description" => &[
                "Program Description: It answers a question with one call.",
                "The program maps questions to codes.",
            ],
            "module_description" => &[
                "It maps a question to an answer.",
                "Module Description: It looks up the code.",
            ],
            "proposed_instruction" => &[
                "Answer the question.",
                "Proposed Instruction: Give the hex code of the item.",
                "Reply with one word.",
                "\"Give the hex code of the item.\"",
                "Think about the colour, then answer.",
            ],
            "proposed_prefix_for_output_field" => &["Answer:", "Code:", "\"Hex code:\""],
            _ => return format!("value of {name}"),
        };
        choices[(pick % choices.len() as u64) as usize].to_string()
    }
}

/// The output fields a prompt's last message asks for: every `[[ ## name ## ]]` after the last
/// "Respond with the corresponding output fields", except `completed`; `answer` without it.
/// The output fields a DSPy chat prompt asks for: every `[[ ## name ## ]]` after the last
/// "Respond with the corresponding output fields" (except `completed`); `["answer"]` when that
/// sentence is absent.
pub fn output_fields(text: &str) -> Vec<String> {
    let Some(start) = text.rfind(RESPOND) else {
        return vec!["answer".to_string()];
    };
    let mut rest = &text[start..];
    let mut fields = Vec::new();
    while let Some(open) = rest.find("[[ ## ") {
        let after = &rest[open + "[[ ## ".len()..];
        let Some(close) = after.find(" ## ]]") else {
            break;
        };
        let name = &after[..close];
        if name != "completed" {
            fields.push(name.to_string());
        }
        rest = &after[close + " ## ]]".len()..];
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A user message as DSPy's ChatAdapter writes it for COPRO's first proposal.
    const USER: &str = "[[ ## basic_instruction ## ]]\n\
        Given the fields `question`, produce the fields `answer`.\n\n\
        Respond with the corresponding output fields, starting with the field \
        `[[ ## proposed_instruction ## ]]`, then `[[ ## proposed_prefix_for_output_field ## ]]`, \
        and then ending with the marker for `[[ ## completed ## ]]`.";

    const INSTRUCTIONS: [&str; 5] = [
        "Answer the question.",
        "Proposed Instruction: Give the hex code of the item.",
        "Reply with one word.",
        "\"Give the hex code of the item.\"",
        "Think about the colour, then answer.",
    ];

    fn ask() -> Vec<Message> {
        vec![
            Message::system("Your input fields are:\n1. `basic_instruction` (str)"),
            Message::user(USER),
        ]
    }

    #[test]
    fn finds_the_output_fields_of_a_chat_prompt() {
        assert_eq!(
            output_fields(USER),
            ["proposed_instruction", "proposed_prefix_for_output_field"]
        );
        let text = PromptWorld::new("a").completion(&ask(), 0);
        let instruction = text
            .strip_prefix("[[ ## proposed_instruction ## ]]\n")
            .expect("starts with the first output field");
        let (instruction, rest) = instruction.split_once("\n\n").unwrap();
        let (prefix, end) = rest
            .strip_prefix("[[ ## proposed_prefix_for_output_field ## ]]\n")
            .expect("then the second")
            .split_once("\n\n")
            .unwrap();
        assert_eq!(end, "[[ ## completed ## ]]");
        assert!(INSTRUCTIONS.contains(&instruction), "{instruction}");
        assert!(["Answer:", "Code:", "\"Hex code:\""].contains(&prefix));
    }

    #[test]
    fn only_fields_after_the_last_request_count() {
        let text = format!("[[ ## question ## ]]\nq\n\n{RESPOND}, starting with the field `[[ ## a ## ]]`.\n\n[[ ## x ## ]]\n{RESPOND}, `[[ ## b ## ]]`, then `[[ ## completed ## ]]`.");
        assert_eq!(output_fields(&text), ["b"]);
        assert_eq!(output_fields("[[ ## question ## ]]\nq"), ["answer"]);
        let world = PromptWorld::new("a");
        let plain = vec![Message::user("hello")];
        assert_eq!(
            world.completion(&plain, 3),
            "[[ ## answer ## ]]\nvalue of answer\n\n[[ ## completed ## ]]"
        );
    }

    #[test]
    fn is_deterministic() {
        let (a, b) = (PromptWorld::new("a"), PromptWorld::new("a"));
        for index in 0..8 {
            assert_eq!(a.completion(&ask(), index), b.completion(&ask(), index));
        }
    }

    #[test]
    fn indices_and_salts_give_different_completions() {
        let world = PromptWorld::new("a");
        let texts: Vec<String> = (0..8).map(|i| world.completion(&ask(), i)).collect();
        assert!(texts.iter().any(|t| t != &texts[0]), "{texts:?}");
        let other = PromptWorld::new("b");
        assert!((0..8).any(|i| other.completion(&ask(), i) != texts[i]));
        assert!(
            texts.iter().any(|t| t.contains(PromptWorld::MAGIC)),
            "some proposal carries the magic phrase: {texts:?}"
        );
    }

    #[test]
    fn pinned_values_match_the_python_twin() {
        // Python: the PromptWorld twin in scripts/record_instruction_fixtures.py.
        let world = PromptWorld::new("pin");
        assert_eq!(world.completion(&ask(), 0), PINNED_0);
        assert_eq!(world.completion(&ask(), 1), PINNED_1);
    }

    const PINNED_0: &str = "[[ ## proposed_instruction ## ]]\nAnswer the question.\n\n\
        [[ ## proposed_prefix_for_output_field ## ]]\n\"Hex code:\"\n\n[[ ## completed ## ]]";
    const PINNED_1: &str = "[[ ## proposed_instruction ## ]]\n\
        Proposed Instruction: Give the hex code of the item.\n\n\
        [[ ## proposed_prefix_for_output_field ## ]]\nAnswer:\n\n[[ ## completed ## ]]";

    /// Every prompt-model call the Python twin recorded (messages, n, completions) in the
    /// instruction-optimizer fixtures gets the same completions from this world.
    #[test]
    fn agrees_with_every_recorded_python_call() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../dspy-optimize/tests/fixtures/instructions");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("the instruction fixtures") {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
            let world = PromptWorld::new(fixture["prompt_salt"].as_str().unwrap());
            for call in fixture["prompt_calls"].as_array().unwrap() {
                let messages: Vec<Message> = call["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| {
                        let content = m["content"].as_str().unwrap();
                        match m["role"].as_str().unwrap() {
                            "system" => Message::system(content),
                            "user" => Message::user(content),
                            "assistant" => Message::assistant(content),
                            other => panic!("unexpected role {other}"),
                        }
                    })
                    .collect();
                let outputs = call["outputs"].as_array().unwrap();
                assert_eq!(outputs.len() as u64, call["n"].as_u64().unwrap());
                for (index, output) in outputs.iter().enumerate() {
                    assert_eq!(
                        world.completion(&messages, index),
                        output.as_str().unwrap(),
                        "{} call {checked} completion {index}",
                        path.display()
                    );
                }
                checked += 1;
            }
        }
        assert!(checked >= 70, "only {checked} recorded calls");
    }

    #[test]
    fn the_lm_answers_n_completions() {
        use dspy_core::lm::LanguageModel;

        let world = PromptWorld::new("a");
        let lm = world.lm();
        let mut request = LmRequest::new(ask());
        request.params.n = Some(4);
        let response = futures::executor::block_on(lm.call(request)).unwrap();
        let texts: Vec<&str> = response.choices.iter().map(|c| c.text.as_str()).collect();
        let expected: Vec<String> = (0..4).map(|i| world.completion(&ask(), i)).collect();
        assert_eq!(texts, expected);
        let one = futures::executor::block_on(lm.call(LmRequest::new(ask()))).unwrap();
        assert_eq!(one.choices.len(), 1);
        assert_eq!(one.first_text(), Some(expected[0].as_str()));
        assert_eq!(lm.calls(), 2);
        let mut too_many = LmRequest::new(ask());
        too_many.params.n = Some(0);
        assert!(futures::executor::block_on(lm.call(too_many)).is_err());
    }
}
