//! [`ScriptedLm`]: an offline [`LanguageModel`] whose answers are scripted, like DSPy's `DummyLM`.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use dspy_core::adapters::Role;
use dspy_core::lm::{BoxFuture, Choice, LanguageModel, LmError, LmRequest, LmResponse, Usage};

use crate::{answer, completion, tokens};

/// The model name a [`ScriptedLm`] reports unless told otherwise.
pub const DEFAULT_MODEL: &str = "scripted";

type ResponseFn = dyn Fn(&LmRequest) -> Result<LmResponse, LmError> + Send + Sync;

/// A [`LanguageModel`] that answers from a script instead of a provider.
///
/// Pick how answers are chosen with a constructor:
///
/// | constructor | answer to each call |
/// | --- | --- |
/// | [`new`](Self::new), [`from_outputs`](Self::from_outputs), [`from_results`](Self::from_results) | the next entry of a fixed list |
/// | [`keyed`](Self::keyed) | the answer of the first key found in the last user message |
/// | [`from_fn`](Self::from_fn), [`from_response_fn`](Self::from_response_fn) | computed by a closure |
/// | [`auto`](Self::auto) | placeholder values for the output fields the DSPy prompt asks for |
///
/// A fixed list answers in order and then fails every further call with a (non-retryable)
/// [`LmError::Config`], so a test that makes more calls than it scripted fails loudly; call
/// [`cycle`](Self::cycle) to start over from the first answer instead.
///
/// A request for `n` completions gets `n` copies of the one answer (`n` above 128 is rejected
/// with [`LmError::InvalidRequest`], as OpenAI does). Every call is counted
/// ([`calls`](Self::calls)) and its request kept ([`requests`](Self::requests)), failed calls
/// included. Reported usage is approximate (one token per four bytes).
///
/// ```
/// use dspy_core::adapters::Message;
/// use dspy_core::lm::{LanguageModel, LmRequest};
/// use dspy_testkit::ScriptedLm;
///
/// let lm = ScriptedLm::from_outputs([[("answer", "4")], [("answer", "6")]]);
/// let ask = |q: &str| LmRequest::new(vec![Message::user(q)]);
/// let first = futures::executor::block_on(lm.call(ask("2 + 2?"))).unwrap();
/// assert_eq!(first.first_text(), Some("[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"));
/// let second = futures::executor::block_on(lm.call(ask("3 + 3?"))).unwrap();
/// assert_eq!(second.first_text(), Some("[[ ## answer ## ]]\n6\n\n[[ ## completed ## ]]"));
/// assert!(futures::executor::block_on(lm.call(ask("4 + 4?"))).is_err());
/// assert_eq!(lm.calls(), 3);
/// assert_eq!(lm.requests()[1].messages[0].content, "3 + 3?");
/// ```
pub struct ScriptedLm {
    model: String,
    script: Script,
    calls: AtomicUsize,
    log: Mutex<Vec<LmRequest>>,
}

enum Script {
    Sequence {
        answers: Vec<Result<String, LmError>>,
        next: AtomicUsize,
        cycle: bool,
    },
    Keyed {
        entries: Vec<(String, String)>,
        fallback: Option<String>,
    },
    Auto,
    Func(Arc<ResponseFn>),
}

impl ScriptedLm {
    fn with_script(script: Script) -> ScriptedLm {
        ScriptedLm {
            model: DEFAULT_MODEL.to_string(),
            script,
            calls: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
        }
    }

    /// Answers with these completion texts, in order.
    ///
    /// ```
    /// # use dspy_core::lm::{LanguageModel, LmRequest};
    /// # use dspy_testkit::ScriptedLm;
    /// let lm = ScriptedLm::new(["first", "second"]).cycle();
    /// let texts: Vec<String> = (0..3)
    ///     .map(|_| futures::executor::block_on(lm.call(LmRequest::default())).unwrap())
    ///     .map(|r| r.first_text().unwrap_or_default().to_string())
    ///     .collect();
    /// assert_eq!(texts, ["first", "second", "first"]);
    /// ```
    pub fn new<I, S>(answers: I) -> ScriptedLm
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ScriptedLm::from_results(answers.into_iter().map(|a| Ok(a.into())))
    }

    /// Answers with these output field values, each written in DSPy's chat format
    /// (see [`chat_completion`](crate::chat_completion)), in order.
    pub fn from_outputs<I, F, K, V>(answers: I) -> ScriptedLm
    where
        I: IntoIterator<Item = F>,
        F: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        ScriptedLm::new(answers.into_iter().map(completion::chat_completion))
    }

    /// Answers with these texts or errors, in order: handy to test retries.
    ///
    /// ```
    /// # use dspy_core::lm::{LanguageModel, LmError, LmRequest};
    /// # use dspy_testkit::ScriptedLm;
    /// let lm = ScriptedLm::from_results([Err(LmError::RateLimited { retry_after: None }), Ok("ok".into())]);
    /// let call = || futures::executor::block_on(lm.call(LmRequest::default()));
    /// assert!(call().unwrap_err().is_retryable());
    /// assert_eq!(call().unwrap().first_text(), Some("ok"));
    /// ```
    pub fn from_results<I>(answers: I) -> ScriptedLm
    where
        I: IntoIterator<Item = Result<String, LmError>>,
    {
        ScriptedLm::with_script(Script::Sequence {
            answers: answers.into_iter().collect(),
            next: AtomicUsize::new(0),
            cycle: false,
        })
    }

    /// Answers by key: the answer of the first key (in the order given) that occurs in the last
    /// user message. With no match the call fails with [`LmError::Config`], unless a
    /// [`fallback`](Self::fallback) is set.
    ///
    /// ```
    /// # use dspy_core::adapters::Message;
    /// # use dspy_core::lm::{LanguageModel, LmRequest};
    /// # use dspy_testkit::ScriptedLm;
    /// let lm = ScriptedLm::keyed([("capital of France", "Paris"), ("2 + 2", "4")]);
    /// let ask = |q: &str| futures::executor::block_on(lm.call(LmRequest::new(vec![Message::user(q)])));
    /// assert_eq!(ask("What is 2 + 2?").unwrap().first_text(), Some("4"));
    /// assert!(ask("Who are you?").is_err());
    /// ```
    pub fn keyed<I, K, V>(entries: I) -> ScriptedLm
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        ScriptedLm::with_script(Script::Keyed {
            entries: entries
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            fallback: None,
        })
    }

    /// Answers every DSPy prompt with placeholder values for the output fields its system
    /// message lists: the first input's value for `str` fields, `0` for `int`, `0.0` for
    /// `float`, `True` for `bool`, `[]`, `{}`, or a `Literal`'s first member. The answer is in
    /// DSPy's chat format, or a JSON object when the request sets a `response_format`. A chat
    /// without output fields gets its last user message echoed.
    ///
    /// This is the same answer the mock server gives by default.
    pub fn auto() -> ScriptedLm {
        ScriptedLm::with_script(Script::Auto)
    }

    /// Answers with the text a closure computes from the request.
    ///
    /// ```
    /// # use dspy_core::adapters::Message;
    /// # use dspy_core::lm::{LanguageModel, LmRequest};
    /// # use dspy_testkit::ScriptedLm;
    /// let lm = ScriptedLm::from_fn(|request| format!("{} messages", request.messages.len()));
    /// let response = futures::executor::block_on(lm.call(LmRequest::new(vec![Message::user("hi")])));
    /// assert_eq!(response.unwrap().first_text(), Some("1 messages"));
    /// ```
    pub fn from_fn<F>(answer: F) -> ScriptedLm
    where
        F: Fn(&LmRequest) -> String + Send + Sync + 'static,
    {
        ScriptedLm::with_script(Script::Func(Arc::new(move |request: &LmRequest| {
            text_response(DEFAULT_MODEL, request, answer(request))
        })))
    }

    /// Answers with the whole response (or error) a closure computes from the request.
    pub fn from_response_fn<F>(respond: F) -> ScriptedLm
    where
        F: Fn(&LmRequest) -> Result<LmResponse, LmError> + Send + Sync + 'static,
    {
        ScriptedLm::with_script(Script::Func(Arc::new(respond)))
    }

    /// Makes a fixed list start over after its last answer instead of failing. Has no effect on
    /// other scripts.
    pub fn cycle(mut self) -> ScriptedLm {
        if let Script::Sequence { cycle, .. } = &mut self.script {
            *cycle = true;
        }
        self
    }

    /// Sets the answer of a [`keyed`](Self::keyed) script when no key matches. Has no effect on
    /// other scripts.
    pub fn fallback(mut self, answer: impl Into<String>) -> ScriptedLm {
        if let Script::Keyed { fallback, .. } = &mut self.script {
            *fallback = Some(answer.into());
        }
        self
    }

    /// Sets the model name ([`DEFAULT_MODEL`] otherwise), reported by
    /// [`LanguageModel::model`] and in responses to requests that name no model.
    pub fn with_model(mut self, model: impl Into<String>) -> ScriptedLm {
        self.model = model.into();
        self
    }

    /// How many calls were made, failed ones included.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<LmRequest> {
        self.log().clone()
    }

    /// The most recent request, if any.
    pub fn last_request(&self) -> Option<LmRequest> {
        self.log().last().cloned()
    }

    fn log(&self) -> MutexGuard<'_, Vec<LmRequest>> {
        // A poisoned log is still a valid log: pushes cannot leave it half-written.
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn answer(&self, request: &LmRequest) -> Result<LmResponse, LmError> {
        let text =
            match &self.script {
                Script::Sequence {
                    answers,
                    next,
                    cycle,
                } => {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let slot = match (answers.get(index), *cycle && !answers.is_empty()) {
                        (Some(answer), _) => answer,
                        (None, true) => &answers[index % answers.len()],
                        (None, false) => {
                            return Err(LmError::config(format!(
                            "ScriptedLm has no answer left: its {} scripted answers are used up \
                             (call ScriptedLm::cycle to repeat them)",
                            answers.len()
                        )))
                        }
                    };
                    slot.clone()?
                }
                Script::Keyed { entries, fallback } => {
                    let user = last_user(request).unwrap_or("");
                    let found = entries
                        .iter()
                        .find(|(key, _)| user.contains(key.as_str()))
                        .map(|(_, answer)| answer)
                        .or(fallback.as_ref());
                    match found {
                        Some(answer) => answer.clone(),
                        None => return Err(LmError::config(
                            "ScriptedLm has no answer for this request: no scripted key occurs \
                             in the last user message (set a fallback to answer anyway)",
                        )),
                    }
                }
                Script::Auto => {
                    let system = request
                        .messages
                        .iter()
                        .find(|m| m.role == Role::System)
                        .map(|m| m.content.as_str());
                    answer::auto_answer(
                        system,
                        last_user(request),
                        request.response_format.is_some(),
                    )
                }
                Script::Func(respond) => return respond(request),
            };
        text_response(&self.model, request, text)
    }
}

impl LanguageModel for ScriptedLm {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let result = self.answer(&request);
            self.log().push(request);
            result
        })
    }

    fn model(&self) -> &str {
        &self.model
    }
}

impl fmt::Debug for ScriptedLm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let script = match &self.script {
            Script::Sequence { answers, cycle, .. } => {
                format!("Sequence({} answers, cycle: {cycle})", answers.len())
            }
            Script::Keyed { entries, .. } => format!("Keyed({} keys)", entries.len()),
            Script::Auto => "Auto".to_string(),
            Script::Func(_) => "Fn".to_string(),
        };
        f.debug_struct("ScriptedLm")
            .field("model", &self.model)
            .field("script", &script)
            .field("calls", &self.calls())
            .finish()
    }
}

/// The content of the last user message.
fn last_user(request: &LmRequest) -> Option<&str> {
    request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| m.content.as_str())
}

/// A response with `n` copies of `text` and estimated usage.
fn text_response(model: &str, request: &LmRequest, text: String) -> Result<LmResponse, LmError> {
    let n = request.n.unwrap_or(1);
    if !(1..=tokens::MAX_CHOICES).contains(&n) {
        return Err(LmError::InvalidRequest {
            status: 400,
            message: format!("n must be between 1 and {}, got {n}", tokens::MAX_CHOICES),
        });
    }
    let n = n as usize;
    let prompt_tokens = request
        .messages
        .iter()
        .map(|m| tokens::estimate(&m.content))
        .sum();
    let completion_tokens = tokens::estimate(&text) * n as u64;
    let mut response = LmResponse::text(request.model.as_deref().unwrap_or(model), "");
    response.choices = vec![Choice::text(text); n];
    response.usage = Usage {
        prompt_tokens,
        completion_tokens,
        total_tokens: prompt_tokens + completion_tokens,
    };
    Ok(response)
}
