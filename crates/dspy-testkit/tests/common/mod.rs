//! Helpers shared by the server tests: a loopback-only HTTP client and request bodies.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A DSPy-style system message with `reasoning: str` and `answer: int` outputs.
pub const SYSTEM: &str = "Your input fields are:\n1. `question` (str): \nYour output fields are:\n1. `reasoning` (str): \n2. `answer` (int): \nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## reasoning ## ]]\n{reasoning}\n\n[[ ## answer ## ]]\n{answer}        # note: the value you produce must be a single int value\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `question`, produce the fields `reasoning`, `answer`.";

/// The DSPy user message asking `question`.
pub fn user(question: &str) -> String {
    format!("[[ ## question ## ]]\n{question}\n\nRespond with the corresponding output fields, starting with the field `[[ ## reasoning ## ]]`, then `[[ ## answer ## ]]` (must be formatted as a valid Python int), and then ending with the marker for `[[ ## completed ## ]]`.")
}

/// A chat-completion body for a DSPy prompt.
pub fn dspy_body(question: &str) -> Value {
    json!({
        "model": "openai/gpt-4o-mini",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": user(question)},
        ],
        "temperature": 0.0,
    })
}

/// A plain chat body with one user message.
pub fn chat_body(text: &str) -> Value {
    json!({"model": "gpt-test", "messages": [{"role": "user", "content": text}]})
}

/// A reqwest client that never uses a proxy (so nothing leaves 127.0.0.1).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client builds")
}

/// POSTs `body` as JSON to the server's chat URL.
pub async fn post(url: &str, body: &Value) -> reqwest::Response {
    client()
        .post(url)
        .json(body)
        .send()
        .await
        .expect("request is answered")
}

/// Sends raw HTTP/1.1 bytes on a new connection and reads until the server closes it.
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request).await?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .map_err(|_| std::io::Error::other("server did not close the connection"))??;
    Ok(out)
}

/// A raw `POST /v1/chat/completions` with `Connection: close`.
pub fn raw_post(body: &str) -> Vec<u8> {
    format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
