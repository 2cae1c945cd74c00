//! The chat-format guard (`dspy_local::guard`) as the engine drives it, on a scripted logits
//! source instead of the model file: a tiny GGUF written here, a llama with no transformer
//! blocks, so the logits after a token depend on that token only. Its embedding is the identity
//! and its output head a table of "which token follows which, in what order of preference",
//! so with greedy sampling the engine's choices are scripted exactly, and the guard's masks and
//! rewrites are what changes them.
//!
//! The vocabulary: the 256 byte symbols of a GPT-2 byte-level BPE (no merges, so text the
//! engine writes itself, like headers, is one token per byte), `<|im_end|>` (end of turn), a
//! few scripted word tokens, and padding.

use std::path::PathBuf;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use dspy_local::engine::{Engine, Finish, GenerateParams, Prompt, Request};
use dspy_local::guard::{ChatFormat, JsonKind, OutputField};

/// Vocabulary size (and hidden size: the embedding is the identity).
const VOCAB: usize = 512;
const EOS: &str = "<|im_end|>";

/// GPT-2's byte to printable-character table (the byte-level BPE symbol of each byte).
fn byte_symbols() -> Vec<char> {
    let mut extra = 0u32;
    (0..=255u8)
        .map(|b| {
            if matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF) {
                char::from(b)
            } else {
                extra += 1;
                char::from_u32(255 + extra).unwrap()
            }
        })
        .collect()
}

/// A token of the scripted vocabulary.
#[derive(Clone, Copy)]
enum Tok {
    Byte(u8),
    Eos,
    Word(&'static str),
}

/// The vocabulary and the successor table of one scripted model.
struct Script {
    words: Vec<&'static str>,
    /// `(token, successors from most to least preferred)`.
    next: Vec<(Tok, Vec<Tok>)>,
}

impl Script {
    fn id(&self, tok: Tok) -> usize {
        match tok {
            Tok::Byte(b) => b as usize,
            Tok::Eos => 256,
            Tok::Word(w) => {
                257 + self
                    .words
                    .iter()
                    .position(|x| *x == w)
                    .expect("a scripted word")
            }
        }
    }

    /// Writes the model as a GGUF file and loads it.
    fn engine(&self, name: &str) -> Engine {
        let symbols = byte_symbols();
        let mut tokens: Vec<String> = symbols.iter().map(|c| c.to_string()).collect();
        tokens.push(EOS.to_string());
        for w in &self.words {
            tokens.push(w.bytes().map(|b| symbols[b as usize]).collect());
        }
        while tokens.len() < VOCAB {
            tokens.push(format!("<pad{}>", tokens.len()));
        }
        let mut types = vec![1i32; VOCAB];
        types[256] = 3; // control

        // logits[j] after token i = head[j][i] (times the RMS norm's constant scale).
        let mut head = vec![0f32; VOCAB * VOCAB];
        for (tok, successors) in &self.next {
            let i = self.id(*tok);
            for (rank, s) in successors.iter().enumerate() {
                head[self.id(*s) * VOCAB + i] = 1.0 / (rank + 1) as f32;
            }
        }
        let identity: Vec<f32> = (0..VOCAB * VOCAB)
            .map(|k| if k / VOCAB == k % VOCAB { 1.0 } else { 0.0 })
            .collect();
        let q = |data: Vec<f32>, shape: &[usize]| {
            let t = Tensor::from_vec(data, shape, &Device::Cpu).unwrap();
            QTensor::quantize(&t, GgmlDType::F32).unwrap()
        };
        let embd = q(identity, &[VOCAB, VOCAB]);
        let norm = q(vec![1.0; VOCAB], &[VOCAB]);
        let output = q(head, &[VOCAB, VOCAB]);

        let strings = |v: &[String]| Value::Array(v.iter().cloned().map(Value::String).collect());
        let meta: Vec<(&str, Value)> = vec![
            ("general.architecture", Value::String("llama".into())),
            ("llama.embedding_length", Value::U32(VOCAB as u32)),
            ("llama.attention.head_count", Value::U32(1)),
            ("llama.attention.head_count_kv", Value::U32(1)),
            ("llama.block_count", Value::U32(0)),
            ("llama.context_length", Value::U32(512)),
            ("llama.feed_forward_length", Value::U32(4)),
            ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-6)),
            ("llama.rope.freq_base", Value::F32(10_000.0)),
            ("tokenizer.ggml.model", Value::String("gpt2".into())),
            ("tokenizer.ggml.tokens", strings(&tokens)),
            (
                "tokenizer.ggml.token_type",
                Value::Array(types.into_iter().map(Value::I32).collect()),
            ),
            ("tokenizer.ggml.merges", Value::Array(Vec::new())),
            ("tokenizer.ggml.eos_token_id", Value::U32(256)),
        ];
        let meta: Vec<(&str, &Value)> = meta.iter().map(|(k, v)| (*k, v)).collect();
        let tensors = [
            ("token_embd.weight", &embd),
            ("output_norm.weight", &norm),
            ("output.weight", &output),
        ];
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("guard-{name}.gguf"));
        let mut file = std::fs::File::create(&path).unwrap();
        gguf_file::write(&mut file, &meta, &tensors).unwrap();
        drop(file);
        let engine = Engine::load(&path, 512, None).unwrap();
        std::fs::remove_file(&path).ok();
        engine
    }
}

fn format(fields: &[(&str, bool)]) -> ChatFormat {
    ChatFormat {
        fields: fields
            .iter()
            .map(|(name, plain)| OutputField {
                name: name.to_string(),
                plain: *plain,
                literal: None,
                json: None,
            })
            .collect(),
    }
}

/// The prompt: one token (`?`); the logits that matter follow the forced header.
const PROMPT: [u32; 1] = [b'?' as u32];

fn guarded(fields: &[(&str, bool)], max_tokens: usize) -> GenerateParams {
    GenerateParams {
        max_tokens,
        chat_format: Some(format(fields)),
        ..GenerateParams::default()
    }
}

/// The same request without the guard: only the first header forced, as a prefix.
fn unguarded(first_field: &str, max_tokens: usize) -> GenerateParams {
    GenerateParams {
        max_tokens,
        forced_prefix: Some(format!("[[ ## {first_field} ## ]]\n")),
        ..GenerateParams::default()
    }
}

fn run(engine: &mut Engine, params: &GenerateParams) -> (String, Finish) {
    let generation = engine.generate_tokens(&PROMPT, params).unwrap();
    let c = &generation.completions[0];
    (c.text.clone(), c.finish)
}

/// At a value's start the model prefers, in order: ending its turn, a list literal, a copied
/// `{answer}` placeholder, and `Paris`; after any of them it ends its turn.
fn openings() -> Script {
    let words = vec!["[\"a\"]", "{answer}", "Paris"];
    let successors = vec![
        Tok::Eos,
        Tok::Word("[\"a\"]"),
        Tok::Word("{answer}"),
        Tok::Word("Paris"),
    ];
    let mut next = vec![(Tok::Byte(b'\n'), successors)];
    for w in &words {
        next.push((Tok::Word(w), vec![Tok::Eos]));
    }
    Script { words, next }
}

#[test]
fn a_plain_value_cannot_open_with_end_of_turn_a_brace_or_a_bracket() {
    let mut engine = openings().engine("openings");
    // The model's own choice: end the turn right after the header.
    assert_eq!(
        run(&mut engine, &unguarded("answer", 32)),
        ("[[ ## answer ## ]]\n".to_string(), Finish::Stop)
    );
    // `str`: end of turn, `[..` and `{..` are masked at the value's start; `Paris` is left,
    // and the end of turn after it closes the structure.
    assert_eq!(
        run(&mut engine, &guarded(&[("answer", true)], 32)),
        (
            "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]".to_string(),
            Finish::Stop
        )
    );
    // `list[str]`: only the end of turn is masked; the list literal is kept.
    assert_eq!(
        run(&mut engine, &guarded(&[("answer", false)], 32)),
        (
            "[[ ## answer ## ]]\n[\"a\"]\n\n[[ ## completed ## ]]".to_string(),
            Finish::Stop
        )
    );
}

#[test]
fn the_end_of_turn_after_a_value_opens_the_next_field() {
    let mut engine = openings().engine("next-field");
    let (text, finish) = run(
        &mut engine,
        &guarded(&[("reasoning", true), ("answer", true)], 64),
    );
    assert_eq!(
        text,
        "[[ ## reasoning ## ]]\nParis\n\n[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"
    );
    assert_eq!(finish, Finish::Stop);
}

/// After a value's first word the model writes a header of its own inside the line:
/// `Because [[ ## ...`.
fn inline_header() -> Script {
    let words = vec!["Because", " [[", " ##"];
    let next = vec![
        (Tok::Byte(b'\n'), vec![Tok::Word("Because")]),
        (Tok::Word("Because"), vec![Tok::Word(" [[")]),
        (Tok::Word(" [["), vec![Tok::Word(" ##")]),
        (Tok::Word(" ##"), vec![Tok::Eos]),
    ];
    Script { words, next }
}

#[test]
fn a_header_the_model_starts_becomes_the_expected_one() {
    let script = inline_header();
    let mut engine = script.engine("inline-header");
    assert_eq!(
        run(&mut engine, &unguarded("reasoning", 64)),
        (
            "[[ ## reasoning ## ]]\nBecause [[ ##".to_string(),
            Finish::Stop
        )
    );
    let (text, finish) = run(
        &mut engine,
        &guarded(&[("reasoning", true), ("answer", true)], 64),
    );
    assert_eq!(
        text,
        "[[ ## reasoning ## ]]\nBecause\n\n[[ ## answer ## ]]\nBecause\n\n[[ ## completed ## ]]"
    );
    assert_eq!(finish, Finish::Stop);

    // The model's context (the KV cache) is the text as rewritten: ` [[` went with the
    // rewrite; at the end the cache holds what the model last ran, the final ` [[` included
    // (the completed marker is written, not run).
    let bytes = |s: &str| s.bytes().map(u32::from).collect::<Vec<u32>>();
    let word = |w: &'static str| script.id(Tok::Word(w)) as u32;
    let mut expected = PROMPT.to_vec();
    expected.extend(bytes("[[ ## reasoning ## ]]\n"));
    expected.push(word("Because"));
    expected.extend(bytes("\n\n[[ ## answer ## ]]\n"));
    expected.extend([word("Because"), word(" [[")]);
    assert_eq!(engine.cached_tokens(), expected.as_slice());
}

/// The model never ends a value: `la la la ...`.
fn endless() -> Script {
    let next = vec![
        (Tok::Byte(b'\n'), vec![Tok::Word("la")]),
        (Tok::Word("la"), vec![Tok::Word("la")]),
    ];
    Script {
        words: vec!["la"],
        next,
    }
}

#[test]
fn a_value_that_would_leave_no_room_for_the_rest_is_cut() {
    let mut engine = endless().engine("endless");
    let max_tokens = 60;
    // Unguarded, the first value takes every token left.
    let header = "[[ ## reasoning ## ]]\n";
    let (text, finish) = run(&mut engine, &unguarded("reasoning", max_tokens));
    assert_eq!(
        text,
        format!("{header}{}", "la".repeat(max_tokens - header.len()))
    );
    assert_eq!(finish, Finish::Length);

    // Guarded, each value is cut while there is room for the headers still to come, so the
    // completion keeps its structure; running out of room is still reported as `length`.
    let generation = engine
        .generate_tokens(
            &PROMPT,
            &guarded(&[("reasoning", true), ("answer", true)], max_tokens),
        )
        .unwrap();
    let c = &generation.completions[0];
    assert_eq!(c.finish, Finish::Length);
    let rest = c.text.strip_prefix(header).expect("the first header");
    let (first, rest) = rest
        .split_once("\n\n[[ ## answer ## ]]\n")
        .expect("the second header");
    let second = rest
        .strip_suffix("\n\n[[ ## completed ## ]]")
        .expect("the completed marker");
    for value in [first, second] {
        assert!(
            !value.is_empty() && value.len() % 2 == 0 && value == "la".repeat(value.len() / 2),
            "{value:?}"
        );
    }
    // Every sampled token is a `la` of a value, each value cut before the budget ran out.
    assert_eq!(
        generation.stats.sampled_tokens,
        (first.len() + second.len()) / 2
    );
    assert!(header.len() + first.len() / 2 < max_tokens);
}

/// For a tool's name the model prefers ending its turn, then `Finish` (not a member), then
/// `fin`; after `fin` it prefers `ishing` to `ish`.
fn tool_names() -> Script {
    let words = vec!["Finish", "fin", "ishing", "ish"];
    let next = vec![
        (
            Tok::Byte(b'\n'),
            vec![Tok::Eos, Tok::Word("Finish"), Tok::Word("fin")],
        ),
        (Tok::Word("Finish"), vec![Tok::Eos]),
        (
            Tok::Word("fin"),
            vec![Tok::Word("ishing"), Tok::Word("ish")],
        ),
        (Tok::Word("ishing"), vec![Tok::Eos]),
        (Tok::Word("ish"), vec![Tok::Word("ishing")]),
    ];
    Script { words, next }
}

/// `next_tool_name: Literal['lookup', 'calculate', 'finish']`, then a plain `answer`.
fn literal_format(with_answer: bool) -> GenerateParams {
    let mut fields = vec![OutputField {
        name: "next_tool_name".into(),
        plain: true,
        literal: Some(vec!["lookup".into(), "calculate".into(), "finish".into()]),
        json: None,
    }];
    if with_answer {
        fields.push(OutputField {
            name: "answer".into(),
            plain: true,
            literal: None,
            json: None,
        });
    }
    GenerateParams {
        max_tokens: 96,
        chat_format: Some(ChatFormat { fields }),
        ..GenerateParams::default()
    }
}

#[test]
fn a_literal_value_is_exactly_one_member() {
    let mut engine = tool_names().engine("literal");
    // As a plain value only: `Finish`, which DSPy's exact match rejects.
    assert_eq!(
        run(&mut engine, &guarded(&[("next_tool_name", true)], 96)),
        (
            "[[ ## next_tool_name ## ]]\nFinish\n\n[[ ## completed ## ]]".to_string(),
            Finish::Stop
        )
    );
    // As a `Literal`: `Finish` and `ishing` are masked, and the whole member `finish` ends
    // the value at once (the model would go on with `ishing`).
    assert_eq!(
        run(&mut engine, &literal_format(false)),
        (
            "[[ ## next_tool_name ## ]]\nfinish\n\n[[ ## completed ## ]]".to_string(),
            Finish::Stop
        )
    );
    // Not the last field: the next header follows the member, and the next value is free.
    assert_eq!(
        run(&mut engine, &literal_format(true)),
        (
            "[[ ## next_tool_name ## ]]\nfinish\n\n[[ ## answer ## ]]\nFinish\n\n[[ ## completed ## ]]"
                .to_string(),
            Finish::Stop
        )
    );
}

/// For a tool's arguments the model prefers, in order: ending its turn, the copied
/// `{country_facts}` placeholder (`{`, `country`, `_facts`, `}`) and, only as a later choice
/// at some steps, the tokens of `{"country": "France"}`; after that it would go on with `}}`.
fn tool_args() -> Script {
    let words = vec!["country", "_facts", "\"country", "\": ", "\"France\"", "}}"];
    let (b, w) = (Tok::Byte, Tok::Word);
    let next = vec![
        (b(b'\n'), vec![Tok::Eos, b(b'{')]),
        (b(b'{'), vec![w("country"), w("\"country")]),
        (w("country"), vec![w("_facts")]),
        (w("_facts"), vec![b(b'}')]),
        (b(b'}'), vec![Tok::Eos]),
        (w("\"country"), vec![w("\": ")]),
        (w("\": "), vec![w("country"), w("\"France\"")]),
        (w("\"France\""), vec![w("}}"), b(b'}')]),
        (w("}}"), vec![Tok::Eos]),
    ];
    Script { words, next }
}

#[test]
fn a_json_value_is_valid_json_of_its_kind() {
    let mut engine = tool_args().engine("json");
    // Unconstrained (a `dict` value's opening only forbids the end of the turn): the
    // placeholder, which no JSON parser reads.
    assert_eq!(
        run(&mut engine, &guarded(&[("next_tool_args", false)], 96)),
        (
            "[[ ## next_tool_args ## ]]\n{country_facts}\n\n[[ ## completed ## ]]".to_string(),
            Finish::Stop
        )
    );
    // As JSON: `country` after `{` and as a value, and `}}` are masked, and the `}` closing
    // the object ends the value at once (the model would end its turn after it). The next
    // field is unconstrained again.
    let mut format = format(&[("next_tool_args", false), ("answer", false)]);
    format.fields[0].json = Some(JsonKind::Object);
    let params = GenerateParams {
        max_tokens: 96,
        chat_format: Some(format),
        ..GenerateParams::default()
    };
    let (text, finish) = run(&mut engine, &params);
    assert_eq!(
        text,
        "[[ ## next_tool_args ## ]]\n{\"country\": \"France\"}\n\n[[ ## answer ## ]]\n{country_facts}\n\n[[ ## completed ## ]]"
    );
    assert_eq!(finish, Finish::Stop);
    let value = text
        .split("\n\n")
        .next()
        .and_then(|s| s.strip_prefix("[[ ## next_tool_args ## ]]\n"))
        .expect("the value");
    let parsed: serde_json::Value = serde_json::from_str(value).expect("valid JSON");
    assert_eq!(parsed["country"], "France");
}

/// The inline-header script with a sampled branch: after `Because` the model may also end its
/// turn, so seeded sampling has a choice to make.
fn branching() -> Script {
    let words = vec!["Because", " [[", " ##"];
    let next = vec![
        (Tok::Byte(b'\n'), vec![Tok::Word("Because")]),
        (Tok::Word("Because"), vec![Tok::Word(" [["), Tok::Eos]),
        (Tok::Word(" [["), vec![Tok::Word(" ##")]),
        (Tok::Word(" ##"), vec![Tok::Eos]),
    ];
    Script { words, next }
}

#[test]
fn a_batch_gives_every_request_what_it_gets_alone() {
    let two = [("reasoning", true), ("answer", true)];
    // Hot enough that the scripted logits (about 22 and 11 against 0) leave a choice.
    let mut sampled = guarded(&two, 40);
    sampled.n = 3;
    sampled.sampling.temperature = 3.0;
    sampled.sampling.seed = 9;
    let mut stopped = unguarded("reasoning", 64);
    stopped.stop = vec![" ##".into()];
    let long = Prompt::Tokens(vec![b'?' as u32; 600]);
    let prompt = Prompt::Tokens(PROMPT.to_vec());
    // Rewrites (two fields), a budget cut, sampling with n = 3, a stop sequence, a prompt
    // past the context (an error of its own), and an empty prompt.
    let requests = vec![
        (prompt.clone(), guarded(&two, 64)),
        (prompt.clone(), guarded(&two, 30)),
        (prompt.clone(), sampled),
        (long, guarded(&two, 64)),
        (prompt.clone(), stopped),
        (Prompt::Tokens(Vec::new()), GenerateParams::default()),
        (prompt, unguarded("reasoning", 64)),
    ];
    let mut engine = branching().engine("batch");
    let alone: Vec<_> = requests
        .iter()
        .map(|(prompt, params)| match prompt {
            Prompt::Tokens(t) => engine.generate_tokens(t, params),
            Prompt::Messages(_) => unreachable!(),
        })
        .collect();
    engine.reset_cache();
    engine.set_batch_size(3);
    let together = engine.generate_batch(requests);
    assert_eq!(together.len(), alone.len());
    let mut peak = 0;
    for (i, (a, t)) in alone.iter().zip(&together).enumerate() {
        match (a, t) {
            (Ok(a), Ok(t)) => {
                assert_eq!(a.completions, t.completions, "request {i}");
                assert_eq!(a.stats.prompt_tokens, t.stats.prompt_tokens);
                assert_eq!(a.stats.sampled_tokens, t.stats.sampled_tokens);
                assert_eq!(a.stats.batch_peak, 1);
                peak = peak.max(t.stats.batch_peak);
            }
            (Err(a), Err(t)) => assert_eq!(a.to_string(), t.to_string(), "request {i}"),
            _ => panic!("request {i}: alone {a:?}, batched {t:?}"),
        }
    }
    assert_eq!(peak, 3, "three sequences shared forward passes");
    // The requests exercised what they were meant to (so the comparison means something).
    let texts = |i: usize| -> Vec<String> {
        alone[i]
            .as_ref()
            .unwrap()
            .completions
            .iter()
            .map(|c| c.text.clone())
            .collect()
    };
    assert!(texts(0)[0].contains("[[ ## answer ## ]]"), "{:?}", texts(0));
    assert_eq!(
        alone[1].as_ref().unwrap().completions[0].finish,
        Finish::Length
    );
    let sampled = texts(2);
    assert!(sampled.iter().any(|t| t != &sampled[0]), "{sampled:?}");
    assert!(alone[3].is_err() && alone[5].is_err());
    assert_eq!(texts(4)[0], "[[ ## reasoning ## ]]\nBecause [[");
}

#[test]
fn requests_that_arrive_while_a_batch_runs_join_it() {
    // `la la la ...` until `max_tokens`: sequences that run as long as they are told.
    let mut engine = endless().engine("continuous");
    engine.set_batch_size(3);
    let long = unguarded("reasoning", 40);
    let short = unguarded("reasoning", 26);
    let prompt = || Prompt::Tokens(PROMPT.to_vec());
    // The queue: request 0; then nothing for a while (the queue is empty for a moment);
    // then 1 and 2, then 3 (which waits for a free slot), then a request its caller
    // abandons, then nothing.
    let mut calls = 0;
    let mut next = || {
        calls += 1;
        let (tag, params) = match calls {
            1 => (0, long.clone()),
            2..=5 => return None,
            6 => (1, short.clone()),
            7 => (2, short.clone()),
            8 => (3, short.clone()),
            9 => (4, long.clone()),
            _ => return None,
        };
        Some(Request {
            prompt: prompt(),
            params,
            tag,
        })
    };
    let mut results = Vec::new();
    engine.serve(
        &mut next,
        &mut |tag, r| results.push((tag, r.expect("generates"))),
        &|&tag| tag != 4,
    );
    let order: Vec<usize> = results.iter().map(|(t, _)| *t).collect();
    // 0 samples 18 tokens, the others 4 (after a 22-token header). 1 and 2 joined 0 after
    // its first steps and ended first; 3 and 4 took their slots; 4 ran one step, then was
    // dropped unanswered; 3 ended before 0.
    assert_eq!(order, vec![1, 2, 3, 0], "{order:?}");
    let peak = |tag: usize| {
        results
            .iter()
            .find(|(t, _)| *t == tag)
            .unwrap()
            .1
            .stats
            .batch_peak
    };
    assert_eq!(peak(0), 3, "1 and 2 joined 0 while it ran");
    assert_eq!(peak(3), 3, "3 and 4 joined 0 in the freed slots");
    for (_, g) in &results {
        assert_eq!(g.completions[0].finish, Finish::Length);
    }
    // Every request got exactly what it gets alone.
    for (tag, g) in &results {
        let params = if *tag == 0 { &long } else { &short };
        let alone = engine.generate_tokens(&PROMPT, params).unwrap();
        assert_eq!(alone.completions, g.completions, "request {tag}");
    }
}
