//! Tests against the real SmolLM2-135M model (fetch it with `bash scripts/fetch-model.sh`;
//! `DSPY_LOCAL_MODEL` may point at another copy). When the model file is absent each test fails
//! under CI and elsewhere prints `SKIPPED: <test>: ..` and returns (see `support`).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dspy_core::adapters::Message;
use dspy_core::lm::{FinishReason, LanguageModel, LmError, LmRequest};
use dspy_local::engine::{Engine, GenerateParams, Prompt};
use dspy_local::sampler::SamplingParams;
use dspy_local::{LocalLm, LocalLmOptions};
use support::{model_or_skip, rt};

/// The shared LM, or `None` when the model file is absent and the test skips (see `support`).
fn lm() -> Option<&'static LocalLm> {
    static LM: OnceLock<LocalLm> = OnceLock::new();
    let path = model_or_skip()?;
    Some(LM.get_or_init(|| {
        let options = LocalLmOptions::default().context_length(2048);
        LocalLm::from_path("local/smollm2-135m", path, options).expect("model loads")
    }))
}

fn ask(q: &str) -> LmRequest {
    LmRequest::new(vec![
        Message::system("You are a helpful assistant. Answer briefly."),
        Message::user(q),
    ])
}

#[derive(serde::Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    ids: Vec<u32>,
}

#[test]
fn tokenizer_matches_reference_ids() {
    let Some(lm) = lm() else { return };
    let fixture = include_str!("fixtures/tokenizer_ids.json");
    let fixture: Fixture = serde_json::from_str(fixture).expect("fixture parses");
    let cases: Vec<(String, Vec<u32>)> =
        fixture.cases.into_iter().map(|c| (c.text, c.ids)).collect();
    let results = rt()
        .block_on(lm.with_engine(move |e: &mut Engine| {
            Ok(cases
                .into_iter()
                .map(|(text, want)| {
                    let got = e.tokenizer().encode(&text);
                    (text, want, got)
                })
                .collect::<Vec<_>>())
        }))
        .expect("engine answers");
    for (text, want, got) in results {
        assert_eq!(got, want, "ids differ for {text:?}");
    }
}

#[test]
fn generates_and_counts_usage() {
    let Some(lm) = lm() else { return };
    let r = rt()
        .block_on(lm.call(ask("What is the capital of France?").max_tokens(24)))
        .expect("answers");
    let text = r.first_text().expect("one choice");
    assert!(text.contains("Paris"), "{text:?}");
    assert!(r.usage.prompt_tokens > 10);
    assert!(r.usage.completion_tokens > 0 && r.usage.completion_tokens <= 24);
    assert_eq!(
        r.usage.total_tokens,
        r.usage.prompt_tokens + r.usage.completion_tokens
    );
    assert_eq!(r.model, "local/smollm2-135m");
}

#[test]
fn greedy_and_seeded_sampling_are_repeatable() {
    let Some(lm) = lm() else { return };
    let rt = rt();
    let greedy = || {
        rt.block_on(lm.call(ask("Name three colors.").max_tokens(16)))
            .expect("answers")
    };
    assert_eq!(greedy().choices, greedy().choices);
    let sampled = |seed: u64| {
        rt.block_on(
            lm.call(
                ask("Write a word.")
                    .temperature(1.0)
                    .seed(seed)
                    .max_tokens(12)
                    .n(3),
            ),
        )
        .expect("answers")
    };
    let (a, b) = (sampled(7), sampled(7));
    assert_eq!(a.choices, b.choices);
    assert_eq!(a.choices.len(), 3);
    let texts: Vec<_> = a.choices.iter().map(|c| c.text.clone()).collect();
    let other: Vec<_> = sampled(8).choices.iter().map(|c| c.text.clone()).collect();
    assert_ne!(texts, other, "another seed should change some sample");
}

#[test]
fn stop_sequences_and_max_tokens_end_completions() {
    let Some(lm) = lm() else { return };
    let rt = rt();
    let r = rt
        .block_on(lm.call(ask("Count from 1 to 20, separated by commas.").max_tokens(60)))
        .expect("answers");
    let full = r.first_text().expect("text").to_string();
    assert!(full.contains('5'), "{full:?}");
    let r = rt
        .block_on(
            lm.call(
                ask("Count from 1 to 20, separated by commas.")
                    .max_tokens(60)
                    .stop(vec!["5".into()]),
            ),
        )
        .expect("answers");
    let cut = r.first_text().expect("text");
    assert!(
        !cut.contains('5') && full.starts_with(cut),
        "{cut:?} vs {full:?}"
    );
    assert_eq!(r.choices[0].finish_reason, Some(FinishReason::Stop));
    let r = rt
        .block_on(lm.call(ask("Count from 1 to 20, separated by commas.").max_tokens(3)))
        .expect("answers");
    assert_eq!(r.usage.completion_tokens, 3);
    assert_eq!(r.choices[0].finish_reason, Some(FinishReason::Length));
}

#[test]
fn prefix_reuse_gives_the_same_tokens_as_a_cold_cache() {
    let Some(lm) = lm() else { return };
    let demos = "You answer questions about geography. Examples:\nQ: Capital of Spain?\nA: Madrid\nQ: Capital of Italy?\nA: Rome\nQ: Capital of Japan?\nA: Tokyo\n";
    let msgs = |q: &str| vec![Message::system(demos), Message::user(q)];
    let (a, b) = (msgs("Capital of Germany?"), msgs("Capital of Egypt?"));
    let out = rt()
        .block_on(lm.with_engine(move |e: &mut Engine| {
            let params = GenerateParams {
                max_tokens: 8,
                ..GenerateParams::default()
            };
            e.reset_cache();
            let _ = e.generate(&a, &params)?;
            let warm = e.generate(&b, &params)?;
            e.reset_cache();
            let cold = e.generate(&b, &params)?;
            Ok((warm, cold))
        }))
        .expect("engine answers");
    let (warm, cold) = out;
    assert!(
        warm.stats.reused_tokens > 40,
        "reused {}",
        warm.stats.reused_tokens
    );
    assert_eq!(cold.stats.reused_tokens, 0);
    assert_eq!(warm.completions, cold.completions);
}

#[test]
fn constrained_decoding_starts_with_the_first_output_field() {
    let Some(lm) = lm() else { return };
    let system = "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `answer` (str):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `question`, produce the fields `answer`.";
    let user = "[[ ## question ## ]]\nWhat is the capital of France?\n\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`.";
    let mut request =
        LmRequest::new(vec![Message::system(system), Message::user(user)]).max_tokens(48);
    request.extra.insert(
        "constrain_chat_format".into(),
        serde_json::Value::Bool(true),
    );
    let r = rt().block_on(lm.call(request)).expect("answers");
    let text = r.first_text().expect("text");
    assert!(text.starts_with("[[ ## answer ## ]]\n"), "{text:?}");
}

#[test]
fn many_concurrent_callers_are_all_answered_without_stalling_the_runtime() {
    let Some(lm) = lm() else { return };
    let rt = rt();
    let ticks = Arc::new(AtomicUsize::new(0));
    let answered = rt.block_on(async {
        let t = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(5)).await;
                t.fetch_add(1, Ordering::Relaxed);
            }
        });
        let calls = (0..32).map(|i| {
            let req = ask(&format!("Say the number {i}.")).max_tokens(4);
            async move { lm.call(req).await }
        });
        let results = futures_join_all(calls.collect()).await;
        ticker.abort();
        results
    });
    assert_eq!(answered.len(), 32);
    for r in &answered {
        let r = r.as_ref().expect("every caller answered");
        assert!(r.usage.completion_tokens > 0);
    }
    // 32 calls take well over 100 ms; a runtime stalled by inference would not have ticked.
    assert!(
        ticks.load(Ordering::Relaxed) > 10,
        "runtime ticked {} times",
        ticks.load(Ordering::Relaxed)
    );
}

/// Awaits all futures concurrently (tokio tasks borrowing a 'static LM).
async fn futures_join_all<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

#[test]
fn a_prompt_longer_than_the_context_is_a_typed_error() {
    let Some(lm) = lm() else { return };
    let long = "word ".repeat(3000);
    let e = rt()
        .block_on(lm.call(ask(&long).max_tokens(4)))
        .expect_err("too long");
    assert!(matches!(e, LmError::ContextLength { .. }), "{e}");
}

#[test]
fn default_sampling_is_greedy() {
    assert_eq!(SamplingParams::default().temperature, 0.0);
}

/// Under the chat-format constraint the engine rewrites the completion (headers, cut values);
/// the KV cache must still hold exactly the text the model has seen.
#[test]
fn constrained_rewrites_keep_the_cache_in_step_with_the_text() {
    use dspy_local::guard::ChatFormat;

    let Some(lm) = lm() else { return };
    let system = "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `reasoning` (str):\n2. `answer` (str):\n3. `confidence` (float):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## reasoning ## ]]\n{reasoning}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## confidence ## ]]\n{confidence}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `question`, produce the fields `reasoning`, `answer`, `confidence`.";
    let user = "[[ ## question ## ]]\nWhy is the sky blue?\n\nRespond with the corresponding output fields, starting with the field `[[ ## reasoning ## ]]`, then `[[ ## answer ## ]]`, then `[[ ## confidence ## ]]` (must be formatted as a valid Python float), and then ending with the marker for `[[ ## completed ## ]]`.";
    let messages = vec![Message::system(system), Message::user(user)];
    let format = ChatFormat::from_messages(&messages).expect("a chat-format request");
    assert_eq!(format.fields.len(), 3);
    for max_tokens in [40, 60, 90] {
        let (messages, format) = (messages.clone(), format.clone());
        let (text, prompt, (cached, seen)) = rt()
            .block_on(lm.with_engine(move |e: &mut Engine| {
                let params = GenerateParams {
                    max_tokens,
                    chat_format: Some(format),
                    ..GenerateParams::default()
                };
                let prompt = e.prompt_tokens(&messages)?;
                let out = e.generate(&messages, &params)?;
                let cached = e.cached_tokens().to_vec();
                let seen = e
                    .tokenizer()
                    .decode(cached.get(prompt.len()..).unwrap_or_default());
                let text = out.completions[0].text.clone();
                Ok((text, prompt, (cached, seen)))
            }))
            .expect("engine answers");
        for header in [
            "[[ ## reasoning ## ]]\n",
            "\n\n[[ ## answer ## ]]\n",
            "\n\n[[ ## confidence ## ]]\n",
        ] {
            assert!(
                text.contains(header),
                "{max_tokens}: no {header:?} in {text:?}"
            );
        }
        assert!(
            text.ends_with("\n\n[[ ## completed ## ]]"),
            "{max_tokens}: {text:?}"
        );
        assert_eq!(&cached[..prompt.len()], &prompt[..]);
        assert!(
            text.starts_with(&seen),
            "{max_tokens}: the cache holds {seen:?}, the text is {text:?}"
        );
    }
}

/// `dict[str, Any]` and `list[str]` outputs under the chat-format constraint: valid JSON of
/// their kind, or, for a value cut for want of room, the start of one (serde_json then runs out
/// of input, and finds nothing invalid).
#[test]
fn constrained_json_values_parse_on_the_real_model() {
    use dspy_local::engine::Finish;
    use dspy_local::guard::{ChatFormat, JsonKind};

    let Some(lm) = lm() else { return };
    let system = "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `tool_args` (dict[str, Any]):\n2. `cities` (list[str]):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## tool_args ## ]]\n{tool_args}        # note: the value you produce must adhere to the JSON schema: {\"type\": \"object\", \"additionalProperties\": true}\n\n[[ ## cities ## ]]\n{cities}        # note: the value you produce must adhere to the JSON schema: {\"type\": \"array\", \"items\": {\"type\": \"string\"}}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Give the arguments of the tool `lookup`, which takes arguments {'city': {'type': 'string'}}, and the cities named in the question.";
    let user = "[[ ## question ## ]]\nWhich country is Paris in?\n\nRespond with the corresponding output fields, starting with the field `[[ ## tool_args ## ]]` (must be formatted as a valid Python dict[str, Any]), then `[[ ## cities ## ]]` (must be formatted as a valid Python list[str]), and then ending with the marker for `[[ ## completed ## ]]`.";
    // One demo, as DSPy writes it: the same request for another city, and its answer.
    let demo_user = user.replace("Paris", "Rome");
    let demo = "[[ ## tool_args ## ]]\n{\"city\": \"Rome\"}\n\n[[ ## cities ## ]]\n[\"Rome\"]\n\n[[ ## completed ## ]]";
    let messages = vec![
        Message::system(system),
        Message::user(demo_user),
        Message::assistant(demo),
        Message::user(user),
    ];
    let format = ChatFormat::from_messages(&messages).expect("a chat-format request");
    let kinds: Vec<_> = format.fields.iter().map(|f| f.json).collect();
    assert_eq!(kinds, [Some(JsonKind::Object), Some(JsonKind::Array)]);
    let (text, finish) = rt()
        .block_on(lm.with_engine(move |e: &mut Engine| {
            let params = GenerateParams {
                max_tokens: 128,
                chat_format: Some(format),
                ..GenerateParams::default()
            };
            let c = e.generate(&messages, &params)?.completions.remove(0);
            Ok((c.text, c.finish))
        }))
        .expect("engine answers");
    assert!(text.ends_with("\n\n[[ ## completed ## ]]"), "{text:?}");
    let section = |name: &str| {
        let header = format!("[[ ## {name} ## ]]\n");
        let at = text.find(&header).map(|i| i + header.len());
        let rest = &text[at.unwrap_or_else(|| panic!("no {name} in {text:?}"))..];
        rest[..rest.find("\n\n[[ ## ").unwrap_or(rest.len())].to_string()
    };
    for (value, object) in [(section("tool_args"), true), (section("cities"), false)] {
        match serde_json::from_str::<serde_json::Value>(&value) {
            Ok(parsed) => {
                assert_eq!(parsed.is_object(), object, "{text:?}");
                assert_eq!(parsed.is_array(), !object, "{text:?}");
            }
            Err(e) => assert!(
                e.is_eof() && finish == Finish::Length,
                "{e}: {value:?} in {text:?}"
            ),
        }
    }
}

/// Requests of several kinds: greedy, constrained to DSPy's chat format, with a stop sequence,
/// sampled with `n = 2`.
fn mixed_requests() -> Vec<LmRequest> {
    let mut chat = LmRequest::new(vec![
        Message::system(
            "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `answer` (str):",
        ),
        Message::user(
            "[[ ## question ## ]]\nWhat is the capital of Italy?\n\nRespond with the corresponding \
             output fields, starting with the field `[[ ## answer ## ]]`, and then ending with \
             the marker for `[[ ## completed ## ]]`.",
        ),
    ])
    .max_tokens(32);
    chat.extra.insert(
        "constrain_chat_format".into(),
        serde_json::Value::Bool(true),
    );
    vec![
        ask("What is the capital of France?").max_tokens(20),
        chat,
        ask("Count from one to ten.")
            .max_tokens(24)
            .stop(vec![", five".into()]),
        ask("Write a word.")
            .temperature(1.0)
            .seed(3)
            .n(2)
            .max_tokens(10),
        ask("Who wrote Hamlet? Answer in one long sentence.").max_tokens(40),
    ]
}

#[test]
fn concurrent_calls_get_what_each_gets_alone() {
    let Some(lm) = lm() else { return };
    assert!(lm.options().batch_size > 1, "the default batches");
    let rt = rt();
    let alone: Vec<_> = mixed_requests()
        .into_iter()
        .map(|r| rt.block_on(lm.call(r)).expect("answers").choices)
        .collect();
    let calls = mixed_requests()
        .into_iter()
        .map(|r| async move { lm.call(r).await });
    let together: Vec<_> = rt
        .block_on(futures_join_all(calls.collect()))
        .into_iter()
        .map(|r| r.expect("answers").choices)
        .collect();
    assert_eq!(alone, together);
    assert_eq!(alone[3].len(), 2);
}

#[test]
fn a_batch_of_prompts_runs_side_by_side_with_the_same_answers() {
    let Some(lm) = lm() else { return };
    let params = GenerateParams {
        max_tokens: 16,
        ..GenerateParams::default()
    };
    let prompts: Vec<Vec<Message>> = [
        "Name a fruit.",
        "Name a planet.",
        "Name a river.",
        "Name a tree.",
        "Name a bird.",
    ]
    .iter()
    .map(|q| vec![Message::user(*q)])
    .collect();
    let (alone, together) = rt()
        .block_on(lm.with_engine(move |e: &mut Engine| {
            let alone: Vec<_> = prompts
                .iter()
                .map(|m| e.generate(m, &params))
                .collect::<Result<_, _>>()?;
            let batch = prompts
                .into_iter()
                .map(|m| (Prompt::Messages(m), params.clone()))
                .collect();
            let together: Vec<_> = e
                .generate_batch(batch)
                .into_iter()
                .collect::<Result<_, _>>()?;
            Ok((alone, together))
        }))
        .expect("generates");
    for (a, t) in alone.iter().zip(&together) {
        assert_eq!(a.completions, t.completions);
        assert_eq!(a.stats.batch_peak, 1);
    }
    // Four at once (the LM's batch size), the fifth joining as soon as one ended.
    assert_eq!(together.iter().map(|g| g.stats.batch_peak).max(), Some(4));
}

#[test]
fn a_prompt_prefix_in_another_slot_is_copied_with_the_same_answers() {
    let Some(lm) = lm() else { return };
    let params = GenerateParams {
        max_tokens: 12,
        ..GenerateParams::default()
    };
    let system = "You are a careful assistant. Answer with one word. Examples: \
                  Q: Capital of Spain? A: Madrid. Q: Capital of Japan? A: Tokyo. \
                  Q: Capital of Egypt? A: Cairo. Q: Capital of Peru? A: Lima.";
    let chat = move |q: &str| vec![Message::system(system), Message::user(q)];
    let questions = [
        "Capital of Italy?",
        "Capital of Chile?",
        "Capital of Kenya?",
        "Capital of Norway?",
    ];
    let (shared, alone, together) = rt()
        .block_on(lm.with_engine(move |e: &mut Engine| {
            let (a, b) = (
                e.prompt_tokens(&chat(questions[0]))?,
                e.prompt_tokens(&chat(questions[1]))?,
            );
            let shared = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            let mut alone = Vec::new();
            for q in &questions[1..] {
                e.reset_cache();
                alone.push(e.generate(&chat(q), &params)?);
            }
            // One slot holds the system prompt; the batch's other two find it there.
            e.reset_cache();
            e.generate(&chat(questions[0]), &params)?;
            let batch = questions[1..]
                .iter()
                .map(|q| (Prompt::Messages(chat(q)), params.clone()))
                .collect();
            let together: Vec<_> = e
                .generate_batch(batch)
                .into_iter()
                .collect::<Result<_, _>>()?;
            Ok((shared, alone, together))
        }))
        .expect("generates");
    assert!(
        shared > 40,
        "the prompts share their system message ({shared} tokens)"
    );
    for (a, t) in alone.iter().zip(&together) {
        assert_eq!(a.completions, t.completions);
        assert_eq!(a.stats.reused_tokens, 0, "a cold cache");
        assert!(
            t.stats.reused_tokens >= shared,
            "{} < {shared}",
            t.stats.reused_tokens
        );
    }
}
