//! Typed predictors and `#[module]` programs over a scripted LM.

use std::sync::Arc;

use dspy::core::lm::SharedLm;
use dspy::prelude::*;
use dspy::schemars::JsonSchema;
use dspy_testkit::ScriptedLm;
use serde::{Deserialize, Serialize};

/// What to do next.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(crate = "dspy::schemars")]
enum Action {
    /// Look something up.
    Search { query: String, limit: u32 },
    /// Answer now.
    Answer(String),
    /// Give up.
    Stop,
}

/// Decide the next step.
#[derive(Signature)]
struct Plan {
    #[input]
    goal: String,
    #[output]
    action: Action,
    #[output]
    steps: u32,
}

fn shared(lm: &Arc<ScriptedLm>) -> SharedLm {
    lm.clone()
}

#[tokio::test]
async fn enum_output_parses_each_variant() {
    let lm = Arc::new(ScriptedLm::from_outputs([
        [
            (
                "action",
                r#"{"Search": {"query": "rust traits", "limit": 3}}"#,
            ),
            ("steps", "2"),
        ],
        [("action", r#"{"Answer": "42"}"#), ("steps", "1")],
        [("action", r#""Stop""#), ("steps", "0")],
    ]));
    let plan = Predict::<Plan>::new().with_lm(shared(&lm));
    let goal = || PlanInput {
        goal: "learn".into(),
    };

    let first = plan.forward(goal()).await.unwrap();
    assert_eq!(
        first.action,
        Action::Search {
            query: "rust traits".into(),
            limit: 3
        }
    );
    assert_eq!(first.steps, 2);
    assert_eq!(
        plan.forward(goal()).await.unwrap().action,
        Action::Answer("42".into())
    );
    assert_eq!(plan.forward(goal()).await.unwrap().action, Action::Stop);
    assert_eq!(lm.calls(), 3);
}

#[tokio::test]
async fn wrong_type_names_the_field() {
    let lm = Arc::new(ScriptedLm::from_outputs([[
        ("action", r#""Stop""#),
        ("steps", "many"),
    ]]));
    let plan = Predict::<Plan>::new()
        .with_lm(shared(&lm))
        .with_json_fallback(false);
    let Err(err) = plan.forward(PlanInput { goal: "x".into() }).await else {
        panic!("expected an error");
    };
    assert!(matches!(err, Error::Parse(_)), "{err:?}");
    assert!(err.to_string().contains("steps"), "{err}");
}

#[tokio::test]
async fn output_that_does_not_fit_names_the_field() {
    // The LM's values parse for the signature the predictor now has, but not as `PlanOutput`.
    let lm = Arc::new(ScriptedLm::from_outputs([[
        ("action", r#""Stop""#),
        ("steps", "lots"),
    ]]));
    let mut plan = Predict::<Plan>::new().with_lm(shared(&lm));
    plan.set_signature(SignatureSpec::parse("goal -> action, steps").unwrap());
    let Err(err) = plan.forward(PlanInput { goal: "x".into() }).await else {
        panic!("expected an error");
    };
    assert!(matches!(err, Error::Values(_)), "{err:?}");
    assert!(err.to_string().starts_with("field `action`"), "{err}");
}

/// Answer questions with short factoid answers.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

/// Rewrite a question so it is easier to answer.
#[derive(Signature)]
struct Rewrite {
    #[input]
    question: String,
    #[output]
    better_question: String,
}

#[module]
#[derive(Debug, Clone)]
struct RewriteThenAnswer {
    rewrite: Predict<Rewrite>,
    generate_answer: ChainOfThought<QA>,
    #[module(skip)]
    label: &'static str,
}

impl RewriteThenAnswer {
    fn new() -> Self {
        RewriteThenAnswer {
            rewrite: Predict::new(),
            generate_answer: ChainOfThought::new(),
            label: "rta",
        }
    }

    async fn forward(&self, input: QAInput) -> Result<WithReasoning<QAOutput>, Error> {
        let rewritten = self
            .rewrite
            .forward(RewriteInput {
                question: input.question,
            })
            .await?;
        self.generate_answer
            .forward(QAInput {
                question: rewritten.better_question,
            })
            .await
    }
}

fn names(program: &impl Module) -> Vec<String> {
    program
        .named_predictors()
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

#[test]
fn module_names_its_predictors() {
    let mut program = RewriteThenAnswer::new();
    assert_eq!(names(&program), ["rewrite", "generate_answer.predict"]);
    let mut_names: Vec<String> = program
        .named_predictors_mut()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(mut_names, names(&program));
    assert_eq!(program.label, "rta");
}

#[tokio::test]
async fn module_runs_typed_and_dynamic() {
    let lm = Arc::new(
        ScriptedLm::from_outputs([
            vec![("better_question", "What is the capital of France?")],
            vec![
                ("reasoning", "France's capital is Paris."),
                ("answer", "Paris"),
            ],
        ])
        .cycle(),
    );
    let mut program = RewriteThenAnswer::new();
    program.set_lm(shared(&lm));

    let typed = program
        .forward(QAInput {
            question: "capital of france".into(),
        })
        .await
        .unwrap();
    assert_eq!(typed.answer, "Paris");
    assert_eq!(typed.reasoning, "France's capital is Paris.");

    let example = Example::new()
        .with("question", "capital of france")
        .with_inputs(["question"]);
    let prediction = Module::forward(&program, example.inputs().unwrap().into_values())
        .await
        .unwrap();
    assert_eq!(prediction.get_str("answer"), Some("Paris"));
    assert_eq!(
        prediction.get_str("reasoning"),
        Some("France's capital is Paris.")
    );
    assert_eq!(lm.calls(), 4);
    let second_prompt = &lm.requests()[1].messages;
    assert!(second_prompt
        .iter()
        .any(|m| m.content.contains("What is the capital of France?")));
}

#[test]
fn save_then_load_round_trips() {
    let mut program = RewriteThenAnswer::new();
    program
        .rewrite
        .set_instructions("Make the question precise.");
    program
        .generate_answer
        .predict_mut()
        .set_demos(vec![Example::new()
            .with("question", "2 + 2?")
            .with("reasoning", "Add.")
            .with("answer", "4")]);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("program.json");
    program.save(&path).unwrap();

    let mut loaded = RewriteThenAnswer::new();
    assert_ne!(loaded.dump_state(), program.dump_state());
    loaded.load(&path).unwrap();
    assert_eq!(loaded.dump_state(), program.dump_state());
    assert_eq!(
        loaded.rewrite.signature().instructions(),
        "Make the question precise."
    );
    assert_eq!(loaded.generate_answer.predict().demos().len(), 1);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(saved.get("rewrite").is_some());
    assert!(saved.get("generate_answer.predict").is_some());
}

/// Containers of predictors get DSPy's indexed and keyed names.
#[module]
#[derive(Debug)]
struct Containers {
    hops: Vec<Predict<QA>>,
    pair: [ChainOfThought<QA>; 2],
    maybe: Option<Predict<QA>>,
    missing: Option<Predict<QA>>,
    experts: std::collections::HashMap<String, Predict<QA>>,
    sorted: std::collections::BTreeMap<String, ChainOfThought<QA>>,
    inner: RewriteThenAnswer,
}

impl Containers {
    async fn forward(&self, input: QAInput) -> Result<QAOutput, Error> {
        self.hops[0].forward(input).await
    }
}

#[test]
fn containers_are_named_like_dspy() {
    let program = Containers {
        hops: vec![Predict::new(), Predict::new()],
        pair: [ChainOfThought::new(), ChainOfThought::new()],
        maybe: Some(Predict::new()),
        missing: None,
        experts: [
            ("math".to_string(), Predict::new()),
            ("art".to_string(), Predict::new()),
        ]
        .into_iter()
        .collect(),
        sorted: [("b".to_string(), ChainOfThought::new())]
            .into_iter()
            .collect(),
        inner: RewriteThenAnswer::new(),
    };
    assert_eq!(
        names(&program),
        [
            "hops[0]",
            "hops[1]",
            "pair[0].predict",
            "pair[1].predict",
            "maybe",
            "experts['art']",
            "experts['math']",
            "sorted['b'].predict",
            "inner.rewrite",
            "inner.generate_answer.predict",
        ]
    );
}

#[tokio::test]
async fn typed_chain_of_thought_honours_a_custom_rationale_field() {
    let lm = Arc::new(ScriptedLm::from_outputs([vec![
        ("thoughts", "Paris is the capital."),
        ("answer", "Paris"),
    ]]));
    let rationale = FieldSpec::new("thoughts", FieldType::Str).with_desc("think it over");
    let cot = ChainOfThought::<QA>::with_rationale(rationale).with_lm(shared(&lm));
    let outputs: Vec<&str> = cot
        .predict()
        .signature()
        .outputs()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(outputs, ["thoughts", "answer"]);
    let result = cot
        .forward(QAInput {
            question: "capital of france".into(),
        })
        .await
        .unwrap();
    assert_eq!(result.reasoning, "Paris is the capital.");
    assert_eq!(result.answer, "Paris");
    let system = &lm.requests()[0].messages[0].content;
    assert!(system.contains("[[ ## thoughts ## ]]"), "{system}");
    assert!(!system.contains("[[ ## reasoning ## ]]"), "{system}");
}

#[test]
fn typed_and_dynamic_predictors_tell_themselves_apart_in_debug() {
    let typed = format!("{:?}", dspy::Predict::<QA>::new());
    assert!(typed.starts_with("typed::Predict<QA>("), "{typed}");
    let dynamic = format!(
        "{:?}",
        dspy::core::predict::Predict::parse("q -> a").unwrap()
    );
    assert!(dynamic.starts_with("Predict {"), "{dynamic}");
    let cot = format!("{:?}", ChainOfThought::<QA>::new());
    assert!(cot.starts_with("typed::ChainOfThought<QA>("), "{cot}");
}
