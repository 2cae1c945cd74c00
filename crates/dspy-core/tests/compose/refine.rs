//! `Refine`: feedback, hints and the `OfferFeedback` signature.

use super::*;

// ---------------------------------------------------------------------------------------------
// Refine

/// The system message Python DSPy 3.4.1 renders for `Predict(OfferFeedback)` with
/// `ChatAdapter` (`dspy.ChatAdapter().format(OfferFeedback, [], inputs)[0]["content"]`).
const OFFER_FEEDBACK_SYSTEM: &str = "Your input fields are:\n1. `program_code` (str): The code of the program that we are analyzing\n2. `modules_defn` (str): The definition of each module in the program, including its I/O\n3. `program_inputs` (str): The inputs to the program that we are analyzing\n4. `program_trajectory` (str): The trajectory of the program's execution, showing each module's I/O\n5. `program_outputs` (str): The outputs of the program that we are analyzing\n6. `reward_code` (str): The code of the reward function that we are analyzing\n7. `target_threshold` (float): The target threshold for the reward function\n8. `reward_value` (float): The reward value assigned to the program's outputs\n9. `module_names` (list[str]): The names of the modules in the program, for which we seek advice\nYour output fields are:\n1. `discussion` (str): Discussing blame of where each module went wrong, if it did\n2. `advice` (dict[str, str]): For each module, describe very concretely, in this order: the specific scenarios in which it has made mistakes in the past and what each mistake was, followed by what it should do differently in that kind ofscenario in the future. If the module is not to blame, write N/A.\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## program_code ## ]]\n{program_code}\n\n[[ ## modules_defn ## ]]\n{modules_defn}\n\n[[ ## program_inputs ## ]]\n{program_inputs}\n\n[[ ## program_trajectory ## ]]\n{program_trajectory}\n\n[[ ## program_outputs ## ]]\n{program_outputs}\n\n[[ ## reward_code ## ]]\n{reward_code}\n\n[[ ## target_threshold ## ]]\n{target_threshold}\n\n[[ ## reward_value ## ]]\n{reward_value}\n\n[[ ## module_names ## ]]\n{module_names}\n\n[[ ## discussion ## ]]\n{discussion}\n\n[[ ## advice ## ]]\n{advice}        # note: the value you produce must adhere to the JSON schema: {\"type\": \"object\", \"additionalProperties\": {\"type\": \"string\"}}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        In the discussion, assign blame to each module that contributed to the final reward being below the threshold, if\n        any. Then, prescribe concrete advice of how the module should act on its future input when we retry the process, if\n        it were to receive the same or similar inputs. If a module is not to blame, the advice should be N/A.\n        The module will not see its own history, so it needs to rely on entirely concrete and actionable advice from you\n        to avoid the same mistake on the same or similar inputs.";

#[test]
fn offer_feedback_renders_as_in_python() {
    let spec = offer_feedback();
    let inputs: Values = spec
        .inputs()
        .iter()
        .map(|f| (f.name.clone(), Value::from(format!("<{}>", f.name))))
        .collect();
    let messages = AdapterKind::Chat.adapter().format(spec, &[], &inputs);
    assert_eq!(messages[0].content, OFFER_FEEDBACK_SYSTEM);
    assert!(messages[1].content.ends_with("Respond with the corresponding output fields, starting with the field `[[ ## discussion ## ]]`, then `[[ ## advice ## ]]` (must be formatted as a valid Python dict[str, str]), and then ending with the marker for `[[ ## completed ## ]]`."));
}

fn one_word() -> impl Fn(&Values, &Prediction) -> bool + Send + Sync + 'static {
    |_: &Values, p: &Prediction| {
        p.get_str("answer")
            .is_some_and(|a| a.split_whitespace().count() == 1)
    }
}

#[tokio::test]
async fn refine_stops_at_the_threshold_without_feedback() {
    let lm = answers(&["Brussels"]);
    let refine = Refine::new(qa(), 3, one_word(), 1.0);
    let pred = settings::with_lm(lm.clone(), refine.forward(question("?")))
        .await
        .unwrap();
    assert_eq!(pred.get_str("answer"), Some("Brussels"));
    assert_eq!(lm.calls(), 1);
}

#[tokio::test]
async fn refine_asks_for_feedback_then_shows_the_hint() {
    let lm = Arc::new(ScriptedLm::from_outputs([
        vec![
            ("reasoning", "Belgium's capital."),
            ("answer", "The city of Brussels"),
        ],
        vec![
            ("discussion", "The answer is too long."),
            ("advice", r#"{"predict": "Answer with one word only."}"#),
        ],
        vec![("reasoning", "Short."), ("answer", "Brussels")],
    ]));
    let cot = ChainOfThought::parse("question -> answer").unwrap();
    let refine = Refine::new(cot, 3, one_word(), 1.0)
        .program_code("class QA(dspy.Module): ...")
        .reward_code("def one_word(args, pred): ...");
    let (pred, entries) = trace::with_trace(settings::with_lm(
        lm.clone(),
        refine.forward(question("What is the capital of Belgium?")),
    ))
    .await;
    assert_eq!(pred.unwrap().get_str("answer"), Some("Brussels"));

    let requests = lm.requests();
    assert_eq!(requests.len(), 3, "attempt, feedback, attempt");
    assert_eq!(rollouts(&lm)[0], (Some(0), Some(1.0)));
    assert_eq!(
        rollouts(&lm)[1],
        (None, None),
        "the feedback call uses the plain LM"
    );
    assert_eq!(rollouts(&lm)[2], (Some(1), Some(1.0)));

    let feedback = &requests[1].messages;
    assert_eq!(feedback[0].content, OFFER_FEEDBACK_SYSTEM);
    let user = &feedback[1].content;
    for part in [
        "[[ ## program_code ## ]]\nclass QA(dspy.Module): ...\n\n",
        "[[ ## modules_defn ## ]]\n--------------------------------------------------------------------------------\nModule predict\n\tInput Fields:\n\t\t1. `question` (str):\n\tOutput Fields:\n\t\t1. `reasoning` (str): \n\t\t2. `answer` (str):\n\tOriginal Instructions: \n\t\tGiven the fields `question`, produce the fields `answer`.\n--------------------------------------------------------------------------------\n\n",
        "[[ ## program_inputs ## ]]\n{\n  \"question\": \"What is the capital of Belgium?\"\n}\n\n",
        "[[ ## program_trajectory ## ]]\n[\n  {\n    \"module_name\": \"predict\",\n    \"inputs\": {\n      \"question\": \"What is the capital of Belgium?\"\n    },\n    \"outputs\": {\n      \"reasoning\": \"Belgium's capital.\",\n      \"answer\": \"The city of Brussels\"\n    }\n  }\n]\n\n",
        "[[ ## reward_code ## ]]\ndef one_word(args, pred): ...\n\n[[ ## target_threshold ## ]]\n1.0\n\n[[ ## reward_value ## ]]\n0.0\n\n[[ ## module_names ## ]]\n[\n  \"predict\"\n]\n\n",
    ] {
        assert!(user.contains(part), "missing {part:?} in\n{user}");
    }

    let hinted = &requests[2].messages;
    assert!(hinted[0]
        .content
        .contains("2. `hint_` (str): A hint to the module from an earlier run\n"));
    assert!(hinted[1].content.starts_with(
        "[[ ## question ## ]]\nWhat is the capital of Belgium?\n\n[[ ## hint_ ## ]]\nAnswer with one word only.\n\n"
    ));
    assert!(
        !requests[0].messages[0].content.contains("hint_"),
        "no hint before advice"
    );

    // The caller's trace: the feedback call (as in DSPy), then the best attempt without hint.
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[1].predictor, refine.named_predictors()[0].1.id());
    assert!(!entries[1].inputs.contains_key("hint_"));
}

#[tokio::test]
async fn refine_hints_na_to_predictors_without_advice_and_keeps_their_adapter() {
    #[derive(Debug, Clone)]
    struct Two {
        first: Predict,
        second: Predict,
    }
    impl Module for Two {
        fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
            Box::pin(async move {
                let a = self.first.forward(inputs).await?;
                self.second
                    .forward(question(a.get_str("answer").unwrap_or("")))
                    .await
            })
        }
        fn named_predictors(&self) -> Vec<(String, &Predict)> {
            vec![
                ("first".into(), &self.first),
                ("second".into(), &self.second),
            ]
        }
        fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
            vec![
                ("first".into(), &mut self.first),
                ("second".into(), &mut self.second),
            ]
        }
    }
    let lm = Arc::new(ScriptedLm::from_fn(|r: &LmRequest| {
        let system = &r.messages[0].content;
        let user = &r.messages[r.messages.len() - 1].content;
        if system.contains("`advice`") {
            "[[ ## discussion ## ]]\nd\n\n[[ ## advice ## ]]\n{\"second\": \"Be brief.\"}\n\n[[ ## completed ## ]]".to_string()
        } else if user.contains("JSON object") {
            "{\"answer\": \"two words\"}".to_string()
        } else {
            "[[ ## answer ## ]]\ntwo words\n\n[[ ## completed ## ]]".to_string()
        }
    }));
    let two = Two {
        first: qa(),
        second: qa().with_adapter(AdapterKind::Json),
    };
    let refine = Refine::new(two, 2, one_word(), 1.0);
    let out = settings::with_lm(lm.clone(), refine.forward(question("?"))).await;
    assert_eq!(out.unwrap().get_str("answer"), Some("two words"));
    let requests = lm.requests();
    assert_eq!(requests.len(), 5, "two calls, feedback, two calls");
    let user = |i: usize| requests[i].messages.last().unwrap().content.clone();
    assert!(user(3).contains("[[ ## hint_ ## ]]\nN/A"), "{}", user(3));
    assert!(
        user(4).contains("[[ ## hint_ ## ]]\nBe brief."),
        "{}",
        user(4)
    );
    assert!(
        user(4).contains("JSON object"),
        "the JSON adapter is kept: {}",
        user(4)
    );
    assert!(user(2).contains("[\n  \"first\",\n  \"second\"\n]"));
}

#[tokio::test]
async fn refine_shows_the_feedback_lm_the_hint_of_the_last_attempt() {
    // The run of Python DSPy 3.4.1 this replays: two attempts below the threshold, so two
    // feedback calls; the second trajectory holds the hint the second attempt got, as DSPy's
    // `WrapperAdapter` adds `hint_` to the predictor's inputs before they are traced.
    let lm = Arc::new(ScriptedLm::from_outputs([
        vec![
            ("reasoning", "Belgium's capital."),
            ("answer", "The city of Brussels"),
        ],
        vec![
            ("discussion", "The answer is too long."),
            ("advice", r#"{"predict": "Answer with one word only."}"#),
        ],
        vec![("reasoning", "Again."), ("answer", "It is Brussels")],
        vec![
            ("discussion", "Still long."),
            (
                "advice",
                r#"{"predict": "One word: the city name.", "other": "x"}"#,
            ),
        ],
        vec![("reasoning", "Short."), ("answer", "Brussels")],
    ]));
    let cot = ChainOfThought::parse("question -> answer").unwrap();
    let refine = Refine::new(cot, 3, one_word(), 1.0);
    let pred = settings::with_lm(
        lm.clone(),
        refine.forward(question("What is the capital of Belgium?")),
    )
    .await
    .unwrap();
    assert_eq!(pred.get_str("answer"), Some("Brussels"));
    let requests = lm.requests();
    assert_eq!(rollouts(&lm)[4], (Some(2), Some(1.0)));
    let second_feedback = &requests[3].messages[1].content;
    let trajectory = "[[ ## program_trajectory ## ]]\n[\n  {\n    \"module_name\": \"predict\",\n    \"inputs\": {\n      \"question\": \"What is the capital of Belgium?\",\n      \"hint_\": \"Answer with one word only.\"\n    },\n    \"outputs\": {\n      \"reasoning\": \"Again.\",\n      \"answer\": \"It is Brussels\"\n    }\n  }\n]\n\n[[ ## program_outputs ## ]]\n{\n  \"reasoning\": \"Again.\",\n  \"answer\": \"It is Brussels\"\n}\n\n";
    assert!(second_feedback.contains(trajectory), "{second_feedback}");
    assert!(requests[4].messages[1]
        .content
        .contains("[[ ## hint_ ## ]]\nOne word: the city name.\n\n"));
}
