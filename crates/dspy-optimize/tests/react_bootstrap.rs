//! BootstrapFewShot on a ReAct agent: the traces of successful teacher runs become demos of
//! the agent's `react` and `extract.predict` predictors (trajectories included), and on a
//! scripted model that only uses its tools when it has seen a demo, the score goes up.

use std::sync::Arc;

use dspy_core::adapters::{Role, SignatureSpec};
use dspy_core::evaluate::metric_fn;
use dspy_core::example::{Example, Prediction};
use dspy_core::lm::{LmRequest, SharedLm};
use dspy_core::react::ReAct;
use dspy_core::tool::Tool;
use dspy_core::{settings, Evaluate, Module};
use dspy_optimize::{BootstrapFewShot, Optimizer};
use dspy_testkit::{chat_completion, ScriptedLm};
use serde_json::json;

const TABLE: [(&str, &str); 6] = [
    ("Paris", "France"),
    ("Berlin", "Germany"),
    ("Rome", "Italy"),
    ("Madrid", "Spain"),
    ("Lisbon", "Portugal"),
    ("Vienna", "Austria"),
];

fn lookup() -> Tool {
    Tool::new("lookup", |args| async move {
        let city = args
            .get("city")
            .and_then(|c| c.as_str())
            .unwrap_or_default()
            .to_string();
        TABLE
            .iter()
            .find(|(c, _)| *c == city)
            .map(|(_, country)| *country)
            .ok_or_else(|| format!("no entry for {city}"))
    })
    .desc("The country of a city.")
    .arg("city", json!({"type": "string"}))
}

/// The text after `[[ ## name ## ]]` up to the next blank line.
fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("[[ ## {name} ## ]]\n");
    let start = text.rfind(&marker)? + marker.len();
    Some(
        text[start..]
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .trim(),
    )
}

/// A model that calls `lookup` only when its prompt holds a demo (an assistant turn), or for
/// the one city it knows to look up (Paris); otherwise it finishes at once and the extraction
/// answers `unknown`. So a teacher run on Paris succeeds, and its trace teaches the rest.
fn model(request: &LmRequest) -> String {
    let system = &request.messages[0].content;
    let last = &request.messages.last().unwrap().content;
    let has_demo = request.messages[..request.messages.len() - 1]
        .iter()
        .any(|m| m.role == Role::Assistant);
    let question = field(last, "question").unwrap_or_default();
    let city = question
        .trim_start_matches("Which country is ")
        .trim_end_matches(" in?");
    if system.contains("next_tool_name") {
        if (has_demo || city == "Paris") && !last.contains("[[ ## observation_0 ## ]]") {
            chat_completion([
                ("next_thought", "Look the city up.".to_string()),
                ("next_tool_name", "lookup".to_string()),
                ("next_tool_args", json!({ "city": city }).to_string()),
            ])
        } else {
            chat_completion([
                ("next_thought", "Done.".to_string()),
                ("next_tool_name", "finish".to_string()),
                ("next_tool_args", "{}".to_string()),
            ])
        }
    } else {
        let answer = field(last, "observation_0")
            .filter(|o| !o.starts_with("Execution error"))
            .unwrap_or("unknown");
        chat_completion([
            ("reasoning", "From the trajectory.".to_string()),
            ("answer", answer.to_string()),
        ])
    }
}

fn example(city: &str, country: &str) -> Example {
    Example::new()
        .with("question", format!("Which country is {city} in?"))
        .with("answer", country)
        .with_inputs(["question"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrapping_a_react_agent_raises_its_score() {
    let train: Vec<Example> = TABLE[..3].iter().map(|(c, k)| example(c, k)).collect();
    let dev: Vec<Example> = TABLE[3..].iter().map(|(c, k)| example(c, k)).collect();
    let lm: SharedLm = Arc::new(ScriptedLm::from_fn(model));
    let exact = metric_fn(|ex: &Example, pred: &Prediction| ex.get("answer") == pred.get("answer"));
    settings::with_lm(lm, async {
        let agent = ReAct::new(
            &SignatureSpec::parse("question -> answer").unwrap(),
            vec![lookup()],
        );
        let before = Evaluate::new(dev.clone())
            .run(&agent, &exact)
            .await
            .unwrap()
            .score;
        let compiled = BootstrapFewShot::new()
            .metric(exact)
            .max_bootstrapped_demos(2)
            .max_labeled_demos(2)
            .compile(&agent, &train, None)
            .await
            .unwrap();
        let after = Evaluate::new(dev.clone())
            .run(&compiled, &exact)
            .await
            .unwrap()
            .score;
        assert_eq!(before, 0.0);
        assert_eq!(after, 100.0, "with demos the agent uses its tool");

        // The react predictor's demos are steps of successful runs, with their trajectories.
        let (name, react) = &compiled.named_predictors()[0];
        assert_eq!(name, "react");
        let demo = react
            .demos()
            .iter()
            .find(|d| d.get("augmented") == Some(&json!(true)))
            .expect("a bootstrapped demo");
        assert!(demo.get("next_tool_name").is_some(), "{demo:?}");
        // The Paris run took two steps; DSPy's coin flip keeps one of them. Either way the demo
        // is a whole step: its trajectory so far and what the model did next.
        let trajectory = demo.get_str("trajectory").unwrap_or_default();
        let step = demo.get_str("next_tool_name").unwrap_or_default();
        assert!(
            (step == "lookup" && trajectory.is_empty())
                || (step == "finish" && trajectory.contains("[[ ## observation_0 ## ]]\nFrance")),
            "{demo:?}"
        );
        let (name, extract) = &compiled.named_predictors()[1];
        assert_eq!(name, "extract.predict");
        assert!(extract.demos().iter().any(|d| d
            .get_str("trajectory")
            .is_some_and(|t| t.contains("observation_0"))));
    })
    .await;
}
