//! `AnthropicClient` against a scripted server on 127.0.0.1.

mod http_server;

use dspy_core::adapters::Message;
use dspy_core::client::{AnthropicClient, ANTHROPIC_VERSION, DEFAULT_MAX_TOKENS};
use dspy_core::lm::{FinishReason, LanguageModel, LmError, LmRequest, ToolSpec};
use futures_util::StreamExt;
use http_server::{Reply, Server};
use serde_json::{json, Value};

fn client(server: &Server) -> AnthropicClient {
    AnthropicClient::builder("claude-3-5-haiku-latest")
        .base_url(&server.url)
        .api_key("sk-ant-test")
        .build()
        .unwrap()
}

fn message(content: Value, stop_reason: &str) -> Value {
    json!({
        "id": "msg_1", "type": "message", "role": "assistant",
        "model": "claude-3-5-haiku-20241022",
        "content": content,
        "stop_reason": stop_reason,
        "usage": {"input_tokens": 20, "output_tokens": 5}
    })
}

fn conversation() -> LmRequest {
    LmRequest::new(vec![
        Message::system("You are terse."),
        Message::user("Hi"),
        Message::assistant("Hello."),
        Message::user("Add 2 and 2."),
    ])
}

#[tokio::test]
async fn sends_messages_api_request() {
    let server = Server::json(
        200,
        message(json!([{"type": "text", "text": "4"}]), "end_turn"),
    )
    .await;
    let lm = client(&server);
    assert_eq!(lm.model(), "anthropic/claude-3-5-haiku-latest");
    let answer = lm
        .call(conversation().temperature(0.0).stop(vec!["END".into()]))
        .await
        .unwrap();

    let sent = server.last();
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(sent.header("anthropic-version"), Some(ANTHROPIC_VERSION));
    assert!(sent.header("authorization").is_none());
    assert_eq!(
        sent.json(),
        json!({
            "model": "claude-3-5-haiku-latest",
            "max_tokens": DEFAULT_MAX_TOKENS,
            "system": "You are terse.",
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello."},
                {"role": "user", "content": "Add 2 and 2."}
            ],
            "temperature": 0.0,
            "stop_sequences": ["END"]
        })
    );

    assert_eq!(answer.first_text(), Some("4"));
    assert_eq!(answer.model, "claude-3-5-haiku-20241022");
    assert_eq!(answer.usage.prompt_tokens, 20);
    assert_eq!(answer.usage.completion_tokens, 5);
    assert_eq!(answer.usage.total_tokens, 25);
    assert_eq!(answer.choices[0].finish_reason, Some(FinishReason::Stop));
}

#[tokio::test]
async fn max_tokens_from_request_or_builder() {
    let server = Server::json(200, message(json!([]), "max_tokens")).await;
    let lm = AnthropicClient::builder("c")
        .base_url(format!("{}/v1", server.url))
        .api_key("k")
        .max_tokens(1000)
        .build()
        .unwrap();
    let answer = lm.call(conversation()).await.unwrap();
    assert_eq!(server.last().path, "/v1/messages");
    assert_eq!(server.last().json()["max_tokens"], 1000);
    assert_eq!(answer.choices[0].finish_reason, Some(FinishReason::Length));
    lm.call(conversation().max_tokens(12)).await.unwrap();
    assert_eq!(server.last().json()["max_tokens"], 12);
}

#[tokio::test]
async fn tools_out_and_tool_use_back() {
    let server = Server::json(
        200,
        message(
            json!([
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_1", "name": "search", "input": {"query": "rust"}}
            ]),
            "tool_use",
        ),
    )
    .await;
    let mut request = conversation();
    request.tools = vec![ToolSpec {
        name: "search".into(),
        description: Some("Searches.".into()),
        parameters: json!({"type": "object", "properties": {"query": {"type": "string"}}}),
    }];
    let answer = client(&server).call(request).await.unwrap();
    assert_eq!(
        server.last().json()["tools"],
        json!([{"name": "search", "description": "Searches.",
                "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}}}])
    );
    let choice = &answer.choices[0];
    assert_eq!(choice.text, "Let me look.");
    assert_eq!(choice.finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(choice.tool_calls.len(), 1);
    assert_eq!(choice.tool_calls[0].id, "toolu_1");
    assert_eq!(choice.tool_calls[0].name, "search");
    assert_eq!(choice.tool_calls[0].args, json!({"query": "rust"}));
}

#[tokio::test]
async fn n_sends_n_requests() {
    let server = Server::start(|i, _| {
        Reply::Json(
            200,
            message(
                json!([{"type": "text", "text": format!("answer {i}")}]),
                "end_turn",
            ),
        )
    })
    .await;
    let answer = client(&server).call(conversation().n(3)).await.unwrap();
    assert_eq!(server.requests().len(), 3);
    assert!(server
        .requests()
        .iter()
        .all(|r| r.json().get("n").is_none()));
    assert_eq!(answer.choices.len(), 3);
    assert_eq!(answer.usage.total_tokens, 75);
}

fn event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

#[tokio::test]
async fn streams_text_deltas() {
    let server = Server::start(|_, _| {
        Reply::Sse(vec![
            event("message_start", json!({"type": "message_start", "message": {"id": "m", "content": []}})),
            event("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})),
            event("ping", json!({"type": "ping"})),
            event("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Two plus"}})),
            event("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " two is 4."}})),
            event("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
            event("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 6}})),
            event("message_stop", json!({"type": "message_stop"})),
        ])
    })
    .await;
    let deltas: Vec<String> = client(&server)
        .stream(conversation())
        .map(|d| d.unwrap())
        .collect()
        .await;
    assert_eq!(deltas, ["Two plus", " two is 4."]);
    assert_eq!(server.last().json()["stream"], true);

    let server = Server::start(|_, _| {
        Reply::Sse(vec![event(
            "error",
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        )])
    })
    .await;
    let items: Vec<_> = client(&server).stream(conversation()).collect().await;
    assert!(
        matches!(items.as_slice(), [Err(LmError::Server { status: 529, .. })]),
        "{items:?}"
    );
}

#[tokio::test]
async fn status_mapping() {
    let overloaded =
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
    let server = Server::json(529, overloaded).await;
    let err = client(&server).call(conversation()).await.unwrap_err();
    assert!(
        matches!(err, LmError::Server { status: 529, ref message, .. } if message == "Overloaded"),
        "{err:?}"
    );

    let too_long = json!({"type": "error", "error": {"type": "invalid_request_error", "message": "prompt is too long: 210000 tokens > 200000 maximum"}});
    let server = Server::json(400, too_long).await;
    let err = client(&server).call(conversation()).await.unwrap_err();
    assert!(matches!(err, LmError::ContextLength { .. }), "{err:?}");

    let server = Server::start(|_, _| Reply::Status {
        status: 429,
        headers: vec![("retry-after", "4".into())],
        body: r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}"#.into(),
    })
    .await;
    let err = client(&server).call(conversation()).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(4)));

    let server = Server::json(401, json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})).await;
    let err = client(&server).call(conversation()).await.unwrap_err();
    assert!(matches!(err, LmError::Auth { status: 401, .. }), "{err:?}");
}

#[tokio::test]
async fn missing_key_for_the_hosted_api() {
    let err = AnthropicClient::builder("c")
        .base_url("https://api.anthropic.com")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("ANTHROPIC_API_KEY"), "{err}");
}
