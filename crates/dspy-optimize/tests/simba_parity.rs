//! SIMBA makes Python DSPy 3.4.1's choices: the runs recorded by
//! `scripts/record_simba_fixtures.py` (the keyword world with demos, rollout-id luck and a rule
//! LM, all pure functions of the request) are replayed here; every step's minibatch, sampled
//! programs, bucket order, candidates (source, demos dropped, strategy, scores), every LM
//! request in order, every rule prompt byte for byte and the returned program must match.

use std::sync::Arc;

use dspy_core::adapters::{AdapterKind, Values};
use dspy_core::evaluate::{metric_fn, Metric, Score};
use dspy_core::example::{Example, Prediction};
use dspy_core::lm::{BoxFuture, LmRequest, SharedLm};
use dspy_core::module::{naming, Module, ModuleExt};
use dspy_core::predict::Predict;
use dspy_core::{settings, Error};
use dspy_optimize::simba::Simba;
use dspy_testkit::keyword_world::{kind, two_step};
use dspy_testkit::{chat_completion, field_value, output_fields, Oracle, ScriptedLm};
use serde_json::Value;

mod support;

fn fixture(name: &str) -> Value {
    support::recorded::fixture("simba", name)
}

fn keyword_of(kind: &str) -> Option<&'static str> {
    match kind {
        "alpha" => Some("ALPHA"),
        "beta" => Some("BETA"),
        _ => None,
    }
}

/// The kinds of the questions in the demo user messages (all but the last message).
fn demo_kinds(request: &LmRequest) -> Vec<String> {
    let messages = &request.messages;
    messages[..messages.len().saturating_sub(1)]
        .iter()
        .filter(|m| m.role.as_str() == "user")
        .filter_map(|m| field_value(&m.content, "question"))
        .filter(|q| q.contains('('))
        .map(|q| kind(q).to_string())
        .collect()
}

fn task_answer(request: &LmRequest, system: &str, user: &str) -> String {
    let question = field_value(user, "question").unwrap_or("");
    let kind = if question.contains('(') {
        kind(question)
    } else {
        "easy"
    };
    match kind {
        "easy" => return Oracle::true_answer(question),
        "hard" => return "unknown".into(),
        _ => {}
    }
    let draft = field_value(user, "draft");
    let keyword = keyword_of(kind);
    let lucky = request.params.rollout_id.is_some_and(|r| {
        let n: u64 = question
            .split(' ')
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        (r + n).is_multiple_of(3)
    });
    let right = keyword
        .is_some_and(|kw| system.contains(kw) || draft.is_some_and(|d| d.contains(kw)))
        || demo_kinds(request).iter().any(|k| k == kind)
        || lucky;
    if right {
        Oracle::true_answer(question)
    } else {
        "unknown".into()
    }
}

/// The text of input field `name` in a chat-formatted user message.
fn section<'a>(user: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("[[ ## {name} ## ]]\n");
    let start = user.find(&marker)? + marker.len();
    let rest = &user[start..];
    Some(rest.find("\n\n[[ ## ").map_or(rest, |end| &rest[..end]))
}

/// The kind of the first "Item <n> (<kind>)" in the text.
fn first_kind(text: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(found) = text[from..].find("Item ") {
        let start = from + found;
        let rest = &text[start..];
        if let (Some(open), Some(close)) = (rest.find('('), rest.find(')')) {
            if open < close {
                return Some(&rest[open + 1..close]);
            }
        }
        from = start + 1;
    }
    None
}

fn prompt_reply(request: &LmRequest) -> String {
    let user = request.messages.last().map_or("", |m| m.content.as_str());
    let kind = section(user, "better_program_trajectory")
        .and_then(first_kind)
        .or_else(|| section(user, "program_inputs").and_then(first_kind))
        .unwrap_or("easy");
    let names_text = section(user, "module_names").unwrap_or("[]");
    let names: Vec<String> =
        serde_json::from_str(names_text.split("\n\n").next().unwrap_or("[]")).unwrap_or_default();
    let tip = match keyword_of(kind) {
        Some(kw) => format!("If the question is marked ({kind}), mention {kw} before answering."),
        None => format!("If the question is marked ({kind}), answer with the item's code."),
    };
    let discussion =
        format!("The better trajectory answered the {kind} question; the worse one did not.");
    let advice: serde_json::Map<String, Value> = names
        .into_iter()
        .map(|n| (n, Value::String(tip.clone())))
        .collect();
    chat_completion([
        ("discussion".to_string(), discussion),
        (
            "module_advice".to_string(),
            Value::Object(advice).to_string(),
        ),
    ])
}

fn task_reply(request: &LmRequest) -> String {
    let user = request.messages.last().map_or("", |m| m.content.as_str());
    let fields = output_fields(user);
    if fields.iter().any(|f| f == "module_advice") {
        return prompt_reply(request);
    }
    let system = request
        .messages
        .first()
        .filter(|m| m.role.as_str() == "system")
        .map_or("", |m| m.content.as_str());
    let values: Vec<(String, String)> = fields
        .into_iter()
        .map(|name| {
            if name == "draft" {
                let found: Vec<&str> = ["ALPHA", "BETA"]
                    .into_iter()
                    .filter(|kw| system.contains(kw))
                    .collect();
                let notes = if found.is_empty() {
                    "none".to_string()
                } else {
                    found.join(", ")
                };
                (name, format!("notes: {notes}"))
            } else {
                let answer = task_answer(request, system, user);
                (name, answer)
            }
        })
        .collect();
    chat_completion(values)
}

/// The script's `QA` program: one predictor named `respond`.
#[derive(Debug, Clone)]
struct Qa {
    respond: Predict,
}

impl Module for Qa {
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        Box::pin(async move { self.respond.forward(inputs).await })
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        naming::nest("respond", self.respond.named_predictors())
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        naming::nest("respond", self.respond.named_predictors_mut())
    }
}

fn metric(name: &str) -> Box<dyn Metric> {
    let right = |e: &Example, p: &Prediction| p.get_str("answer") == e.get_str("answer");
    match name {
        "float" => Box::new(metric_fn(move |e, p| Score::from(right(e, p)))),
        "feedback" => Box::new(metric_fn(move |e: &Example, p: &Prediction| {
            let gold = e.get_str("answer").unwrap_or("");
            if right(e, p) {
                Score::new(1.0).with_feedback(format!("Correct: the code is {gold}."))
            } else {
                let k = kind(e.get_str("question").unwrap_or(""));
                Score::new(0.0)
                    .with_feedback(format!("Wrong: the code of this {k} item is {gold}."))
            }
        })),
        _ => Box::new(metric_fn(move |e: &Example, p: &Prediction| {
            if right(e, p) {
                1.0
            } else if kind(e.get_str("question").unwrap_or("")) == "hard"
                && p.get_str("answer") == Some("unknown")
            {
                0.5
            } else {
                0.0
            }
        })),
    }
}

struct Boxed(Box<dyn Metric>);

impl Metric for Boxed {
    fn score<'a>(
        &'a self,
        example: &'a Example,
        prediction: &'a Prediction,
        trace: Option<&'a [dspy_core::trace::TraceEntry]>,
    ) -> BoxFuture<'a, Result<Score, Error>> {
        self.0.score(example, prediction, trace)
    }
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

async fn replay<P: Module + Clone>(name: &str, student: P) {
    let case = fixture(name);
    let config = &case["config"];
    let task = Arc::new(ScriptedLm::from_fn(task_reply));
    let prompt = Arc::new(ScriptedLm::from_fn(prompt_reply));
    let mut simba = Simba::new(Boxed(metric(config["metric"].as_str().unwrap())));
    let get = |key: &str, default: u64| config.get(key).and_then(Value::as_u64).unwrap_or(default);
    simba.bsize = get("bsize", 32) as usize;
    simba.num_candidates = get("num_candidates", 6) as usize;
    simba.max_steps = get("max_steps", 8) as usize;
    simba.max_demos = get("max_demos", 4) as usize;
    simba.demo_input_field_maxlen = get("demo_input_field_maxlen", 100_000) as usize;
    simba.seed = get("seed", 0);
    simba.num_threads = Some(1);
    if let Some(t) = config
        .get("temperature_for_sampling")
        .and_then(Value::as_f64)
    {
        simba.temperature_for_sampling = t;
    }
    if let Some(t) = config
        .get("temperature_for_candidates")
        .and_then(Value::as_f64)
    {
        simba.temperature_for_candidates = t;
    }
    if config["prompt_model"] == "separate" {
        simba.prompt_lm = Some(prompt.clone() as SharedLm);
    }
    if config["teacher_settings"].is_string() {
        simba.teacher_lm = Some(task.clone() as SharedLm);
    }
    simba.program_code = Some(case["program_code"].as_str().unwrap().to_string());
    let trainset = support::recorded::qa_rows(&case["trainset"]);
    let task_lm: SharedLm = task.clone();
    let result = settings::with_lm(task_lm, async {
        settings::with_adapter(AdapterKind::Chat, simba.run(&student, &trainset)).await
    })
    .await
    .unwrap();

    // Every step.
    let steps = case["steps"].as_array().unwrap();
    assert_eq!(result.steps.len(), steps.len(), "{name}: steps");
    for (got, want) in result.steps.iter().zip(steps) {
        let at = format!("{name}, step {}", want["step"]);
        assert_eq!(got.batch, usizes(&want["batch_indices"]), "{at}: batch");
        let sampled: Vec<usize> = want["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["program"].as_u64().unwrap() as usize)
            .collect();
        assert_eq!(got.sampled, sampled, "{at}: sampled programs");
        let scores: Vec<f64> = want["trajectories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["score"].as_f64().unwrap())
            .collect();
        assert_eq!(got.scores, scores, "{at}: trajectory scores");
        let order: Vec<usize> = want["bucket_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["batch_position"].as_u64().unwrap() as usize)
            .collect();
        assert_eq!(got.bucket_order, order, "{at}: bucket order");
        let candidates = want["candidates"].as_array().unwrap();
        let kept: Vec<&Value> = candidates
            .iter()
            .filter(|c| !c["registered_as"].is_null())
            .collect();
        assert_eq!(got.candidates.len(), kept.len(), "{at}: candidates");
        let batch_scores = want["candidate_batch_scores"].as_array().unwrap();
        for (k, (g, w)) in got.candidates.iter().zip(&kept).enumerate() {
            assert_eq!(
                g.source,
                w["source_program"].as_u64().unwrap() as usize,
                "{at}, candidate {k}: source"
            );
            assert_eq!(
                g.dropped,
                usizes(&w["demos_to_drop"]),
                "{at}, candidate {k}: dropped demos"
            );
            assert_eq!(
                g.rule,
                w["strategy"] == "append_a_rule",
                "{at}, candidate {k}: strategy"
            );
            let scores: Vec<f64> = serde_json::from_value(batch_scores[k].clone()).unwrap();
            assert_eq!(g.scores, scores, "{at}, candidate {k}: batch scores");
        }
    }

    // Every rule prompt, byte for byte.
    let rule_calls: Vec<LmRequest> = if config["prompt_model"] == "separate" {
        prompt.requests()
    } else {
        task.requests()
            .into_iter()
            .filter(|r| {
                r.messages
                    .last()
                    .is_some_and(|m| m.content.contains("[[ ## module_advice ## ]]"))
            })
            .collect()
    };
    let want_calls = case["prompt_calls"].as_array().unwrap();
    assert_eq!(rule_calls.len(), want_calls.len(), "{name}: rule calls");
    for (k, (got, want)) in rule_calls.iter().zip(want_calls).enumerate() {
        for (m, w) in got
            .messages
            .iter()
            .zip(want["messages"].as_array().unwrap())
        {
            let want_text = w["content"].as_str().unwrap();
            if m.content != want_text {
                let line = m
                    .content
                    .lines()
                    .zip(want_text.lines())
                    .find(|(a, b)| a != b)
                    .map(|(a, b)| format!("got  {a:?}\nwant {b:?}"))
                    .unwrap_or_else(|| "lengths differ".into());
                panic!("{name}: rule call {k} differs:\n{line}");
            }
        }
    }

    // Every task request, in order, with its rollout id.
    let task_calls: Vec<&Value> = case["task_calls"].as_array().unwrap().iter().collect();
    // (The rule prompts the task LM answered, without a prompt LM, are listed apart.)
    let got_calls: Vec<LmRequest> = task
        .requests()
        .into_iter()
        .filter(|r| {
            !r.messages
                .last()
                .is_some_and(|m| m.content.contains("[[ ## module_advice ## ]]"))
        })
        .collect();
    assert_eq!(got_calls.len(), task_calls.len(), "{name}: task calls");
    for (k, (got, want)) in got_calls.iter().zip(&task_calls).enumerate() {
        let want_messages = want["messages"].as_array().unwrap();
        let same = got.messages.len() == want_messages.len()
            && got
                .messages
                .iter()
                .zip(want_messages)
                .all(|(m, w)| m.content == w["content"].as_str().unwrap());
        assert!(same, "{name}: task call {k} differs");
        assert_eq!(
            got.params.rollout_id,
            want["request_kwargs"]["rollout_id"].as_u64(),
            "{name}: task call {k} rollout id"
        );
    }

    // The finalists' trainset scores and the returned program.
    let finals: Vec<f64> = result.finalists.iter().map(|(_, s)| *s).collect();
    let want_finals: Vec<f64> = serde_json::from_value(case["final_scores"].clone()).unwrap();
    assert_eq!(finals, want_finals, "{name}: final scores");
    assert_eq!(
        result.program.dump_state(),
        case["program"],
        "{name}: program"
    );
}

#[tokio::test]
async fn single_predictor_run_matches_dspy() {
    replay(
        "single",
        Qa {
            respond: Predict::parse("question -> answer").unwrap(),
        },
    )
    .await;
}

#[tokio::test]
async fn two_step_run_with_truncated_demos_matches_dspy() {
    replay("two-step", two_step()).await;
}

#[tokio::test]
async fn rules_only_with_a_teacher_matches_dspy() {
    replay(
        "rules-teacher",
        Qa {
            respond: Predict::parse("question -> answer").unwrap(),
        },
    )
    .await;
}

/// Beyond parity: on the same world (a rule or a demo of the right kind fixes a question),
/// SIMBA's program scores higher on held-out questions than the student.
#[tokio::test]
async fn simba_raises_the_dev_score() {
    let kinds = ["alpha", "beta", "delta", "easy", "hard"];
    let data = |offset: usize| -> Vec<Example> {
        (0..20)
            .map(|i| {
                let n = offset + i;
                let k = kinds[i % kinds.len()];
                let question = format!("Item {n} ({k}): what is the code of item {n}?");
                Example::new()
                    .with("answer", Oracle::true_answer(&question))
                    .with("question", question)
                    .with_inputs(["question"])
            })
            .collect()
    };
    let (trainset, devset) = (data(0), data(100));
    let task: SharedLm = Arc::new(ScriptedLm::from_fn(task_reply));
    let prompt: SharedLm = Arc::new(ScriptedLm::from_fn(prompt_reply));
    let mut simba = Simba::new(Boxed(metric("float")));
    simba.bsize = 10;
    simba.num_candidates = 4;
    simba.max_steps = 6;
    simba.prompt_lm = Some(prompt);
    let student = Qa {
        respond: Predict::parse("question -> answer").unwrap(),
    };
    let score = |program: Qa, task: SharedLm| {
        let devset = devset.clone();
        async move {
            settings::with_lm(task, async {
                dspy_core::Evaluate::new(devset)
                    .num_threads(4)
                    .display_progress(false)
                    .run(&program, &Boxed(metric("float")))
                    .await
                    .unwrap()
                    .score
            })
            .await
        }
    };
    let result = settings::with_lm(task.clone(), simba.run(&student, &trainset))
        .await
        .unwrap();
    let before = score(student.clone(), task.clone()).await;
    let after = score(result.program.clone(), task).await;
    assert!(after > before, "SIMBA should help: {before} -> {after}");
    assert!(result.finalists.len() >= 2);
}
