//! `ChainOfThought` and custom modules: the reasoning output, DSPy's predictor names, and
//! mutable access to each predictor's state.

mod support;

use dspy_core::module::{Module, ModuleExt};
use dspy_core::predict::ChainOfThought;
use dspy_core::Example;
use serde_json::json;
use support::{chat, values, MultiHop, Scripted};

#[tokio::test]
async fn chain_of_thought_exposes_reasoning() {
    let lm = Scripted::texts([
        chat(&[("reasoning", "Two plus two is four."), ("answer", "4")]).as_str(),
    ]);
    let cot = ChainOfThought::parse("question -> answer").unwrap();
    let cot = ChainOfThought::from_predict(cot.predict().clone().with_lm(lm.shared()));
    let pred = cot
        .forward(values(json!({"question": "2 + 2?"})))
        .await
        .unwrap();
    assert_eq!(pred.get_str("reasoning"), Some("Two plus two is four."));
    assert_eq!(pred.get_str("answer"), Some("4"));
    assert_eq!(pred.keys().collect::<Vec<_>>(), ["reasoning", "answer"]);

    let system = &lm.requests()[0].messages[0].content;
    assert!(system.starts_with(
        "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `reasoning` (str): \n2. `answer` (str):"
    ), "{system}");
}

#[test]
fn predictor_names_follow_dspy() {
    let program = MultiHop::new();
    let names: Vec<String> = program
        .named_predictors()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    // Python DSPy 3.4.1 names the same program's predictors this way.
    assert_eq!(
        names,
        ["generate_answer.predict", "hops[0]", "hops[1]", "summarize"]
    );
}

#[tokio::test]
async fn predictors_can_be_changed_through_the_module() {
    let mut program = MultiHop::new();
    for (name, predict) in program.named_predictors_mut() {
        predict.set_instructions(format!("Instructions for {name}."));
        predict.demos_mut().push(Example::new().with("note", name));
    }
    let lm = Scripted::answering("multi", |request| {
        let system = &request.messages[0].content;
        Ok(vec![if system.contains("`reasoning`") {
            chat(&[("reasoning", "r"), ("answer", "a")])
        } else {
            chat(&[("query", "q")])
        }])
    });
    program.set_lm(lm.shared());
    let pred = program
        .forward(values(json!({"question": "?"})))
        .await
        .unwrap();
    assert_eq!(pred.get_str("answer"), Some("a"));
    let requests = lm.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[0].messages[0]
        .content
        .ends_with("Instructions for hops[0]."));
    assert!(requests[2].messages[0]
        .content
        .ends_with("Instructions for generate_answer.predict."));

    let (_, entries) =
        dspy_core::trace::with_trace(program.forward(values(json!({"question": "?"})))).await;
    let names: Vec<String> = entries
        .iter()
        .filter_map(|e| program.predictor_name(e.predictor))
        .collect();
    assert_eq!(names, ["hops[0]", "hops[1]", "generate_answer.predict"]);
}

#[test]
fn modules_work_as_trait_objects() {
    let boxed: Box<dyn Module> = Box::new(MultiHop::new());
    assert_eq!(boxed.named_predictors().len(), 4);
    assert_eq!(boxed.dump_state().as_object().map(|o| o.len()), Some(4));
}
