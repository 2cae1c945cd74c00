//! `dspy.Tool` inputs and `dspy.ToolCalls` outputs against Python DSPy 3.4.1:
//! `scripts/record_tool_call_fixtures.py` ran `dspy.Predict` over such signatures with each
//! adapter, in text mode and in native function-calling mode, and recorded every call's
//! messages, the `tools` and `response_format` it sent, and the prediction. Replaying the same
//! answers, ours must send the same and return the same.

use std::sync::Arc;

use dspy_core::adapters::IntoAdapter;
use dspy_core::adapters::{
    ChatAdapter, FunctionCalling, JsonAdapter, SharedAdapter, SignatureSpec, Values, XmlAdapter,
};
use dspy_core::lm::{
    BoxFuture, Choice, LanguageModel, LmError, LmRequest, LmResponse, ResponseFormat, ToolCall,
};
use dspy_core::predict::{CallOptions, LmConfig, Predict, StructuredOutput};
use dspy_core::Error;
use dspy_testkit::ScriptedLm;
use serde_json::{json, Value};

const CASES: &[&str] = &[
    "chat-text",
    "xml-text",
    "json-text",
    "json-native",
    "json-native-text-and-calls",
    "json-native-bad-text-with-calls",
    "chat-native",
    "chat-native-text-only",
    "json-native-unsupported",
    "json-native-no-schema",
    "one-tool-native",
    "one-tool-text",
    "calls-without-tools",
];

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/tool_calls/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let value: Value = serde_json::from_str(&text).expect("fixture is JSON");
    assert_eq!(value["dspy_version"], "3.4.1", "{path}");
    value
}

/// The recorded signature, through our string-signature parser (which reads `dspy.Tool`,
/// `list[dspy.Tool]` and `dspy.ToolCalls`).
fn signature(case: &Value) -> SignatureSpec {
    let sig = &case["signature"];
    let fields = |key: &str| -> String {
        let list = sig[key].as_array().expect("fields");
        let parts: Vec<String> = list
            .iter()
            .map(|f| format!("{}: {}", f[0].as_str().unwrap(), f[1].as_str().unwrap()))
            .collect();
        parts.join(", ")
    };
    let text = format!("{} -> {}", fields("inputs"), fields("outputs"));
    let mut spec = SignatureSpec::parse(&text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_instructions(sig["instructions"].as_str().unwrap());
    for (name, desc) in sig["descs"].as_object().expect("descs") {
        let desc = desc.as_str().unwrap().to_string();
        spec = spec.with_updated_field(name, |f| f.desc = Some(desc));
    }
    spec
}

fn adapter(case: &Value) -> SharedAdapter {
    let native = case["native"].as_bool().unwrap();
    match (case["adapter"].as_str().unwrap(), native) {
        ("ChatAdapter", false) => ChatAdapter.into_adapter(),
        ("ChatAdapter", true) => FunctionCalling::native(ChatAdapter).into_adapter(),
        ("JSONAdapter", true) => JsonAdapter.into_adapter(),
        ("JSONAdapter", false) => FunctionCalling::in_text(JsonAdapter).into_adapter(),
        ("XMLAdapter", false) => XmlAdapter.into_adapter(),
        other => panic!("no adapter for {other:?}"),
    }
}

/// The scripted answers as responses: text (`null` is empty) and OpenAI-shaped tool calls.
fn responses(case: &Value) -> Vec<LmResponse> {
    let answers = case["lm_answers"].as_array().expect("answers");
    answers
        .iter()
        .map(|answer| {
            let calls = answer["tool_calls"]
                .as_array()
                .map(|calls| {
                    calls
                        .iter()
                        .map(|c| ToolCall {
                            id: c["id"].as_str().unwrap().to_string(),
                            name: c["function"]["name"].as_str().unwrap().to_string(),
                            args: serde_json::from_str(
                                c["function"]["arguments"].as_str().unwrap(),
                            )
                            .unwrap(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let text = answer["text"].as_str().unwrap_or_default();
            let mut response = LmResponse::text("scripted", "");
            response.choices = vec![Choice::text(text).with_tool_calls(calls)];
            response
        })
        .collect()
}

/// An LM that says it cannot call functions, around another.
#[derive(Debug)]
struct NoFunctionCalling(Arc<ScriptedLm>);

impl LanguageModel for NoFunctionCalling {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        self.0.call(request)
    }
    fn model(&self) -> &str {
        self.0.model()
    }
    fn supports_function_calling(&self) -> bool {
        false
    }
}

/// The request's `tools` and `response_format` as the fixture records DSPy's kwargs.
fn kwargs(request: &LmRequest) -> Value {
    let mut out = serde_json::Map::new();
    match &request.response_format {
        Some(ResponseFormat::JsonObject) => {
            out.insert("response_format".into(), json!({"type": "json_object"}));
        }
        Some(ResponseFormat::JsonSchema { schema, .. }) => {
            out.insert("response_format".into(), json!({"pydantic_schema": schema}));
        }
        Some(other) => panic!("unexpected response format {other:?}"),
        None => {}
    }
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.parameters}})
            })
            .collect();
        out.insert("tools".into(), Value::Array(tools));
    }
    Value::Object(out)
}

async fn replay(name: &str) {
    let case = fixture(name);
    let spec = signature(&case);
    let queue = std::sync::Mutex::new(responses(&case).into_iter());
    let scripted = Arc::new(ScriptedLm::from_response_fn(move |_| {
        let next = queue.lock().unwrap().next();
        next.ok_or_else(|| LmError::config("the script has no more answers"))
    }));
    let lm: Arc<dyn LanguageModel> = if case["lm_supports_function_calling"] == true {
        scripted.clone()
    } else {
        Arc::new(NoFunctionCalling(Arc::clone(&scripted)))
    };
    let structured = if case["lm_supports_response_schema"] == true {
        StructuredOutput::JsonSchema
    } else {
        StructuredOutput::Off
    };
    let mut predict = Predict::new(spec);
    let demos: Vec<dspy_core::example::Example> = case["demos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| dspy_core::example::Example::from(d.as_object().unwrap().clone()))
        .collect();
    predict.set_demos(demos);
    let inputs: Values = case["inputs"].as_object().unwrap().clone();
    let options = CallOptions::default()
        .lm(lm)
        .adapter(adapter(&case))
        .config(LmConfig::default().structured_output(structured));
    let result = predict.call(inputs, options).await;

    let requests = scripted.requests();
    let calls = case["calls"].as_array().unwrap();
    assert_eq!(requests.len(), calls.len(), "{name}: number of LM calls");
    for (i, (request, call)) in requests.iter().zip(calls).enumerate() {
        let messages: Vec<Value> = request
            .messages
            .iter()
            .map(|m| json!({"role": m.role, "content": m.content}))
            .collect();
        let expected = call["messages"].as_array().unwrap();
        assert_eq!(messages.len(), expected.len(), "{name}: call {i}: messages");
        for (j, (ours, theirs)) in messages.iter().zip(expected).enumerate() {
            assert_eq!(
                ours["content"].as_str().unwrap(),
                theirs["content"].as_str().unwrap(),
                "{name}: call {i}: message {j}"
            );
            assert_eq!(
                ours["role"], theirs["role"],
                "{name}: call {i}: message {j}"
            );
        }
        assert_eq!(
            kwargs(request),
            call["kwargs"],
            "{name}: call {i}: tools and format"
        );
    }
    match (&result, case["error"].as_str()) {
        (Ok(prediction), None) => {
            let ours = Value::Object(prediction.values().clone());
            assert_eq!(ours, case["prediction"], "{name}: prediction");
        }
        (Err(Error::FunctionCalling(message)), Some(theirs)) => {
            assert!(theirs.starts_with("ValueError"), "{name}: {theirs}");
            assert!(message.contains("list[dspy.Tool]"), "{name}: {message}");
        }
        (ours, theirs) => panic!("{name}: ours {ours:?}, DSPy's {theirs:?}"),
    }
}

#[tokio::test]
async fn every_recorded_case_matches_dspy() {
    for name in CASES {
        replay(name).await;
    }
}

#[test]
fn every_fixture_is_replayed() {
    let dir = format!("{}/tests/fixtures/tool_calls", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .replace(".json", "")
        })
        .collect();
    names.sort();
    let mut cases: Vec<&str> = CASES.to_vec();
    cases.sort();
    assert_eq!(names, cases);
}
