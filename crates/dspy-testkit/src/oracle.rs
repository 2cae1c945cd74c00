//! [`Oracle`]: a deterministic world for optimizer tests, with a twin in Python.
//!
//! Whether the oracle answers a question right is a pure function of the prompt bytes: the
//! SHA-256 of a salt and every message (role and content) gives a roll in `0..1000`, and the
//! answer is right when the roll is below `base + bonus × demos` (demos = assistant turns before
//! the last message), otherwise `unknown`. The right answer to a question is the first six hex
//! digits of `SHA-256("answer:" + question)`.
//!
//! An oracle may also reward an instruction ([`Oracle::with_magic`]): when its first message
//! (the system message, which carries the instructions) contains a magic phrase, the threshold
//! is a fixed value instead, so instruction optimizers have something to find.
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
/// `SHA-256("answer:" + question)`) when the prompt's SHA-256 roll is below `base + bonus × demos`
/// (or below the magic threshold, see [`Oracle::with_magic`]), else [`Oracle::WRONG`]; the same
/// rule as the Python twin in `scripts/record_optimizer_fixtures.py`.
#[derive(Debug, Clone)]
pub struct Oracle {
    salt: String,
    base_per_mille: u64,
    bonus_per_demo: u64,
    magic: Option<(String, u64)>,
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
            magic: None,
        }
    }

    /// Rewards an instruction: when the first message of a request (the system message, which
    /// holds the instructions) contains `phrase`, the answer is right when the roll is below
    /// `per_mille` (out of 1000) instead of `base + bonus × demos`. Without this (the default)
    /// no phrase matters. The Python twin takes the same rule as its `magic` argument.
    ///
    /// ```
    /// use dspy_core::adapters::Message;
    /// use dspy_testkit::Oracle;
    ///
    /// let oracle = Oracle::new("world-a").with_magic("hex code", 1000);
    /// let question = "What is the code of the amber item number 0?";
    /// let ask = vec![
    ///     Message::system("Give the hex code of the item."),
    ///     Message::user(format!("[[ ## question ## ]]\n{question}\n")),
    /// ];
    /// assert_eq!(oracle.answer(&ask), Oracle::true_answer(question), "1000 per mille: always right");
    /// ```
    pub fn with_magic(self, phrase: impl Into<String>, per_mille: u64) -> Oracle {
        Oracle {
            magic: Some((phrase.into(), per_mille)),
            ..self
        }
    }

    /// The right answer to `question`.
    pub fn true_answer(question: &str) -> String {
        let digest = Sha256::digest(format!("answer:{question}").as_bytes());
        digest[..3].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The oracle's answer to these messages: the right one or [`Oracle::WRONG`].
    pub fn answer(&self, messages: &[Message]) -> String {
        let roll = crate::roll::first_u64(crate::roll::prompt_hash(&self.salt, messages)) % 1000;
        let demos = messages
            .iter()
            .take(messages.len().saturating_sub(1))
            .filter(|m| m.role.as_str() == "assistant")
            .count() as u64;
        let threshold = match (&self.magic, messages.first()) {
            (Some((phrase, per_mille)), Some(first)) if first.content.contains(phrase.as_str()) => {
                *per_mille
            }
            _ => self.base_per_mille + self.bonus_per_demo * demos,
        };
        let question = messages
            .last()
            .and_then(|m| field_value(&m.content, "question"));
        match question {
            Some(q) if roll < threshold => Oracle::true_answer(q),
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
/// The first line after `[[ ## name ## ]]` in a prompt, trimmed.
pub fn field_value<'a>(content: &'a str, name: &str) -> Option<&'a str> {
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

    #[test]
    fn the_magic_phrase_raises_the_odds() {
        let plain = Oracle::new("magic");
        let magic = Oracle::new("magic").with_magic("hex code", 900);
        let right = |oracle: &Oracle, system: &str| {
            (0..200)
                .filter(|i| {
                    let q = format!("q{i}");
                    let messages = vec![
                        Message::system(system),
                        Message::user(format!("[[ ## question ## ]]\n{q}\n")),
                    ];
                    oracle.answer(&messages) == Oracle::true_answer(&q)
                })
                .count()
        };
        let with_phrase = right(&magic, "Give the hex code of the item.");
        let without_phrase = right(&magic, "Answer the question.");
        assert!(with_phrase > 150, "about 90% of 200: {with_phrase}");
        assert!(without_phrase < 80, "about 20% of 200: {without_phrase}");
        // Only an oracle told about the phrase rewards it.
        assert_eq!(right(&plain, "Answer the question."), without_phrase);
        let plain_with_phrase = right(&plain, "Give the hex code of the item.");
        // The same counts as the Python twin (`oracle_answer(salt, messages, magic)` in
        // scripts/record_optimizer_fixtures.py) gives for these prompts.
        assert_eq!(
            (with_phrase, without_phrase, plain_with_phrase),
            (182, 36, 45)
        );
    }

    #[test]
    fn the_magic_phrase_counts_only_in_the_first_message() {
        let magic = Oracle::new("magic").with_magic("hex code", 1000);
        let q = "q0";
        let in_user = vec![
            Message::system("Answer the question."),
            Message::user(format!("[[ ## question ## ]]\n{q}\nGive the hex code.\n")),
        ];
        let in_system = vec![
            Message::system("Give the hex code of the item."),
            Message::user(format!("[[ ## question ## ]]\n{q}\n")),
        ];
        assert_eq!(magic.answer(&in_system), Oracle::true_answer(q));
        let plain = Oracle::new("magic");
        assert_eq!(magic.answer(&in_user), plain.answer(&in_user));
    }
}
