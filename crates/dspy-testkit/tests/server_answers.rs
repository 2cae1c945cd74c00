//! The mock server's normal answers: JSON shape, `n` choices, usage, model, responders,
//! request counts, recording, error responses for bad requests, keep-alive.

#![cfg(feature = "server")]

mod common;

use common::{chat_body, dspy_body, post, raw_exchange};
use dspy_testkit::{MockConfig, MockServer, Responder};
use serde_json::{json, Value};

#[tokio::test]
async fn answers_dspy_prompts_in_chat_format() {
    let server = MockServer::start(MockConfig::new()).await.unwrap();
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
    assert!(server.base_url().ends_with("/v1"));
    let response = post(&server.chat_url(), &dspy_body("What is 2 + 2?")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "openai/gpt-4o-mini");
    assert_eq!(body["choices"].as_array().unwrap().len(), 1);
    assert_eq!(body["choices"][0]["index"], 0);
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "[[ ## reasoning ## ]]\nWhat is 2 + 2?\n\n[[ ## answer ## ]]\n0\n\n[[ ## completed ## ]]"
    );
    let usage = &body["usage"];
    let prompt = usage["prompt_tokens"].as_u64().unwrap();
    let completion = usage["completion_tokens"].as_u64().unwrap();
    assert!(prompt > 50 && completion > 5, "{usage}");
    assert_eq!(usage["total_tokens"].as_u64().unwrap(), prompt + completion);
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn answers_json_when_a_response_format_is_set() {
    let server = MockServer::start(MockConfig::new()).await.unwrap();
    let mut body = dspy_body("Why?");
    body["response_format"] = json!({"type": "json_object"});
    let answer: Value = post(&server.chat_url(), &body).await.json().await.unwrap();
    let content = answer["choices"][0]["message"]["content"].as_str().unwrap();
    let parsed: Value = serde_json::from_str(content).unwrap();
    assert_eq!(parsed, json!({"reasoning": "Why?", "answer": 0}));
}

#[tokio::test]
async fn n_choices_and_usage_scale() {
    let server = MockServer::start(MockConfig::new()).await.unwrap();
    let one: Value = post(&server.chat_url(), &chat_body("hello"))
        .await
        .json()
        .await
        .unwrap();
    let mut body = chat_body("hello");
    body["n"] = json!(3);
    let three: Value = post(&server.chat_url(), &body).await.json().await.unwrap();
    let choices = three["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 3);
    for (i, choice) in choices.iter().enumerate() {
        assert_eq!(choice["index"], i);
        assert_eq!(choice["message"]["content"], "hello");
    }
    assert_eq!(
        three["usage"]["completion_tokens"].as_u64().unwrap(),
        3 * one["usage"]["completion_tokens"].as_u64().unwrap()
    );
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn custom_responder_and_model_override() {
    let responder = Responder::new(|request| {
        format!(
            "{} messages, last: {}",
            request.messages.len(),
            request.last_user_message().unwrap_or("-")
        )
    });
    let server = MockServer::start(MockConfig::new().responder(responder).model("mock-model"))
        .await
        .unwrap();
    let body: Value = post(&server.chat_url(), &chat_body("ping"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["model"], "mock-model");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "1 messages, last: ping"
    );

    let fixed = MockServer::start(MockConfig::new().responder(Responder::fixed("pong")))
        .await
        .unwrap();
    let body: Value = post(&fixed.chat_url(), &chat_body("ping"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "pong");
    assert_eq!(body["model"], "gpt-test");
}

#[tokio::test]
async fn max_tokens_cuts_the_answer() {
    let server = MockServer::start(MockConfig::new().responder(Responder::fixed("x".repeat(100))))
        .await
        .unwrap();
    let mut body = chat_body("hi");
    body["max_tokens"] = json!(5);
    let answer: Value = post(&server.chat_url(), &body).await.json().await.unwrap();
    assert_eq!(answer["choices"][0]["finish_reason"], "length");
    assert_eq!(answer["choices"][0]["message"]["content"], "x".repeat(20));
    assert_eq!(answer["usage"]["completion_tokens"], 5);
}

#[tokio::test]
async fn bad_requests_get_json_errors() {
    let server = MockServer::start(MockConfig::new()).await.unwrap();
    let client = common::client();
    let cases: Vec<(&str, u16)> = vec![
        ("not json", 400),
        ("{\"messages\": 3}", 400),
        ("{}", 400),
        ("{\"messages\": [], \"n\": 0}", 400),
        ("{\"messages\": [], \"n\": 100000}", 400),
        (
            "{\"messages\": [{\"role\": \"user\", \"content\": \"ok\"}], \"n\": 128}",
            200,
        ),
    ];
    for (body, status) in cases {
        let response = client
            .post(server.chat_url())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{body}");
        let json: Value = response.json().await.unwrap();
        if status != 200 {
            assert_eq!(json["error"]["type"], "invalid_request_error", "{body}");
            assert!(json["error"]["message"].as_str().unwrap().len() > 5);
        }
    }
    let missing = client
        .post(format!("{}/completions", server.base_url()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let get = client.get(server.chat_url()).send().await.unwrap();
    assert_eq!(get.status(), 405);
    assert!(get.json::<Value>().await.unwrap()["error"]["message"].is_string());
    assert_eq!(server.requests(), 8);
}

#[tokio::test]
async fn records_requests_when_asked() {
    let quiet = MockServer::start(MockConfig::new()).await.unwrap();
    post(&quiet.chat_url(), &chat_body("a")).await;
    assert!(quiet.recorded().is_empty());

    let server = MockServer::start(MockConfig::new().record_requests(true))
        .await
        .unwrap();
    common::client()
        .post(server.chat_url())
        .bearer_auth("sk-test")
        .json(&chat_body("first"))
        .send()
        .await
        .unwrap();
    post(&server.chat_url(), &chat_body("second")).await;
    let recorded = server.recorded();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].path, "/v1/chat/completions");
    assert_eq!(recorded[0].header("Authorization"), Some("Bearer sk-test"));
    assert_eq!(recorded[1].header("authorization"), None);
    assert_eq!(
        recorded[1].json().unwrap()["messages"][0]["content"],
        "second"
    );
}

#[tokio::test]
async fn keeps_connections_alive() {
    let server = MockServer::start(MockConfig::new()).await.unwrap();
    let body = chat_body("again").to_string();
    let keep_alive = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // Two requests on one connection, the second asking to close it.
    let mut bytes = keep_alive.into_bytes();
    bytes.extend(common::raw_post(&body));
    let out = raw_exchange(server.addr(), &bytes).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn accepts_content_part_lists() {
    let server = MockServer::start(MockConfig::new()).await.unwrap();
    let body = json!({
        "model": "m",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "part one"}]}],
    });
    let answer: Value = post(&server.chat_url(), &body).await.json().await.unwrap();
    assert_eq!(answer["choices"][0]["message"]["content"], "part one");
}
