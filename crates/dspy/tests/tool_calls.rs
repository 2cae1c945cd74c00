//! Typed signatures with tools: a `Vec<Tool>` input is `list[dspy.Tool]`, a `ToolCalls`
//! output is `dspy.ToolCalls`; the JSON adapter sends the tools natively and reads the LM's tool
//! calls, the Chat adapter lists the tools in the prompt and reads the calls from the text.

use std::sync::Arc;

use dspy::core::lm::{Choice, LmResponse, SharedLm, ToolCall as LmToolCall};
use dspy::prelude::*;
use dspy_testkit::ScriptedLm;
use serde_json::json;

/// Answer the question, calling tools when they help.
#[derive(Signature)]
struct AskWithTools {
    #[input]
    question: String,
    #[input]
    tools: Vec<Tool>,
    #[output]
    answer: Option<String>,
    #[output]
    tool_calls: ToolCalls,
}

#[derive(serde::Deserialize, dspy::schemars::JsonSchema)]
#[schemars(crate = "dspy::schemars")]
struct CityArgs {
    city: String,
}

fn tools() -> Vec<Tool> {
    let weather = Tool::from_fn(
        "weather",
        "Current weather in a city.",
        |args: CityArgs| async move {
            Ok::<_, std::convert::Infallible>(format!("sunny in {}", args.city))
        },
    );
    vec![weather]
}

fn input() -> AskWithToolsInput {
    AskWithToolsInput {
        question: "Weather in Paris?".into(),
        tools: tools(),
    }
}

#[test]
fn rust_types_are_dspy_tool_types() {
    let spec = <AskWithTools as Signature>::spec();
    let ty = |name: &str| spec.field(name).expect("field").1.ty.dspy_name();
    assert_eq!(ty("tools"), "list[Tool]");
    assert_eq!(ty("tool_calls"), "ToolCalls");
}

#[tokio::test]
async fn json_adapter_calls_tools_natively() {
    let lm = Arc::new(ScriptedLm::from_response_fn(|_| {
        let call = LmToolCall {
            id: "call_1".into(),
            name: "weather".into(),
            args: json!({"city": "Paris"}),
        };
        let mut response = LmResponse::text("scripted", "");
        response.choices = vec![Choice::text("").with_tool_calls(vec![call])];
        Ok(response)
    }));
    let shared: SharedLm = lm.clone();
    let ask = Predict::<AskWithTools>::new()
        .with_lm(shared)
        .with_adapter(AdapterKind::Json);
    let out = ask.forward(input()).await.expect("prediction");

    let calls = out.tool_calls;
    assert_eq!(calls.tool_calls.len(), 1);
    assert_eq!(calls.tool_calls[0].id.as_deref(), Some("call_1"));
    assert_eq!(out.answer, None);
    let result = Tool::execute(&tools(), &calls.tool_calls[0]).await.unwrap();
    assert_eq!(result, json!("sunny in Paris"));

    let request = lm.last_request().expect("a request");
    assert_eq!(request.tools.len(), 1);
    assert_eq!(request.tools[0].name, "weather");
    assert_eq!(request.tools[0].parameters["required"], json!(["city"]));
    let prompt = &request.messages[0].content;
    assert!(
        !prompt.contains("`tools`") && !prompt.contains("`tool_calls`"),
        "native mode keeps both fields out of the prompt: {prompt}"
    );
}

#[tokio::test]
async fn chat_adapter_reads_calls_from_text() {
    let lm = Arc::new(ScriptedLm::new([
        "[[ ## answer ## ]]\nLooking.\n\n[[ ## tool_calls ## ]]\n\
         {\"tool_calls\": [{\"name\": \"weather\", \"arguments\": \"{\\\"city\\\": \\\"Oslo\\\"}\"}]}\n\n\
         [[ ## completed ## ]]",
    ]));
    let shared: SharedLm = lm.clone();
    let ask = Predict::<AskWithTools>::new().with_lm(shared);
    let out = ask.forward(input()).await.expect("prediction");

    let calls = out.tool_calls;
    assert_eq!(calls.tool_calls[0].name, "weather");
    assert_eq!(calls.tool_calls[0].args["city"], "Oslo");
    assert_eq!(calls.tool_calls[0].id, None);
    let request = lm.last_request().expect("a request");
    assert!(request.tools.is_empty());
    assert!(request.messages[1]
        .content
        .contains("weather, whose description is <desc>Current weather in a city.</desc>."));
}

#[tokio::test]
async fn malformed_calls_in_text_are_a_parse_error() {
    let lm: SharedLm = Arc::new(ScriptedLm::new([
        "{\"answer\": \"x\", \"tool_calls\": \"weather(Paris)\"}",
    ]));
    let ask = Predict::<AskWithTools>::new()
        .with_lm(lm)
        .with_adapter(FunctionCalling::in_text(JsonAdapter));
    let Err(err) = ask.forward(input()).await else {
        panic!("malformed tool calls parsed");
    };
    assert!(matches!(err, Error::Parse(_)), "{err}");
    assert!(err.to_string().contains("dspy.ToolCalls"), "{err}");
}

#[tokio::test]
async fn a_tool_read_from_data_describes_but_does_not_run() {
    let tool: Tool = serde_json::from_value(json!({
        "name": "weather", "desc": "Weather.", "args": {"city": {"type": "string"}}}))
    .unwrap();
    assert_eq!(
        tool.to_string(),
        "weather, whose description is <desc>Weather.</desc>. It takes arguments {'city': {'type': 'string'}}."
    );
    let call: ToolCalls = serde_json::from_value(
        json!({"tool_calls": [{"name": "weather", "args": {"city": "Rome"}}]}),
    )
    .unwrap();
    let err = Tool::execute(&[tool], &call.tool_calls[0])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has no function"), "{err}");
    assert!(serde_json::from_value::<Tool>(json!({"desc": "no name"})).is_err());
}

#[tokio::test]
async fn an_answer_without_calls_has_empty_tool_calls() {
    let lm: SharedLm = Arc::new(ScriptedLm::new(["{\"answer\": \"Sunny.\"}"]));
    let ask = Predict::<AskWithTools>::new()
        .with_lm(lm)
        .with_adapter(AdapterKind::Json);
    let out = ask.forward(input()).await.expect("prediction");
    assert_eq!(out.answer.as_deref(), Some("Sunny."));
    assert!(out.tool_calls.is_empty());
}
