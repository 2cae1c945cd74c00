//! `OpenAiClient` against a scripted server on 127.0.0.1.

mod http_server;

use std::time::Duration;

use dspy_core::adapters::Message;
use dspy_core::client::{MaxTokensParam, OpenAiClient};
use dspy_core::lm::{FinishReason, LanguageModel, LmError, LmRequest, ResponseFormat, ToolSpec};
use futures_util::StreamExt;
use http_server::{chat_answer, closed_port_url, Reply, Server};
use serde_json::json;

fn client(server: &Server) -> OpenAiClient {
    OpenAiClient::builder("test-model")
        .base_url(server.base())
        .api_key("sk-test-key")
        .build()
        .unwrap()
}

fn hello() -> LmRequest {
    LmRequest::new(vec![Message::system("Be brief."), Message::user("Hello")])
}

#[tokio::test]
async fn sends_every_request_field() {
    let server = Server::json(200, chat_answer("hi")).await;
    let lm = client(&server);
    let mut request = hello()
        .temperature(0.3)
        .max_tokens(64)
        .n(1)
        .stop(vec!["\n\n".into()])
        .seed(7);
    request.extra.insert("top_p".into(), json!(0.9));
    lm.call(request).await.unwrap();

    let sent = server.last();
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.json(),
        json!({
            "model": "test-model",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hello"}
            ],
            "temperature": 0.3,
            "max_tokens": 64,
            "n": 1,
            "stop": ["\n\n"],
            "seed": 7,
            "top_p": 0.9
        })
    );
}

#[tokio::test]
async fn max_completion_tokens_setting_and_model_override() {
    let server = Server::json(200, chat_answer("hi")).await;
    let lm = OpenAiClient::builder("openai/gpt-5-mini")
        .base_url(server.base())
        .max_tokens_param(MaxTokensParam::MaxCompletionTokens)
        .build()
        .unwrap();
    assert_eq!(lm.model(), "openai/gpt-5-mini");
    let mut request = hello().max_tokens(100);
    request.model = Some("openai/gpt-5".into());
    lm.call(request).await.unwrap();
    let body = server.last().json();
    assert_eq!(body["model"], "gpt-5");
    assert_eq!(body["max_completion_tokens"], 100);
    assert!(body.get("max_tokens").is_none());
    assert!(
        server.last().header("authorization").is_none(),
        "no key, no header"
    );
}

#[tokio::test]
async fn parses_text_usage_model_and_finish_reason() {
    let server = Server::json(200, chat_answer("Hello there")).await;
    let answer = client(&server).call(hello()).await.unwrap();
    assert_eq!(answer.first_text(), Some("Hello there"));
    assert_eq!(answer.model, "served-model");
    assert_eq!(answer.usage.prompt_tokens, 11);
    assert_eq!(answer.usage.completion_tokens, 3);
    assert_eq!(answer.usage.total_tokens, 14);
    assert_eq!(answer.choices[0].finish_reason, Some(FinishReason::Stop));
    assert!(!answer.cached);
}

#[tokio::test]
async fn n_choices() {
    let server = Server::json(
        200,
        json!({"choices": [
            {"index": 0, "message": {"content": "a"}, "finish_reason": "stop"},
            {"index": 1, "message": {"content": "b"}, "finish_reason": "length"},
            {"index": 2, "message": {"content": "c"}, "finish_reason": "stop"}
        ]}),
    )
    .await;
    let answer = client(&server).call(hello().n(3)).await.unwrap();
    assert_eq!(server.last().json()["n"], 3);
    let texts: Vec<&str> = answer.choices.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["a", "b", "c"]);
    assert_eq!(answer.choices[1].finish_reason, Some(FinishReason::Length));
    assert_eq!(
        answer.model, "test-model",
        "falls back to the client's model"
    );
}

#[tokio::test]
async fn json_schema_and_json_object_formats() {
    let server = Server::json(200, chat_answer(r#"{"answer": "4"}"#)).await;
    let lm = client(&server);
    let schema = json!({"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]});
    let request = hello().response_format(ResponseFormat::JsonSchema {
        name: "DSPyProgramOutputs".into(),
        schema: schema.clone(),
        strict: true,
    });
    lm.call(request).await.unwrap();
    assert_eq!(
        server.last().json()["response_format"],
        json!({"type": "json_schema", "json_schema": {"name": "DSPyProgramOutputs", "schema": schema, "strict": true}})
    );
    lm.call(hello().response_format(ResponseFormat::JsonObject))
        .await
        .unwrap();
    assert_eq!(
        server.last().json()["response_format"],
        json!({"type": "json_object"})
    );
}

#[tokio::test]
async fn tools_out_and_tool_calls_back() {
    let server = Server::json(
        200,
        json!({"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "search", "arguments": "{\"query\": \"rust\", \"k\": 3}"}},
                {"id": "call_2", "type": "function", "function": {"name": "search", "arguments": "{\"query\": \"dsp"}},
                {"id": "call_3", "type": "function", "function": {"name": "noop", "arguments": "not json at all"}}
            ]}}]}),
    )
    .await;
    let mut request = hello();
    request.tools = vec![ToolSpec {
        name: "search".into(),
        description: Some("Searches the web.".into()),
        parameters: json!({"type": "object", "properties": {"query": {"type": "string"}}}),
    }];
    request.extra.insert("tool_choice".into(), json!("auto"));
    let answer = client(&server).call(request).await.unwrap();

    let body = server.last().json();
    assert_eq!(
        body["tools"],
        json!([{"type": "function", "function": {
            "name": "search", "description": "Searches the web.",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}}])
    );
    assert_eq!(body["tool_choice"], "auto");

    let choice = &answer.choices[0];
    assert_eq!(choice.text, "");
    assert_eq!(choice.finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(choice.tool_calls.len(), 3);
    assert_eq!(choice.tool_calls[0].id, "call_1");
    assert_eq!(choice.tool_calls[0].name, "search");
    assert_eq!(choice.tool_calls[0].args, json!({"query": "rust", "k": 3}));
    assert_eq!(
        choice.tool_calls[1].args,
        json!({"query": "dsp"}),
        "repaired"
    );
    assert_eq!(
        choice.tool_calls[2].args,
        json!("not json at all"),
        "kept raw"
    );
}

fn sse(data: &str) -> String {
    format!("data: {data}\n\n")
}

#[tokio::test]
async fn streams_text_deltas_until_done() {
    let server = Server::start(|_, _| {
        Reply::Sse(vec![
            sse(r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#),
            ": keep-alive\n\n".into(),
            sse(r#"{"choices":[{"index":0,"delta":{"content":"Hel"}}]}"#),
            // one event split across two writes
            "data: {\"choices\":[{\"index\":0,\"delta\":".into(),
            "{\"content\":\"lo\"}}]}\n\n".into(),
            sse(r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#),
            sse("[DONE]"),
            sse(r#"{"choices":[{"index":0,"delta":{"content":"after done"}}]}"#),
        ])
    })
    .await;
    let lm = client(&server);
    let deltas: Vec<String> = lm.stream(hello()).map(|d| d.unwrap()).collect().await;
    assert_eq!(deltas, ["Hel", "lo"]);
    assert_eq!(server.last().json()["stream"], true);
}

#[tokio::test]
async fn stream_errors() {
    // Cut off before [DONE].
    let server = Server::start(|_, _| {
        Reply::Sse(vec![sse(
            r#"{"choices":[{"index":0,"delta":{"content":"partial"}}]}"#,
        )])
    })
    .await;
    let items: Vec<_> = client(&server).stream(hello()).collect().await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_deref().unwrap(), "partial");
    assert!(
        matches!(items[1], Err(LmError::Transport { .. })),
        "{items:?}"
    );

    // An HTTP error before the stream starts.
    let server = Server::json(429, json!({"error": {"message": "slow down"}})).await;
    let items: Vec<_> = client(&server).stream(hello()).collect().await;
    assert!(
        matches!(items.as_slice(), [Err(LmError::RateLimited { .. })]),
        "{items:?}"
    );

    // An error event inside the stream.
    let server = Server::start(|_, _| {
        Reply::Sse(vec![sse(
            r#"{"error":{"message":"maximum context length is 10 tokens","code":400}}"#,
        )])
    })
    .await;
    let items: Vec<_> = client(&server).stream(hello()).collect().await;
    assert!(
        matches!(items.as_slice(), [Err(LmError::ContextLength { .. })]),
        "{items:?}"
    );
}

async fn error_for(status: u16, headers: Vec<(&'static str, String)>, body: &str) -> LmError {
    let body = body.to_owned();
    let server = Server::start(move |_, _| Reply::Status {
        status,
        headers: headers.clone(),
        body: body.clone(),
    })
    .await;
    client(&server).call(hello()).await.unwrap_err()
}

#[tokio::test]
async fn status_mapping() {
    let err = error_for(429, vec![("retry-after", "2".into())], "{}").await;
    assert!(
        matches!(err, LmError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(2)),
        "{err:?}"
    );
    let in_a_minute = std::time::SystemTime::now() + Duration::from_secs(61);
    let date = http_date(in_a_minute);
    let err = error_for(429, vec![("retry-after", date)], "{}").await;
    let wait = err.retry_after().expect("date parsed");
    assert!(
        wait > Duration::from_secs(55) && wait <= Duration::from_secs(61),
        "{wait:?}"
    );

    let err = error_for(503, vec![("retry-after", "5".into())], "overloaded").await;
    assert!(
        matches!(err, LmError::Server { status: 503, retry_after: Some(d), ref message } if d == Duration::from_secs(5) && message == "overloaded"),
        "{err:?}"
    );
    assert!(err.is_retryable());
    let err = error_for(500, vec![], r#"{"error":{"message":"boom"}}"#).await;
    assert!(
        matches!(
            err,
            LmError::Server {
                status: 500,
                retry_after: None,
                ..
            }
        ),
        "{err:?}"
    );

    for status in [401, 403] {
        let err = error_for(status, vec![], r#"{"error":{"message":"bad key"}}"#).await;
        assert!(
            matches!(err, LmError::Auth { status: s, .. } if s == status),
            "{err:?}"
        );
        assert!(!err.is_retryable());
    }

    let err = error_for(
        400,
        vec![],
        r#"{"error":{"message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}"#,
    )
    .await;
    assert!(matches!(err, LmError::ContextLength { .. }), "{err:?}");

    let err = error_for(
        400,
        vec![],
        r#"{"error":{"message":"temperature too high"}}"#,
    )
    .await;
    assert!(
        matches!(err, LmError::InvalidRequest { status: 400, ref message } if message == "temperature too high"),
        "{err:?}"
    );
    let err = error_for(404, vec![], r#"{"detail":"model not found"}"#).await;
    assert!(
        matches!(err, LmError::InvalidRequest { status: 404, .. }),
        "{err:?}"
    );
    let err = error_for(422, vec![], "unprocessable").await;
    assert!(
        matches!(err, LmError::InvalidRequest { status: 422, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn transport_failures() {
    // Nothing listening.
    let lm = OpenAiClient::builder("m")
        .base_url(closed_port_url().await)
        .build()
        .unwrap();
    let err = lm.call(hello()).await.unwrap_err();
    assert!(matches!(err, LmError::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());

    // The server hangs up without answering.
    let server = Server::start(|_, _| Reply::Close).await;
    let err = client(&server).call(hello()).await.unwrap_err();
    assert!(
        matches!(err, LmError::Transport { ref endpoint, .. } if endpoint.ends_with("/v1/chat/completions")),
        "{err:?}"
    );
}

#[tokio::test]
async fn truncated_or_invalid_bodies_are_decode_errors() {
    // Content-Length promises more than arrives.
    let server = Server::start(|_, _| {
        Reply::Raw(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"choices\":[{\"mess"
                .to_vec(),
        )
    })
    .await;
    let err = client(&server).call(hello()).await.unwrap_err();
    assert!(matches!(err, LmError::Decode { .. }), "{err:?}");

    // A complete body that is cut-off JSON.
    let server = Server::start(|_, _| Reply::Status {
        status: 200,
        headers: vec![],
        body: r#"{"choices":[{"message":{"content":"hi"#.into(),
    })
    .await;
    let err = client(&server).call(hello()).await.unwrap_err();
    assert!(matches!(err, LmError::Decode { .. }), "{err:?}");
    assert!(err.is_retryable());

    // Not JSON at all.
    let server = Server::start(|_, _| Reply::Status {
        status: 200,
        headers: vec![],
        body: "<html>proxy error</html>".into(),
    })
    .await;
    let err = client(&server).call(hello()).await.unwrap_err();
    assert!(matches!(err, LmError::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn timeout() {
    let server = Server::start(|_, _| Reply::Hang).await;
    let lm = OpenAiClient::builder("m")
        .base_url(server.base())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = lm.call(hello()).await.unwrap_err();
    assert!(
        matches!(err, LmError::Timeout(d) if d == Duration::from_millis(200)),
        "{err:?}"
    );
}

#[tokio::test]
async fn connections_are_reused() {
    let server = Server::json(200, chat_answer("ok")).await;
    let lm = client(&server);
    for _ in 0..50 {
        lm.call(hello()).await.unwrap();
    }
    let clone = lm.clone();
    clone.call(hello()).await.unwrap();
    assert_eq!(server.requests().len(), 51);
    // Keep-alive: sequential calls reuse one connection (a second may open if the first is not
    // back in the pool yet on a busy machine).
    assert!(
        server.connections() <= 2,
        "{} connections",
        server.connections()
    );
}

#[tokio::test]
async fn concurrent_calls_share_the_pool() {
    let server = Server::json(200, chat_answer("ok")).await;
    let lm = std::sync::Arc::new(client(&server));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let lm = lm.clone();
            tokio::spawn(async move { lm.call(hello()).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(server.requests().len(), 64);
    assert!(server.connections() <= 64);
}

/// An IMF-fixdate for `t`.
fn http_date(t: std::time::SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // civil_from_days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        weekdays[days.rem_euclid(7) as usize],
        d,
        months[(m - 1) as usize],
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
