//! [`Responder`]: computes the answer text of a chat-completion request.

use std::fmt;
use std::sync::Arc;

use super::ChatRequest;
use crate::answer;

type AnswerFn = dyn Fn(&ChatRequest) -> String + Send + Sync;

/// Computes the answer text to a chat-completion request. Cheap to clone.
///
/// ```
/// use dspy_testkit::{MockConfig, Responder};
///
/// let shout = Responder::new(|request| {
///     request.last_user_message().unwrap_or_default().to_uppercase()
/// });
/// let config = MockConfig::new().responder(shout);
/// # let _ = config;
/// ```
#[derive(Clone)]
pub struct Responder {
    answer: Arc<AnswerFn>,
    name: &'static str,
}

impl Responder {
    /// A responder that runs this closure.
    pub fn new<F>(answer: F) -> Responder
    where
        F: Fn(&ChatRequest) -> String + Send + Sync + 'static,
    {
        Responder {
            answer: Arc::new(answer),
            name: "custom",
        }
    }

    /// The default: answers DSPy prompts with placeholder values for each output field the
    /// system message lists (the first input's value for `str`, `0` for `int`, `0.0` for
    /// `float`, `True` for `bool`, `[]`, `{}`, a `Literal`'s first member), in DSPy's chat
    /// format, or as a JSON object when the request sets `response_format`. Chats without
    /// output fields get their last user message echoed.
    pub fn dspy() -> Responder {
        Responder {
            answer: Arc::new(|request: &ChatRequest| {
                answer::auto_answer(
                    request.system_message(),
                    request.last_user_message(),
                    request.response_format.is_some(),
                )
            }),
            name: "dspy",
        }
    }

    /// Always answers with this text.
    pub fn fixed(text: impl Into<String>) -> Responder {
        let text: String = text.into();
        Responder {
            answer: Arc::new(move |_: &ChatRequest| text.clone()),
            name: "fixed",
        }
    }

    /// The answer to `request`.
    pub fn answer(&self, request: &ChatRequest) -> String {
        (self.answer)(request)
    }
}

impl Default for Responder {
    fn default() -> Responder {
        Responder::dspy()
    }
}

impl fmt::Debug for Responder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Responder").field(&self.name).finish()
    }
}
