//! [`Oracle`]: a deterministic world for optimizer tests, with a twin in Python.
//!
//! Whether the oracle answers a question right is a pure function of the prompt bytes: the
//! SHA-256 of a salt and every message (role and content) gives a roll in `0..1000`, and the
//! answer is right when the roll is below `base + bonus × demos` (demos = assistant turns before
//! the last message), otherwise `unknown`. The right answer to a question is the first six hex
//! digits of `SHA-256("answer:" + question)`.
//!
//! `scripts/record_optimizer_fixtures.py` holds the same oracle as a `dspy.BaseLM` for Python
//! DSPy 3.4.1, so Rust and Python see the same answers exactly when they send byte-identical
//! prompts, and compile the same program exactly when they consume randomness in the same
//! order.
//!
//! ```
//! use dspy_core::adapters::Message;
//! use dspy_testkit::Oracle;
//!
//! let oracle = Oracle::new("world-a");
//! let question = "What is the code of the amber item number 0?";
//! let ask = vec![Message::user(format!("[[ ## question ## ]]\n{question}\n\nRespond."))];
//! let answer = oracle.answer(&ask);
//! assert!(answer == Oracle::true_answer(question) || answer == "unknown");
//! assert_eq!(oracle.answer(&ask), answer, "a pure function of the prompt");
//! ```

use dspy_core::adapters::Message;
use sha2::{Digest, Sha256};

use crate::{chat_completion, ScriptedLm};

/// The deterministic oracle: a right answer (the first six hex digits of
/// `SHA-256("answer:" + question)`) when the prompt's SHA-256 roll is below `base + bonus × demos`,
/// else [`Oracle::WRONG`]; the same rule as the Python twin in
/// `scripts/record_optimizer_fixtures.py`.
#[derive(Debug, Clone)]
pub struct Oracle {
    salt: String,
    base_per_mille: u64,
    bonus_per_demo: u64,
}

impl Oracle {
    /// Chance of a right answer without demos, in thousandths (the Python twin's default).
    pub const BASE_PER_MILLE: u64 = 200;
    /// Extra chance per demo in the prompt, in thousandths.
    pub const BONUS_PER_DEMO: u64 = 30;
    /// What the oracle says when it does not answer right.
    pub const WRONG: &'static str = "unknown";

    /// An oracle with this salt (a different salt is a different world) and the default odds.
    pub fn new(salt: impl Into<String>) -> Oracle {
        Oracle {
            salt: salt.into(),
            base_per_mille: Oracle::BASE_PER_MILLE,
            bonus_per_demo: Oracle::BONUS_PER_DEMO,
        }
    }

    /// The right answer to `question`.
    pub fn true_answer(question: &str) -> String {
        let digest = Sha256::digest(format!("answer:{question}").as_bytes());
        digest[..3].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The oracle's answer to these messages: the right one or [`Oracle::WRONG`].
    pub fn answer(&self, messages: &[Message]) -> String {
        let mut hash = Sha256::new();
        hash.update(self.salt.as_bytes());
        for m in messages {
            hash.update([0u8]);
            hash.update(m.role.as_str().as_bytes());
            hash.update([0u8]);
            hash.update(m.content.as_bytes());
        }
        let digest = hash.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let roll = u64::from_le_bytes(first) % 1000;
        let demos = messages
            .iter()
            .take(messages.len().saturating_sub(1))
            .filter(|m| m.role.as_str() == "assistant")
            .count() as u64;
        let question = messages
            .last()
            .and_then(|m| field_value(&m.content, "question"));
        match question {
            Some(q) if roll < self.base_per_mille + self.bonus_per_demo * demos => {
                Oracle::true_answer(q)
            }
            _ => Oracle::WRONG.to_string(),
        }
    }

    /// A [`ScriptedLm`] that answers as this oracle does, in DSPy's chat format (`answer`
    /// field), counting its calls.
    pub fn lm(&self) -> ScriptedLm {
        let oracle = self.clone();
        ScriptedLm::from_fn(move |request| {
            chat_completion([("answer", oracle.answer(&request.messages))])
        })
    }
}

/// The first line after `[[ ## name ## ]]` in a message, trimmed.
fn field_value<'a>(content: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("[[ ## {name} ## ]]\n");
    let start = content.find(&marker)? + marker.len();
    content[start..].split('\n').next().map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn true_answers_match_python() {
        // Python: hashlib.sha256(b"answer:What is the code of the amber item number 0?").hexdigest()[:6]
        assert_eq!(
            Oracle::true_answer("What is the code of the amber item number 0?"),
            "6b7288"
        );
    }

    #[test]
    fn demos_raise_the_odds() {
        let oracle = Oracle::new("odds");
        let right = |demos: usize| {
            (0..200)
                .filter(|i| {
                    let mut messages = Vec::new();
                    for d in 0..demos {
                        messages.push(Message::user(format!("[[ ## question ## ]]\nd{d}")));
                        messages.push(Message::assistant("[[ ## answer ## ]]\nx"));
                    }
                    let q = format!("q{i}");
                    messages.push(Message::user(format!("[[ ## question ## ]]\n{q}\n")));
                    oracle.answer(&messages) == Oracle::true_answer(&q)
                })
                .count()
        };
        let (none, many) = (right(0), right(20));
        assert!(none < many, "{none} right without demos, {many} with 20");
        assert!((20..=70).contains(&none), "about 20% of 200: {none}");
    }
}
