//! Streaming answers: SSE framing, deltas, `n` choices, usage chunks.

#![cfg(feature = "server")]

mod common;

use common::{chat_body, dspy_body, post};
use dspy_testkit::{MockConfig, MockServer};
use serde_json::{json, Value};

/// Splits an SSE body into its `data:` payloads, checking the framing.
fn events(text: &str) -> Vec<&str> {
    assert!(text.ends_with("\n\n"), "events end with a blank line");
    text.strip_suffix("\n\n")
        .unwrap()
        .split("\n\n")
        .map(|event| {
            assert!(!event.contains('\n'), "one line per event: {event:?}");
            event.strip_prefix("data: ").expect("every event is data")
        })
        .collect()
}

/// The JSON chunks of an SSE body (all but the final `[DONE]`).
fn chunks(text: &str) -> Vec<Value> {
    let events = events(text);
    assert_eq!(events.last(), Some(&"[DONE]"));
    assert_eq!(events.iter().filter(|e| **e == "[DONE]").count(), 1);
    events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect()
}

/// The streamed content of choice `index`.
fn content(chunks: &[Value], index: u64) -> String {
    chunks
        .iter()
        .flat_map(|c| c["choices"].as_array().unwrap())
        .filter(|c| c["index"] == index)
        .filter_map(|c| c["delta"]["content"].as_str())
        .collect()
}

#[tokio::test]
async fn streams_sse_chunks_ending_with_done() {
    let server = MockServer::start(MockConfig::new()).await.unwrap();
    let plain: Value = post(&server.chat_url(), &dspy_body("Why?"))
        .await
        .json()
        .await
        .unwrap();
    let mut body = dspy_body("Why?");
    body["stream"] = json!(true);
    let response = post(&server.chat_url(), &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let chunks = chunks(&response.text().await.unwrap());
    assert!(chunks.len() > 4);
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "openai/gpt-4o-mini");
        assert_eq!(chunk["id"], chunks[0]["id"]);
        assert!(chunk.get("usage").is_none());
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let last = &chunks[chunks.len() - 1]["choices"][0];
    assert_eq!(last["finish_reason"], "stop");
    assert_eq!(last["delta"], json!({}));
    assert!(chunks[..chunks.len() - 1]
        .iter()
        .all(|c| c["choices"][0]["finish_reason"].is_null()));
    assert_eq!(
        content(&chunks, 0),
        plain["choices"][0]["message"]["content"].as_str().unwrap()
    );
}

#[tokio::test]
async fn streams_n_choices_and_usage() {
    let server = MockServer::start(MockConfig::new().stream_chunk_chars(3))
        .await
        .unwrap();
    let mut body = chat_body("hello streaming world");
    body["stream"] = json!(true);
    body["n"] = json!(2);
    body["stream_options"] = json!({"include_usage": true});
    let text = post(&server.chat_url(), &body).await.text().await.unwrap();
    let chunks = chunks(&text);
    for index in 0..2 {
        assert_eq!(content(&chunks, index), "hello streaming world");
        let finishes = chunks
            .iter()
            .flat_map(|c| c["choices"].as_array().unwrap())
            .filter(|c| c["index"] == index && c["finish_reason"] == "stop")
            .count();
        assert_eq!(finishes, 1);
    }
    for chunk in &chunks {
        for choice in chunk["choices"].as_array().unwrap() {
            let piece = choice["delta"]["content"].as_str().unwrap_or("");
            assert!(piece.chars().count() <= 3, "{piece:?}");
        }
    }
    let (usage_chunk, others) = chunks.split_last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    let usage = &usage_chunk["usage"];
    assert_eq!(usage["completion_tokens"], 2 * 6);
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 0);
    assert!(others
        .iter()
        .all(|c| c["usage"].is_null() && c.get("usage").is_some()));
}
