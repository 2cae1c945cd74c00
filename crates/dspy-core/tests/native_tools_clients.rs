//! Native function calling end to end: a predictor whose signature has a `list[dspy.Tool]`
//! input and a `dspy.ToolCalls` output, over the OpenAI and Anthropic clients against a
//! scripted server: the tools go out in each provider's format, the provider's tool calls come
//! back as the `ToolCalls` output, and running them gives the tools' results.

mod http_server;

use std::sync::Arc;

use dspy_core::adapters::{AdapterKind, SignatureSpec, Values};
use dspy_core::client::{AnthropicClient, OpenAiClient};
use dspy_core::lm::SharedLm;
use dspy_core::predict::{CallOptions, Predict};
use dspy_core::tool::{Tool, ToolCalls, ToolError};
use http_server::Server;
use serde_json::{json, Value};

fn spec() -> SignatureSpec {
    SignatureSpec::parse("question, tools: list[dspy.Tool] -> answer, calls: dspy.ToolCalls")
        .unwrap()
        .with_instructions("Answer, calling tools when they help.")
}

fn add() -> Tool {
    Tool::new("add", |args| async move {
        let a = args.get("a").and_then(Value::as_i64).unwrap_or_default();
        let b = args.get("b").and_then(Value::as_i64).unwrap_or_default();
        Ok::<_, ToolError>(json!(a + b))
    })
    .desc("Adds two integers.")
    .arg("a", json!({"type": "integer"}))
    .arg("b", json!({"type": "integer"}))
}

fn inputs() -> Values {
    Values::from_iter([
        ("question".to_string(), json!("What is 2 plus 3?")),
        ("tools".to_string(), json!([add().to_value()])),
    ])
}

async fn predict_calls(lm: SharedLm) -> ToolCalls {
    let options = CallOptions::default().lm(lm).adapter(AdapterKind::Json);
    let prediction = Predict::new(spec()).call(inputs(), options).await.unwrap();
    serde_json::from_value(prediction.values()["calls"].clone()).unwrap()
}

#[tokio::test]
async fn openai_tool_calls_fill_the_output() {
    let server = Server::json(
        200,
        json!({"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null,
            "tool_calls": [{"id": "call_7", "type": "function",
                            "function": {"name": "add", "arguments": "{\"a\": 2, \"b\": 3}"}}]}}]}),
    )
    .await;
    let lm = OpenAiClient::builder("gpt-4o-mini")
        .base_url(server.base())
        .api_key("sk-test")
        .build()
        .unwrap();
    let calls = predict_calls(Arc::new(lm)).await;

    let body = server.last().json();
    assert_eq!(
        body["tools"],
        json!([{"type": "function", "function": {
            "name": "add", "description": "Adds two integers.",
            "parameters": {"type": "object",
                           "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                           "required": ["a", "b"]}}}])
    );
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(!system.contains("`tools`"), "{system}");
    assert_eq!(calls.tool_calls[0].id.as_deref(), Some("call_7"));
    let result = Tool::execute(&[add()], &calls.tool_calls[0]).await.unwrap();
    assert_eq!(result, json!(5));
}

#[tokio::test]
async fn anthropic_tool_use_fills_the_output() {
    let server = Server::json(
        200,
        json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "add", "input": {"a": 4, "b": 1}}],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 20, "output_tokens": 5}
        }),
    )
    .await;
    let lm = AnthropicClient::builder("claude-3-5-haiku-latest")
        .base_url(&server.url)
        .api_key("sk-ant-test")
        .build()
        .unwrap();
    let calls = predict_calls(Arc::new(lm)).await;

    let body = server.last().json();
    assert_eq!(body["tools"][0]["name"], "add");
    assert_eq!(
        body["tools"][0]["input_schema"]["required"],
        json!(["a", "b"])
    );
    assert_eq!(calls.tool_calls[0].id.as_deref(), Some("toolu_1"));
    let result = Tool::execute(&[add()], &calls.tool_calls[0]).await.unwrap();
    assert_eq!(result, json!(5));
}
