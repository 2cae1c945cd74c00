//! `MultiChainComparison` and `majority`.

use super::*;

// ---------------------------------------------------------------------------------------------
// MultiChainComparison

#[tokio::test]
async fn multi_chain_comparison_builds_dspy_attempts_and_signature() {
    let lm = Arc::new(ScriptedLm::from_outputs([[
        ("rationale", "Both add up."),
        ("answer", "4"),
    ]]));
    let mut mcc = MultiChainComparison::parse("question -> answer", 3).unwrap();
    mcc.predict_mut().set_lm(Some(lm.clone()));
    let spec = mcc.predict().signature();
    let fields: Vec<(&str, &str, String)> = spec
        .fields()
        .map(|f| (f.name.as_str(), f.prefix.as_str(), f.stored_desc()))
        .collect();
    assert_eq!(
        fields[1],
        (
            "reasoning_attempt_1",
            "Student Attempt #1:",
            "${reasoning attempt}".to_string()
        )
    );
    assert_eq!(fields[4].0, "rationale");
    assert_eq!(
        fields[4].1,
        "Accurate Reasoning: Thank you everyone. Let's now holistically"
    );
    assert_eq!(fields[4].2, "${corrected reasoning}");
    assert_eq!(names(&mcc), ["predict"]);

    let completions: Vec<Values> = [
        json!({"reasoning": "add 2 and 2.\nThen stop.", "answer": "4"}),
        json!({"rationale": "  count ", "answer": " 4\nfour"}),
        json!({"reasoning": "guess", "answer": 5}),
    ]
    .into_iter()
    .map(|v| v.as_object().cloned().unwrap())
    .collect();
    let pred = mcc
        .compare(&completions, question("What is 2 + 2?"))
        .await
        .unwrap();
    assert_eq!(pred.get_str("rationale"), Some("Both add up."));
    let request = lm.last_request().unwrap();
    assert_eq!(request.temperature, Some(0.7));
    // Python DSPy 3.4.1's messages for the same call.
    assert_eq!(request.messages[0].content, "Your input fields are:\n1. `question` (str): \n2. `reasoning_attempt_1` (str): ${reasoning attempt}\n3. `reasoning_attempt_2` (str): ${reasoning attempt}\n4. `reasoning_attempt_3` (str): ${reasoning attempt}\nYour output fields are:\n1. `rationale` (str): ${corrected reasoning}\n2. `answer` (str):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## reasoning_attempt_1 ## ]]\n{reasoning_attempt_1}\n\n[[ ## reasoning_attempt_2 ## ]]\n{reasoning_attempt_2}\n\n[[ ## reasoning_attempt_3 ## ]]\n{reasoning_attempt_3}\n\n[[ ## rationale ## ]]\n{rationale}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `question`, produce the fields `answer`.");
    assert_eq!(request.messages[1].content, "[[ ## question ## ]]\nWhat is 2 + 2?\n\n[[ ## reasoning_attempt_1 ## ]]\n«I'm trying to add 2 and 2. I'm not sure but my prediction is 4»\n\n[[ ## reasoning_attempt_2 ## ]]\n«I'm trying to count I'm not sure but my prediction is 4»\n\n[[ ## reasoning_attempt_3 ## ]]\n«I'm trying to guess I'm not sure but my prediction is 5»\n\nRespond with the corresponding output fields, starting with the field `[[ ## rationale ## ]]`, then `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`.");

    // As a module, the completions come in the `completions` input.
    let mut inputs = question("What is 2 + 2?");
    inputs.insert("completions".into(), json!(completions[..2]));
    let err = Module::forward(&mcc, inputs).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::WrongAttemptCount {
                expected: 3,
                got: 2
            }
        ),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// majority

fn completion(answer: &str) -> Values {
    json!({"reasoning": "r", "answer": answer})
        .as_object()
        .cloned()
        .unwrap()
}

#[test]
fn majority_breaks_ties_by_first_seen_and_skips_empty_answers() {
    let vote = Majority::new();
    let tie = vec![
        completion("Lyon"),
        completion("Paris"),
        completion("paris."),
        completion("lyon!"),
    ];
    assert_eq!(
        vote.of_completions(tie).unwrap().get_str("answer"),
        Some("Lyon"),
        "a 2-2 tie goes to the value seen first"
    );
    let with_empty = vec![
        completion("the"),
        completion("Paris"),
        completion("a"),
        completion(""),
    ];
    assert_eq!(
        vote.of_completions(with_empty).unwrap().get_str("answer"),
        Some("Paris")
    );
    let all_empty = vec![completion("the"), completion("an")];
    assert_eq!(
        vote.of_completions(all_empty).unwrap().get_str("answer"),
        Some("the")
    );
    assert!(vote.of_completions(Vec::new()).is_err());

    let on_reasoning = Majority::new().field("reasoning");
    let pick = on_reasoning.winner(&[&completion("x"), &completion("y")]);
    assert_eq!(pick, Some(0));

    let p = |a: &str| Prediction::new(json!({"answer": a}).as_object().cloned().unwrap());
    let reduce = majority("answer");
    let winner = reduce(vec![p("Paris"), p("Lyon"), p("LYON"), p("paris")]).unwrap();
    assert_eq!(winner.get_str("answer"), Some("Paris"));
}
