//! The mock's world: what it answers, and the recorder under the cache that notes every call.

use super::*;

pub(super) const COLOURS: [&str; 11] = [
    "amber", "blue", "coral", "denim", "emerald", "fuchsia", "gold", "hazel", "ivory", "jade",
    "khaki",
];
/// The sentence after which a DSPy chat prompt names the output fields it wants.
pub(super) const RESPOND: &str = "Respond with the corresponding output fields";

/// What a call is for, from the first output field its prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Task,
    Observe,
    Summarize,
    DescribeProgram,
    DescribeModule,
    Generate,
    Other,
}

impl Kind {
    fn of(messages: &[Message]) -> Kind {
        let last = messages.last().map_or("", |m| m.content.as_str());
        let Some(start) = last.rfind(RESPOND) else {
            return Kind::Task;
        };
        let rest = &last[start..];
        let first = rest
            .find("[[ ## ")
            .map(|i| &rest[i + "[[ ## ".len()..])
            .and_then(|after| after.find(" ## ]]").map(|j| &after[..j]));
        match first {
            Some("answer") => Kind::Task,
            Some("observations") => Kind::Observe,
            Some("summary") => Kind::Summarize,
            Some("program_description") => Kind::DescribeProgram,
            Some("module_description") => Kind::DescribeModule,
            Some("proposed_instruction") => Kind::Generate,
            _ => Kind::Other,
        }
    }
}

/// The first line after `[[ ## name ## ]]`, trimmed.
pub(super) fn field<'a>(content: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("[[ ## {name} ## ]]\n");
    let start = content.find(&marker)? + marker.len();
    content[start..].lines().next().map(str::trim)
}

pub(super) fn to_message(role: &str, content: &str) -> Message {
    match role {
        "system" | "developer" => Message::system(content),
        "assistant" => Message::assistant(content),
        _ => Message::user(content),
    }
}

/// The mock's answers: the task oracle for task prompts, the prompt world for the rest.
pub(super) fn responder(world: PromptWorld, oracle: Oracle, multi: Arc<AtomicU64>) -> Responder {
    Responder::new(move |request: &ChatRequest| {
        if request.n.unwrap_or(1) > 1 {
            multi.fetch_add(1, Ordering::Relaxed);
        }
        let messages: Vec<Message> = request
            .messages
            .iter()
            .map(|m| to_message(&m.role, &m.content))
            .collect();
        match Kind::of(&messages) {
            Kind::Task => chat_completion([("answer", oracle.answer(&messages))]),
            _ => world.completion(&messages, 0),
        }
    })
}

/// One call the server saw.
#[derive(Debug, Clone)]
pub(super) struct Call {
    pub(super) kind: Kind,
    pub(super) start: Instant,
    pub(super) end: Instant,
    /// Task calls: the question asked.
    pub(super) question: Option<String>,
    /// Task calls: the questions of the demos in the prompt, sorted.
    pub(super) demos: Vec<String>,
    /// Task calls: whether the answer was the right one.
    pub(super) right: bool,
}

/// Wraps the client (under the cache and the limit) and records every call.
#[derive(Debug)]
pub(super) struct Recorder {
    pub(super) inner: OpenAiClient,
    pub(super) calls: Arc<Mutex<Vec<Call>>>,
}

impl LanguageModel for Recorder {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        Box::pin(async move {
            let kind = Kind::of(&request.messages);
            let (question, demos) = if kind == Kind::Task {
                let n = request.messages.len().saturating_sub(1);
                let question = request
                    .messages
                    .last()
                    .and_then(|m| field(&m.content, "question"))
                    .map(str::to_string);
                let mut demos: Vec<String> = request.messages[..n]
                    .iter()
                    .filter(|m| m.role.as_str() == "user")
                    .filter_map(|m| field(&m.content, "question").map(str::to_string))
                    .collect();
                demos.sort();
                (question, demos)
            } else {
                (None, Vec::new())
            };
            let start = Instant::now();
            let response = self.inner.call(request).await;
            let end = Instant::now();
            let right = match (&question, &response) {
                (Some(q), Ok(r)) => r
                    .first_text()
                    .and_then(|t| field(t, "answer"))
                    .is_some_and(|a| a == Oracle::true_answer(q)),
                _ => false,
            };
            let call = Call {
                kind,
                start,
                end,
                question,
                demos,
                right,
            };
            self.calls.lock().unwrap().push(call);
            response
        })
    }

    fn model(&self) -> &str {
        self.inner.model()
    }
}

pub(super) fn dataset(range: std::ops::Range<usize>) -> Vec<Example> {
    range
        .map(|i| {
            let q = format!(
                "What is the code of the {} item number {i}?",
                COLOURS[i % COLOURS.len()]
            );
            Example::new()
                .with("question", q.clone())
                .with("answer", Oracle::true_answer(&q))
                .with_inputs(["question"])
        })
        .collect()
}

pub(super) fn exact(ex: &Example, pred: &Prediction) -> bool {
    ex.get("answer") == pred.get("answer")
}
