//! Hardening of the HTTP clients against hostile or broken servers: bounded memory for bodies,
//! error bodies and streams, and `Retry-After` asks that cannot hold a call hostage.
//!
//! The servers here are raw TCP listeners on 127.0.0.1 that write whatever the test needs,
//! including bodies that never end.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dspy_core::adapters::Message;
use dspy_core::client::{
    AnthropicClient, ClientBuilder, OpenAiClient, DEFAULT_MAX_ERROR_BODY_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_SSE_EVENT_BYTES,
};
use dspy_core::layer::retry::{Jitter, Retry, RetryPolicy};
use dspy_core::lm::{LanguageModel, LmError, LmRequest, ResponseLimit};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// Generous bound on any test here; a client that reads forever hits its own 5 s timeout first.
const TEST_LIMIT: Duration = Duration::from_secs(30);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// A server whose `respond(index, stream)` writes the whole answer to request `index`
/// (0, 1, ...) after the request was read.
struct RawServer {
    url: String,
    /// Set when an answer's writer stopped because the client hung up.
    hung_up: Arc<AtomicBool>,
}

async fn raw_server<F, Fut>(respond: F) -> RawServer
where
    F: Fn(usize, TcpStream, Arc<AtomicBool>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hung_up = Arc::new(AtomicBool::new(false));
    let respond = Arc::new(respond);
    let count = Arc::new(AtomicUsize::new(0));
    let flag = hung_up.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (respond, count, flag) = (respond.clone(), count.clone(), flag.clone());
            tokio::spawn(async move {
                if read_request(&mut stream).await {
                    let index = count.fetch_add(1, Ordering::SeqCst);
                    respond(index, stream, flag).await;
                }
            });
        }
    });
    RawServer { url, hung_up }
}

/// Reads one request (head and `content-length` body); false if the client went away.
async fn read_request(stream: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return true;
            }
        }
        match stream.read(&mut tmp).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    }
}

/// Writes `head`, then `piece` as HTTP chunks forever (a few MB/s), until the client hangs up.
async fn endless_chunks(mut stream: TcpStream, head: &str, piece: Vec<u8>, hung_up: &AtomicBool) {
    if stream.write_all(head.as_bytes()).await.is_err() {
        hung_up.store(true, Ordering::SeqCst);
        return;
    }
    let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
    chunk.extend_from_slice(&piece);
    chunk.extend_from_slice(b"\r\n");
    loop {
        if stream.write_all(&chunk).await.is_err() {
            hung_up.store(true, Ordering::SeqCst);
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Writes `text` and keeps the connection open (without sending more) for a while.
async fn write_and_hold(mut stream: TcpStream, text: Vec<u8>) {
    let _ = stream.write_all(&text).await;
    let _ = stream.flush().await;
    tokio::time::sleep(Duration::from_secs(20)).await;
}

const CHUNKED_200: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
const CHUNKED_500: &str =
    "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
const SSE_200: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";

fn openai(server: &RawServer) -> dspy_core::client::OpenAiBuilder {
    OpenAiClient::builder("m")
        .base_url(format!("{}/v1", server.url))
        .timeout(CLIENT_TIMEOUT)
}

fn hello() -> LmRequest {
    LmRequest::new(vec![Message::user("Hello")])
}

fn response(status: u16, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n{headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn chat_json(text: &str) -> String {
    serde_json::json!({
        "choices": [{"index": 0, "message": {"content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    })
    .to_string()
}

fn too_large(limit: ResponseLimit, max_bytes: usize) -> LmError {
    LmError::ResponseTooLarge { limit, max_bytes }
}

async fn within_limit<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_LIMIT, fut)
        .await
        .expect("the call ended")
}

async fn wait_for(flag: &AtomicBool) -> bool {
    for _ in 0..200 {
        if flag.load(Ordering::SeqCst) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

// ----- success bodies -----

#[tokio::test]
async fn an_endless_body_stops_at_the_limit() {
    let server = raw_server(|_, stream, hung_up| async move {
        endless_chunks(stream, CHUNKED_200, vec![b' '; 64 * 1024], &hung_up).await;
    })
    .await;
    let lm = openai(&server).max_response_bytes(1 << 20).build().unwrap();
    let start = Instant::now();
    let err = within_limit(lm.call(hello())).await.unwrap_err();
    assert_eq!(err, too_large(ResponseLimit::Body, 1 << 20));
    assert!(start.elapsed() < CLIENT_TIMEOUT, "{:?}", start.elapsed());
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(text.contains("response body"), "{text}");
    assert!(text.contains(".max_response_bytes(..)"), "{text}");
    // The rest is not read: the client hung up.
    assert!(
        wait_for(&server.hung_up).await,
        "the server is still writing"
    );
}

#[tokio::test]
async fn a_declared_length_above_the_limit_fails_before_reading() {
    let server = raw_server(|_, stream, _| {
        write_and_hold(
            stream,
            b"HTTP/1.1 200 OK\r\ncontent-length: 1073741824\r\n\r\n{".to_vec(),
        )
    })
    .await;
    let lm = openai(&server).max_response_bytes(1 << 20).build().unwrap();
    let start = Instant::now();
    let err = within_limit(lm.call(hello())).await.unwrap_err();
    assert_eq!(err, too_large(ResponseLimit::Body, 1 << 20));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn a_body_exactly_at_the_limit_is_read() {
    let body = chat_json("fits");
    let len = body.len();
    let server = raw_server(move |_, mut stream, _| {
        let body = body.clone();
        async move {
            let _ = stream.write_all(&response(200, "", &body)).await;
        }
    })
    .await;
    let lm = openai(&server).max_response_bytes(len).build().unwrap();
    let answer = within_limit(lm.call(hello())).await.unwrap();
    assert_eq!(answer.first_text(), Some("fits"));
    let lm = openai(&server).max_response_bytes(len - 1).build().unwrap();
    let err = within_limit(lm.call(hello())).await.unwrap_err();
    assert_eq!(err, too_large(ResponseLimit::Body, len - 1));
}

#[tokio::test]
async fn a_chunked_body_one_byte_over_the_limit_fails() {
    // No Content-Length: the limit is checked as the chunks arrive.
    let body = chat_json("chunked");
    let len = body.len();
    let server = raw_server(move |_, mut stream, _| {
        let body = body.clone();
        async move {
            let mut text = CHUNKED_200.as_bytes().to_vec();
            for piece in body.as_bytes().chunks(7) {
                text.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                text.extend_from_slice(piece);
                text.extend_from_slice(b"\r\n");
            }
            text.extend_from_slice(b"0\r\n\r\n");
            let _ = stream.write_all(&text).await;
        }
    })
    .await;
    let ok = openai(&server).max_response_bytes(len).build().unwrap();
    assert_eq!(
        within_limit(ok.call(hello())).await.unwrap().first_text(),
        Some("chunked")
    );
    let over = openai(&server).max_response_bytes(len - 1).build().unwrap();
    let err = within_limit(over.call(hello())).await.unwrap_err();
    assert_eq!(err, too_large(ResponseLimit::Body, len - 1));
}

#[tokio::test]
async fn anthropic_and_model_string_clients_have_the_limits_too() {
    let server = raw_server(|_, stream, hung_up| async move {
        endless_chunks(stream, CHUNKED_200, vec![b' '; 64 * 1024], &hung_up).await;
    })
    .await;
    let claude = AnthropicClient::builder("claude")
        .base_url(server.url.clone())
        .api_key("sk-ant-test")
        .timeout(CLIENT_TIMEOUT)
        .max_response_bytes(256 * 1024)
        .build()
        .unwrap();
    let err = within_limit(claude.call(hello())).await.unwrap_err();
    assert_eq!(err, too_large(ResponseLimit::Body, 256 * 1024));

    let lm = ClientBuilder::new("openai/m")
        .base_url(format!("{}/v1", server.url))
        .timeout(CLIENT_TIMEOUT)
        .max_response_bytes(128 * 1024)
        .max_error_body_bytes(10)
        .max_sse_event_bytes(1000)
        .build()
        .unwrap();
    let err = within_limit(lm.call(hello())).await.unwrap_err();
    assert_eq!(err, too_large(ResponseLimit::Body, 128 * 1024));
}

#[test]
fn default_limits() {
    assert_eq!(DEFAULT_MAX_RESPONSE_BYTES, 32 * 1024 * 1024);
    assert_eq!(DEFAULT_MAX_ERROR_BODY_BYTES, 64 * 1024);
    assert_eq!(DEFAULT_MAX_SSE_EVENT_BYTES, 1024 * 1024);
}

#[tokio::test]
async fn the_default_body_limit_applies_without_a_setter() {
    let declared = DEFAULT_MAX_RESPONSE_BYTES + 1;
    let server = raw_server(move |_, stream, _| {
        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {declared}\r\n\r\n{{");
        write_and_hold(stream, head.into_bytes())
    })
    .await;
    let lm = openai(&server).build().unwrap();
    let start = Instant::now();
    let err = within_limit(lm.call(hello())).await.unwrap_err();
    assert_eq!(
        err,
        too_large(ResponseLimit::Body, DEFAULT_MAX_RESPONSE_BYTES)
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

// ----- error bodies -----

#[tokio::test]
async fn only_a_prefix_of_an_endless_error_body_is_read() {
    let server = raw_server(|_, stream, hung_up| async move {
        endless_chunks(stream, CHUNKED_500, b"overloaded ".repeat(1000), &hung_up).await;
    })
    .await;
    let lm = openai(&server).build().unwrap();
    let start = Instant::now();
    let err = within_limit(lm.call(hello())).await.unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "read until the timeout: {:?}",
        start.elapsed()
    );
    match &err {
        LmError::Server {
            status: 500,
            message,
            ..
        } => {
            assert!(message.starts_with("overloaded overloaded"), "{message}");
            assert!(message.ends_with("..."), "shortened: {message}");
        }
        other => panic!("expected a 500, got {other:?}"),
    }
    assert!(
        wait_for(&server.hung_up).await,
        "the server is still writing"
    );
}

#[tokio::test]
async fn the_error_body_prefix_is_configurable() {
    let server = raw_server(|_, mut stream, _| async move {
        let body = "0123456789 and more that is never read";
        let _ = stream.write_all(&response(400, "", body)).await;
    })
    .await;
    let lm = openai(&server).max_error_body_bytes(10).build().unwrap();
    let err = within_limit(lm.call(hello())).await.unwrap_err();
    assert_eq!(
        err,
        LmError::InvalidRequest {
            status: 400,
            message: "0123456789".into()
        }
    );
}

// ----- streams -----

async fn stream_items(lm: &OpenAiClient) -> Vec<Result<String, LmError>> {
    within_limit(lm.stream(hello()).collect::<Vec<_>>()).await
}

#[tokio::test]
async fn a_stream_line_that_never_ends_is_an_error() {
    let server = raw_server(|_, stream, hung_up| async move {
        let mut first =
            b"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: ".to_vec();
        first.extend_from_slice(&[b'x'; 16 * 1024]);
        let mut stream = stream;
        let head = format!("{SSE_200}{:x}\r\n", first.len()).into_bytes();
        let _ = stream.write_all(&head).await;
        let _ = stream.write_all(&first).await;
        let _ = stream.write_all(b"\r\n").await;
        endless_chunks(stream, "", vec![b'x'; 16 * 1024], &hung_up).await;
    })
    .await;
    let lm = openai(&server)
        .max_sse_event_bytes(64 * 1024)
        .build()
        .unwrap();
    let start = Instant::now();
    let items = stream_items(&lm).await;
    assert!(start.elapsed() < CLIENT_TIMEOUT, "{:?}", start.elapsed());
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0], Ok("hi".to_owned()));
    let err = items[1].clone().unwrap_err();
    assert_eq!(err, too_large(ResponseLimit::StreamEvent, 64 * 1024));
    assert!(!err.is_retryable());
    assert!(
        err.to_string().contains(".max_sse_event_bytes(..)"),
        "{err}"
    );
    assert!(
        wait_for(&server.hung_up).await,
        "the server is still writing"
    );
}

#[tokio::test]
async fn a_stream_event_of_endless_data_lines_is_an_error() {
    let server = raw_server(|_, stream, hung_up| async move {
        endless_chunks(stream, SSE_200, b"data: 0123456789\n".repeat(100), &hung_up).await;
    })
    .await;
    let lm = openai(&server).max_sse_event_bytes(10_000).build().unwrap();
    let items = stream_items(&lm).await;
    assert_eq!(
        items,
        vec![Err(too_large(ResponseLimit::StreamEvent, 10_000))]
    );
}

fn delta(text: &str) -> String {
    format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n")
}

#[tokio::test]
async fn stream_events_within_the_limit_pass() {
    let server = raw_server(|_, mut stream, _| async move {
        let body = format!("{}{}data: [DONE]\n\n", delta("a"), delta("b"));
        let _ = stream
            .write_all(&response(200, "content-type: text/event-stream\r\n", &body))
            .await;
    })
    .await;
    // The longest line (and event data) is a delta without its two newlines.
    let longest = delta("a").len() - 2;
    let lm = openai(&server)
        .max_sse_event_bytes(longest)
        .build()
        .unwrap();
    let items = stream_items(&lm).await;
    assert_eq!(items, vec![Ok("a".to_owned()), Ok("b".to_owned())]);
    let lm = openai(&server)
        .max_sse_event_bytes(longest - 1)
        .build()
        .unwrap();
    let items = stream_items(&lm).await;
    assert_eq!(
        items,
        vec![Err(too_large(ResponseLimit::StreamEvent, longest - 1))]
    );
}

// ----- Retry-After through a real client -----

#[tokio::test]
async fn huge_retry_after_headers_fall_back_to_the_policy_s_backoff() {
    // Seen: a 429 with `Retry-After: 3600` kept a call waiting past 30 s although the retry
    // policy's max_delay was 200 ms. Same for the HTTP-date form, far in the future.
    let server = raw_server(|index, mut stream, _| async move {
        let text = match index {
            0 => response(429, "retry-after: 3600\r\n", ""),
            1 => response(
                503,
                "retry-after: Fri, 31 Dec 9999 23:59:59 GMT\r\n",
                "busy",
            ),
            2 => response(429, "retry-after-ms: 99999999999999999999999999\r\n", ""),
            _ => response(200, "", &chat_json("finally")),
        };
        let _ = stream.write_all(&text).await;
    })
    .await;
    let client = openai(&server).build().unwrap();
    let policy = RetryPolicy::new()
        .max_delay(Duration::from_millis(200))
        .jitter(Jitter::None)
        .max_attempts(5);
    let lm = Retry::new(client, policy);
    let start = Instant::now();
    let answer = within_limit(lm.call(hello())).await.unwrap();
    assert_eq!(answer.first_text(), Some("finally"));
    let waited = start.elapsed();
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}

#[tokio::test]
async fn retry_after_asks_are_clamped_to_a_day() {
    let server = raw_server(|index, mut stream, _| async move {
        let text = match index {
            0 => response(
                503,
                "retry-after: Fri, 31 Dec 9999 23:59:59 GMT\r\n",
                "busy",
            ),
            1 => response(429, "retry-after: 18446744073709551616\r\n", ""),
            _ => response(429, "retry-after: 12\r\n", ""),
        };
        let _ = stream.write_all(&text).await;
    })
    .await;
    let lm = openai(&server).build().unwrap();
    let day = Duration::from_secs(86_400);
    for expected in [day, day, Duration::from_secs(12)] {
        let err = within_limit(lm.call(hello())).await.unwrap_err();
        assert_eq!(err.retry_after(), Some(expected), "{err:?}");
    }
}
