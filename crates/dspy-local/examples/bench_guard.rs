//! Speed of constrained decoding: generated tokens/s of DSPy chat-format requests with
//! structured outputs (a ReAct step with `Literal` and `dict[str, Any]` fields, a `list[str]`
//! answer zero-shot and with one demo), with the chat-format guard on and off.
//!
//! `cargo run --release -p dspy-local --example bench_guard -- [--reps 3]`
//! (set `RAYON_NUM_THREADS` to the free cores). Decode tokens/s is the sampled tokens over the
//! decode time (one forward, the guard's masks and sampling per token), best of `--reps`.

use std::time::Duration;

use dspy_adapters::Message;
use dspy_local::engine::{Engine, GenerateParams};
use dspy_local::guard::ChatFormat;

const REACT_SYSTEM: &str = "Your input fields are:\n1. `question` (str): \n2. `trajectory` (str):\nYour output fields are:\n1. `next_thought` (str): \n2. `next_tool_name` (Literal['country_facts', 'calculate', 'finish']): \n3. `next_tool_args` (dict[str, Any]):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## trajectory ## ]]\n{trajectory}\n\n[[ ## next_thought ## ]]\n{next_thought}\n\n[[ ## next_tool_name ## ]]\n{next_tool_name}        # note: the value you produce must exactly match (no extra characters) one of: country_facts; calculate; finish\n\n[[ ## next_tool_args ## ]]\n{next_tool_args}        # note: the value you produce must adhere to the JSON schema: {\"type\": \"object\", \"additionalProperties\": true}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Answer questions about countries; use the tools for facts and arithmetic.\n        \n        You are an Agent. In each episode, you will be given the fields `question` as input. And you can see your past trajectory so far.\n        Your goal is to use one or more of the supplied tools to collect any necessary information for producing `answer`.\n        \n        To do this, you will interleave next_thought, next_tool_name, and next_tool_args in each turn, and also when finishing the task.\n        After each tool call, you receive a resulting observation, which gets appended to your trajectory.\n        \n        When writing next_thought, you may reason about the current situation and plan for future steps.\n        When selecting the next_tool_name and its next_tool_args, the tool must be one of:\n        \n        (1) country_facts, whose description is <desc>Look up a country's capital and population (in millions) in a small table.</desc>. It takes arguments {'country': {'type': 'string'}}.\n        (2) calculate, whose description is <desc>Compute `a op b`, where op is one of + - * /.</desc>. It takes arguments {'a': {'type': 'number'}, 'op': {'type': 'string'}, 'b': {'type': 'number'}}.\n        (3) finish, whose description is <desc>Marks the task as complete. That is, signals that all information for producing the outputs, i.e. `answer`, are now available to be extracted.</desc>. It takes arguments {}.\n        When providing `next_tool_args`, the value inside the field must be in JSON format";
const REACT_USER: &str = "[[ ## question ## ]]\nHow many people, in millions, live in France and Germany together?\n\n[[ ## trajectory ## ]]\n\n\nRespond with the corresponding output fields, starting with the field `[[ ## next_thought ## ]]`, then `[[ ## next_tool_name ## ]]` (must be formatted as a valid Python Literal['country_facts', 'calculate', 'finish']), then `[[ ## next_tool_args ## ]]` (must be formatted as a valid Python dict[str, Any]), and then ending with the marker for `[[ ## completed ## ]]`.";

const LIST_SYSTEM: &str = "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `answer` (list[str]):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## answer ## ]]\n{answer}        # note: the value you produce must adhere to the JSON schema: {\"type\": \"array\", \"items\": {\"type\": \"string\"}}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `question`, produce the fields `answer`.";
const LIST_USER: &str = "[[ ## question ## ]]\nName ten countries in Europe.\n\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]` (must be formatted as a valid Python list[str]), and then ending with the marker for `[[ ## completed ## ]]`.";

fn main() {
    let reps: usize = std::env::args()
        .skip_while(|a| a != "--reps")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let path = match dspy_local::resolve_model(dspy_local::DEFAULT_MODEL) {
        Ok(p) if p.is_file() => p,
        _ => {
            eprintln!("bench_guard: no model; run `{}`", dspy_local::FETCH_COMMAND);
            std::process::exit(1);
        }
    };
    let mut engine = Engine::load(&path, 2048, None).expect("the model loads");
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default".into());
    println!("model: {}  threads: {threads}", path.display());
    let demo_user = LIST_USER.replace("ten countries in Europe", "three countries in Asia");
    let demo = "[[ ## answer ## ]]\n[\"Japan\", \"China\", \"India\"]\n\n[[ ## completed ## ]]";
    let cases = [
        (
            "react step",
            vec![Message::system(REACT_SYSTEM), Message::user(REACT_USER)],
        ),
        (
            "list[str]",
            vec![Message::system(LIST_SYSTEM), Message::user(LIST_USER)],
        ),
        (
            "list, demo",
            vec![
                Message::system(LIST_SYSTEM),
                Message::user(demo_user),
                Message::assistant(demo),
                Message::user(LIST_USER),
            ],
        ),
    ];
    for (name, messages) in cases {
        let format = ChatFormat::from_messages(&messages).expect("a chat-format request");
        let first = format.fields[0].name.clone();
        for guarded in [false, true] {
            let params = GenerateParams {
                max_tokens: 160,
                chat_format: guarded.then(|| format.clone()),
                forced_prefix: (!guarded).then(|| format!("[[ ## {first} ## ]]\n")),
                ..GenerateParams::default()
            };
            let (mut best, mut text, mut tokens) = (0f64, String::new(), 0);
            for _ in 0..reps.max(1) {
                // Empty cache each time: the same prefill, then the decode that is timed.
                engine.reset_cache();
                let out = engine.generate(&messages, &params).expect("generation");
                let s = &out.stats;
                let secs = s.decode_time.max(Duration::from_nanos(1)).as_secs_f64();
                best = best.max(s.sampled_tokens as f64 / secs);
                tokens = s.sampled_tokens;
                text = out.completions[0].text.clone();
            }
            println!(
                "{name:<10}  guard {:<3}  sampled {tokens:>3}  decode {best:6.1} tok/s  {text:?}",
                if guarded { "on" } else { "off" }
            );
        }
    }
}
