//! Tools and ReAct: argument schemas as DSPy shows them, bad arguments and tool failures as
//! observations, the loop's end conditions and the trajectory truncation.

use std::sync::{Arc, Mutex};

use dspy_core::adapters::{Message, SignatureSpec, Values};
use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse, SharedLm};
use dspy_core::react::ReAct;
use dspy_core::tool::{Tool, ToolError};
use dspy_core::{settings, Module};
use dspy_testkit::{chat_completion, ScriptedLm};
use serde::Deserialize;
use serde_json::{json, Value};

// Serialize too: schemars shows a field's default only when its type can be serialized.
#[derive(Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Color {
    Red,
    Blue,
}

fn red() -> Color {
    Color::Red
}

#[allow(dead_code)]
#[derive(Deserialize, schemars::JsonSchema)]
struct Everything {
    name: String,
    count: i64,
    ratio: f64,
    flag: bool,
    tags: Vec<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default = "red")]
    color: Color,
}

#[test]
fn a_tools_schema_comes_from_its_rust_signature() {
    let tool = Tool::from_fn("f", "Do things.\nSecond line.", |_: Everything| async {
        Ok::<_, String>(1)
    });
    // Python: str(dspy.Tool(f)) for
    // def f(name: str, count: int, ratio: float, flag: bool, tags: list[str],
    //       limit: Optional[int] = None, color: Color = Color.RED)
    // (the description is the text given here, its newline shown as two spaces).
    assert_eq!(
        tool.to_string(),
        "f, whose description is <desc>Do things.  Second line.</desc>. It takes arguments \
         {'name': {'type': 'string'}, 'count': {'type': 'integer'}, 'ratio': {'type': 'number'}, \
         'flag': {'type': 'boolean'}, 'tags': {'items': {'type': 'string'}, 'type': 'array'}, \
         'limit': {'anyOf': [{'type': 'integer'}, {'type': 'null'}], 'default': None}, \
         'color': {'enum': ['red', 'blue'], 'title': 'Color', 'type': 'string', 'default': 'red'}}."
    );
    let function = tool.function_schema();
    assert_eq!(
        function["function"]["parameters"]["required"],
        json!(["name", "count", "ratio", "flag", "tags"])
    );
}

#[derive(Deserialize, schemars::JsonSchema)]
struct AddArgs {
    a: i64,
    b: i64,
}

fn add() -> Tool {
    Tool::from_fn("add", "Add two integers.", |x: AddArgs| async move {
        x.a.checked_add(x.b).ok_or("overflow")
    })
}

fn step(thought: &str, tool: &str, args: Value) -> String {
    chat_completion([
        ("next_thought", thought.to_string()),
        ("next_tool_name", tool.to_string()),
        ("next_tool_args", args.to_string()),
    ])
}

fn extract(answer: &str) -> String {
    chat_completion([("reasoning", "From the trajectory."), ("answer", answer)])
}

fn question(q: &str) -> Values {
    Values::from_iter([("question".to_string(), Value::from(q))])
}

async fn run(agent: &ReAct, lm: ScriptedLm, q: &str) -> (dspy_core::Prediction, Arc<ScriptedLm>) {
    let lm = Arc::new(lm);
    let pred = settings::with_lm(lm.clone() as SharedLm, agent.forward(question(q)))
        .await
        .unwrap();
    (pred, lm)
}

#[tokio::test]
async fn bad_arguments_and_failures_come_back_as_observations() {
    let agent = ReAct::new(
        &SignatureSpec::parse("question -> answer").unwrap(),
        vec![add()],
    );
    let lm = ScriptedLm::new([
        step("Try words.", "add", json!({"a": "two", "b": 3})),
        step("Extra argument.", "add", json!({"a": 2, "b": 3, "c": 1})),
        step("Overflow.", "add", json!({"a": i64::MAX, "b": 1})),
        step("Now right.", "add", json!({"a": 2, "b": 3})),
        step("Done.", "finish", json!({})),
        extract("5"),
    ]);
    let (pred, lm) = run(&agent, lm, "What is 2 plus 3?").await;
    let t = pred.get("trajectory").unwrap();
    let text = |k: &str| t[k].as_str().unwrap_or_default().to_string();
    assert!(
        text("observation_0").starts_with("Execution error in add: invalid arguments:"),
        "{t}"
    );
    assert_eq!(
        text("observation_1"),
        "Execution error in add: Arg c is not in the tool's args."
    );
    assert_eq!(text("observation_2"), "Execution error in add: overflow");
    assert_eq!(t["observation_3"], json!(5));
    assert_eq!(text("observation_4"), "Completed.");
    assert_eq!(pred.get_str("answer"), Some("5"));
    assert_eq!(lm.calls(), 6);
    // The model saw each error in its trajectory.
    let last_step = &lm.requests()[4].messages;
    let user = &last_step.last().unwrap().content;
    assert!(
        user.contains(
            "[[ ## observation_1 ## ]]\nExecution error in add: Arg c is not in the tool's args."
        ),
        "{user}"
    );
    assert!(
        user.contains("[[ ## tool_args_3 ## ]]\n{\"a\": 2, \"b\": 3}"),
        "{user}"
    );
}

#[tokio::test]
async fn max_iters_ends_the_loop() {
    let agent = ReAct::new(
        &SignatureSpec::parse("question -> answer").unwrap(),
        vec![add()],
    )
    .max_iters(2);
    let lm = ScriptedLm::new([
        step("One.", "add", json!({"a": 1, "b": 1})),
        step("Two.", "add", json!({"a": 2, "b": 2})),
        extract("4"),
    ]);
    let (pred, lm) = run(&agent, lm, "Add things").await;
    assert_eq!(lm.calls(), 3, "two steps, then the extraction");
    let t = pred.get("trajectory").unwrap().as_object().unwrap();
    assert_eq!(t.len(), 8);
    assert_eq!(pred.get_str("answer"), Some("4"));
    // The extraction sees the whole trajectory and the original fields.
    let extract_prompt = &lm.requests()[2].messages;
    assert!(extract_prompt[0].content.contains("`trajectory` (str)"));
    assert!(extract_prompt
        .last()
        .unwrap()
        .content
        .contains("[[ ## observation_1 ## ]]\n4"));

    // A `max_iters` input overrides it for one call.
    let lm = Arc::new(ScriptedLm::new([
        step("One.", "add", json!({"a": 1, "b": 1})),
        extract("2"),
    ]));
    let mut inputs = question("Add");
    inputs.insert("max_iters".into(), json!(1));
    let pred = settings::with_lm(lm.clone() as SharedLm, agent.forward(inputs))
        .await
        .unwrap();
    assert_eq!(lm.calls(), 2);
    assert_eq!(pred.get_str("answer"), Some("2"));
}

#[tokio::test]
async fn a_misnamed_tool_is_a_parse_error_and_finish_is_always_there() {
    let agent = ReAct::new(
        &SignatureSpec::parse("question -> answer").unwrap(),
        vec![add()],
    );
    let names: Vec<&str> = agent.tools().iter().map(|t| t.tool_name()).collect();
    assert_eq!(names, ["add", "finish"]);
    assert!(agent.react().signature().instructions().contains(
        "(2) finish, whose description is <desc>Marks the task as complete. That is, signals that all information for producing the outputs, i.e. `answer`, are now available to be extracted.</desc>. It takes arguments {}."
    ));
    let lm = Arc::new(ScriptedLm::new([
        step("?", "multiply", json!({})),
        step("?", "multiply", json!({})),
    ]));
    let err = settings::with_lm(lm as SharedLm, agent.forward(question("q")))
        .await
        .unwrap_err();
    assert!(matches!(err, dspy_core::Error::Parse(_)), "{err}");
    let names: Vec<String> = agent
        .named_predictors()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["react", "extract.predict"]);
}

/// An LM whose context window holds at most `limit` trajectory steps.
#[derive(Debug)]
struct SmallWindow {
    inner: ScriptedLm,
    limit: usize,
    seen: Mutex<Vec<usize>>,
}

impl LanguageModel for SmallWindow {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        let user = request
            .messages
            .last()
            .map(|m: &Message| m.content.clone())
            .unwrap_or_default();
        let steps = user.matches("[[ ## observation_").count();
        self.seen.lock().unwrap().push(steps);
        if steps > self.limit {
            return Box::pin(async move {
                Err(LmError::ContextLength {
                    message: "maximum context length exceeded".into(),
                })
            });
        }
        self.inner.call(request)
    }

    fn model(&self) -> &str {
        "small-window"
    }
}

#[tokio::test]
async fn an_overflowing_trajectory_loses_its_oldest_steps() {
    let agent = ReAct::new(
        &SignatureSpec::parse("question -> answer").unwrap(),
        vec![add()],
    );
    let lm = Arc::new(SmallWindow {
        inner: ScriptedLm::new([
            step("1", "add", json!({"a": 1, "b": 0})),
            step("2", "add", json!({"a": 2, "b": 0})),
            step("3", "add", json!({"a": 3, "b": 0})),
            step("done", "finish", json!({})),
            extract("ok"),
        ]),
        limit: 2,
        seen: Mutex::new(Vec::new()),
    });
    let pred = settings::with_lm(lm.clone() as SharedLm, agent.forward(question("q")))
        .await
        .unwrap();
    assert_eq!(pred.get_str("answer"), Some("ok"));
    // Step 3 (index 3) first sent 3 steps, overflowed, then sent 2; the extraction did the same.
    let seen = lm.seen.lock().unwrap().clone();
    assert_eq!(seen, [0, 1, 2, 3, 2, 3, 2]);
    let t = pred.get("trajectory").unwrap().as_object().unwrap();
    assert!(
        !t.contains_key("thought_0") && t.contains_key("thought_3"),
        "{t:?}"
    );
}

#[test]
fn tool_errors_read_like_dspys() {
    assert_eq!(
        ToolError::UnknownArg("c".into()).to_string(),
        "Arg c is not in the tool's args."
    );
}
