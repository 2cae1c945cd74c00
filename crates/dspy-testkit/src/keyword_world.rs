//! The keyword world of `scripts/record_gepa_fixtures.py`, for reflective optimizers (GEPA
//! tests and benchmark): a task LM and a reflection LM that are pure functions of their
//! prompts, a metric whose feedback names the fix, and a two-step program.
//!
//! Questions read `Item <n> (<kind>): ...`. The task LM answers "easy" right, "hard" never,
//! "alpha" when the answering predictor's instructions (or the draft step's) mention ALPHA,
//! "beta" when the answering instructions mention BETA, "gamma" when the draft step does not
//! mention ALPHA. The metric's feedback says which keyword the predictor asked about is
//! missing; the reflection LM adds a keyword once the feedback asks for it twice.

use crate::{chat_completion, field_value, output_fields, Oracle};
use dspy_core::adapters::Values;
use dspy_core::evaluate::{PredictorTrace, Score};
use dspy_core::example::{Example, Prediction};
use dspy_core::lm::{BoxFuture, LmRequest};
use dspy_core::module::{naming, Module};
use dspy_core::predict::Predict;
use dspy_core::Error;

/// The kind in `Item <n> (<kind>): ...` (`easy` when absent).
pub fn kind(question: &str) -> &str {
    question
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map_or("easy", |(k, _)| k)
}

/// The task model of the script's world.
pub fn task_reply(request: &LmRequest) -> String {
    let messages = &request.messages;
    let system = messages
        .first()
        .filter(|m| m.role.as_str() == "system")
        .map_or("", |m| m.content.as_str());
    let user = messages.last().map_or("", |m| m.content.as_str());
    let question = field_value(user, "question").unwrap_or("");
    let kind = kind(question);
    let fields: Vec<(String, String)> = output_fields(user)
        .into_iter()
        .map(|name| {
            if name == "draft" {
                let route = if system.contains("ALPHA") {
                    "alpha-route"
                } else {
                    "plain-route"
                };
                return (name, route.to_string());
            }
            let draft = field_value(user, "draft");
            let right = match kind {
                "easy" => true,
                "hard" => false,
                "alpha" => match draft {
                    Some(d) => d == "alpha-route",
                    None => system.contains("ALPHA"),
                },
                "beta" => system.contains("BETA"),
                "gamma" => draft == Some("plain-route"),
                // Any other kind is right when the instructions name it (K3 for k3).
                other => system.contains(&other.to_uppercase()),
            };
            let value = if right {
                Oracle::true_answer(question)
            } else {
                "unknown".into()
            };
            (name, value)
        })
        .collect();
    chat_completion(fields)
}

/// The reflection model of the script's world (it answers as the JSON adapter expects):
/// [`Reflection::default`].
pub fn reflection_reply(request: &LmRequest) -> String {
    Reflection::default().reply(request)
}

/// The reflection model's rule: every keyword the feedback asks for at least `min_mentions`
/// times and the instruction lacks is appended as `" Mention <KW>."`; with `replace`, only the
/// first one, in place of any earlier " Mention ..." (candidates then hold one keyword each).
/// With none, the instruction plus " Be precise." in ``` fences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reflection {
    /// The keywords it knows, in order.
    pub keywords: Vec<String>,
    /// Mentions of `"must mention <KW>"` needed.
    pub min_mentions: usize,
    /// Keep one keyword, replacing the previous one.
    pub replace: bool,
}

impl Default for Reflection {
    fn default() -> Reflection {
        Reflection {
            keywords: vec!["ALPHA".into(), "BETA".into()],
            min_mentions: 2,
            replace: false,
        }
    }
}

impl Reflection {
    /// The reply to one reflection request.
    pub fn reply(&self, request: &LmRequest) -> String {
        let user = request.messages.last().map_or("", |m| m.content.as_str());
        let marker = "[[ ## current_instruction ## ]]\n";
        let current = user.find(marker).map_or("", |start| {
            let rest = &user[start + marker.len()..];
            rest.find("\n\n[[ ## ").map_or(rest, |end| &rest[..end])
        });
        let add: Vec<&String> = self
            .keywords
            .iter()
            .filter(|kw| {
                user.matches(&format!("must mention {kw}")).count() >= self.min_mentions
                    && !current.contains(kw.as_str())
            })
            .collect();
        let new = match add.first() {
            None => format!("```\n{current} Be precise.\n```"),
            Some(first) if self.replace => {
                let base = current.split(" Mention ").next().unwrap_or(current);
                format!("{base} Mention {first}.")
            }
            Some(_) => {
                let mut new = current.to_string();
                for kw in add {
                    new.push_str(&format!(" Mention {kw}."));
                }
                new
            }
        };
        serde_json::json!({ "new_instruction": new }).to_string()
    }
}

/// The script's metric: 1 or 0, with feedback naming the fix for the predictor asked about.
pub fn score(
    example: &Example,
    prediction: &Prediction,
    predictor: Option<PredictorTrace<'_>>,
) -> Score {
    let gold = example.get_str("answer").unwrap_or("");
    if prediction.get_str("answer") == Some(gold) {
        return Score::new(1.0).with_feedback(format!("Correct: the answer is {gold}."));
    }
    let kind = kind(example.get_str("question").unwrap_or(""));
    let name = predictor.map(|p| p.name);
    let feedback = match (kind, name) {
        ("hard", _) => "Wrong answer. No instruction can fix this one.".to_string(),
        ("gamma", _) => "Wrong answer. The draft step must not mention ALPHA.".to_string(),
        (_, None | Some("self")) => format!(
            "Wrong answer. The instruction must mention {}.",
            kind.to_uppercase()
        ),
        ("alpha", Some("draft")) | ("beta", Some("finish")) => format!(
            "Wrong answer. The {} step must mention {}.",
            name.unwrap_or_default(),
            kind.to_uppercase()
        ),
        (_, Some(name)) => format!("Wrong answer, but the {name} step is not at fault."),
    };
    Score::new(0.0).with_feedback(feedback)
}

/// The script's two-step program.
#[derive(Debug, Clone)]
pub struct TwoStep {
    /// `question -> draft`.
    pub draft: Predict,
    /// `question, draft -> answer`.
    pub finish: Predict,
}

impl Module for TwoStep {
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        Box::pin(async move {
            let question = inputs.get("question").cloned().unwrap_or_default();
            let mut first = Values::new();
            first.insert("question".into(), question.clone());
            let draft = self.draft.forward(first).await?;
            let mut second = Values::new();
            second.insert("question".into(), question);
            second.insert(
                "draft".into(),
                draft.get("draft").cloned().unwrap_or_default(),
            );
            self.finish.forward(second).await
        })
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        let mut out = naming::nest("draft", self.draft.named_predictors());
        out.extend(naming::nest("finish", self.finish.named_predictors()));
        out
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        let mut out = naming::nest("draft", self.draft.named_predictors_mut());
        out.extend(naming::nest("finish", self.finish.named_predictors_mut()));
        out
    }
}

/// The script's two-step program: `question -> draft`, then `question, draft -> answer`.
pub fn two_step() -> TwoStep {
    TwoStep {
        draft: Predict::parse("question -> draft").unwrap(),
        finish: Predict::parse("question, draft -> answer").unwrap(),
    }
}

const WORDS: [&str; 10] = [
    "amber", "blue", "coral", "denim", "emerald", "fuchsia", "gold", "hazel", "ivory", "jade",
];

/// One example per kind, numbered from `offset`, as the script builds its data sets.
pub fn dataset(kinds: &[&str], offset: usize) -> Vec<Example> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let n = offset + i;
            let question = format!(
                "Item {n} ({kind}): what is the code of the {} item?",
                WORDS[n % WORDS.len()]
            );
            Example::new()
                .with("answer", Oracle::true_answer(&question))
                .with("question", question)
                .with_inputs(["question"])
        })
        .collect()
}
