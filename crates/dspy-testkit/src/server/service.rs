//! Answering one HTTP request.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};

use super::clock::Clock;
use super::faults::FaultPlan;
use super::openai::{self, ResponseMeta, UsageJson};
use super::{ChatRequest, Fault, MockConfig, RecordedRequest};
use crate::tokens;

/// The path the server answers.
pub(super) const CHAT_PATH: &str = "/v1/chat/completions";

/// Largest request body read (bigger ones get HTTP 413).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// What one server shares between its connections.
#[derive(Debug)]
pub(super) struct State {
    config: MockConfig,
    faults: FaultPlan,
    clock: Clock,
    pub(super) requests: AtomicU64,
    pub(super) faults_injected: AtomicU64,
    recorded: Mutex<Vec<RecordedRequest>>,
}

impl State {
    pub(super) fn new(config: MockConfig) -> State {
        State {
            faults: FaultPlan::new(&config),
            clock: Clock::start(),
            config,
            requests: AtomicU64::new(0),
            faults_injected: AtomicU64::new(0),
            recorded: Mutex::new(Vec::new()),
        }
    }

    pub(super) fn recorded(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        // Pushes cannot leave the list half-written, so a poisoned lock is still usable.
        self.recorded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The service's error: hyper closes the connection without a response.
#[derive(Debug)]
pub(super) struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mock fault: connection dropped")
    }
}

impl std::error::Error for DropConnection {}

type HttpResponse = Response<Full<Bytes>>;

/// Answers one request.
pub(super) async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<HttpResponse, DropConnection> {
    let arrived = Instant::now();
    let id = state.requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            let too_large = err.is::<http_body_util::LengthLimitError>();
            let (status, message) = if too_large {
                (StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
            } else {
                (StatusCode::BAD_REQUEST, "could not read the request body")
            };
            return Ok(error(status, message, "invalid_request_error", None));
        }
    };
    if state.config.record_requests {
        state.recorded().push(record(&parts, &body));
    }
    if parts.uri.path() != CHAT_PATH {
        let message = format!("no route for {}; use POST {CHAT_PATH}", parts.uri.path());
        return Ok(error(
            StatusCode::NOT_FOUND,
            &message,
            "invalid_request_error",
            None,
        ));
    }
    if parts.method != Method::POST {
        let message = format!("{} is not allowed; use POST {CHAT_PATH}", parts.method);
        return Ok(error(
            StatusCode::METHOD_NOT_ALLOWED,
            &message,
            "invalid_request_error",
            None,
        ));
    }

    let fault = state.faults.decide(&body);
    if fault.is_some() {
        state.faults_injected.fetch_add(1, Ordering::Relaxed);
    }
    // The response is built first, so the latency covers the work of answering.
    let mut wait = state.config.latency;
    let outcome = match fault {
        None => Ok(answer(&state.config, id, &body).into_response()),
        Some(Fault::ServerError) => Ok(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "mock fault: internal server error",
            "server_error",
            None,
        )),
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "mock fault: rate limit reached, retry later",
                "rate_limit_error",
                Some("rate_limit_exceeded"),
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            Ok(response)
        }
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = format!("mock fault: HTTP {}", status.as_u16());
            let kind = if status.is_server_error() {
                "server_error"
            } else {
                "invalid_request_error"
            };
            Ok(error(status, &message, kind, None))
        }
        Some(Fault::ContextLength) => Ok(error(
            StatusCode::BAD_REQUEST,
            "mock fault: This model's maximum context length is 128 tokens. However, your messages resulted in more tokens. Please reduce the length of the messages.",
            "invalid_request_error",
            Some("context_length_exceeded"),
        )),
        Some(Fault::Slow(delay)) => {
            wait += delay;
            Ok(answer(&state.config, id, &body).into_response())
        }
        Some(Fault::Truncated) => {
            let mut reply = answer(&state.config, id, &body);
            reply.body.truncate(reply.body.len() / 2);
            Ok(reply.into_response())
        }
        Some(Fault::DropConnection) => Err(DropConnection),
    };
    if !wait.is_zero() {
        state.clock.sleep_until(arrived + wait).await;
    }
    outcome
}

/// A response not yet handed to hyper.
struct Reply {
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Reply {
    fn json(status: StatusCode, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body,
        }
    }

    fn error(status: StatusCode, message: &str, kind: &str, code: Option<&str>) -> Reply {
        Reply::json(status, openai::error_body(message, kind, code))
    }

    fn into_response(self) -> HttpResponse {
        let mut response = Response::new(Full::new(Bytes::from(self.body)));
        *response.status_mut() = self.status;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        response
    }
}

/// The normal answer to a chat-completion request (or a 400 for a bad one).
fn answer(config: &MockConfig, id: u64, body: &[u8]) -> Reply {
    let request = match ChatRequest::from_json(body) {
        Ok(request) => request,
        Err(err) => {
            let message = format!("invalid chat-completion request: {err}");
            return Reply::error(
                StatusCode::BAD_REQUEST,
                &message,
                "invalid_request_error",
                None,
            );
        }
    };
    let n = request.n.unwrap_or(1);
    if !(1..=tokens::MAX_CHOICES).contains(&n) {
        let message = format!("n must be between 1 and {}, got {n}", tokens::MAX_CHOICES);
        return Reply::error(
            StatusCode::BAD_REQUEST,
            &message,
            "invalid_request_error",
            None,
        );
    }

    let mut content = config.responder.answer(&request);
    let mut finish_reason = "stop";
    if let Some(max_tokens) = request.max_tokens {
        if tokens::estimate(&content) > u64::from(max_tokens) {
            truncate_to_tokens(&mut content, max_tokens);
            finish_reason = "length";
        }
    }

    let prompt_tokens: u64 = request
        .messages
        .iter()
        .map(|m| tokens::estimate(&m.content))
        .sum();
    let completion_tokens = tokens::estimate(&content) * u64::from(n);
    let model = match (&config.model, request.model.as_str()) {
        (Some(model), _) => model.as_str(),
        (None, "") => "mock",
        (None, requested) => requested,
    };
    let id = format!("chatcmpl-mock-{id}");
    let meta = ResponseMeta {
        id: &id,
        created: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        model,
        usage: UsageJson {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
        },
    };
    if request.stream {
        let body = openai::stream_body(
            meta,
            &content,
            n,
            finish_reason,
            request.include_usage,
            config.stream_chunk_chars,
        );
        Reply {
            status: StatusCode::OK,
            content_type: "text/event-stream",
            body,
        }
    } else {
        Reply::json(
            StatusCode::OK,
            openai::completion_body(meta, &content, n, finish_reason),
        )
    }
}

/// Cuts `text` to about `max_tokens` tokens (four bytes each), at a character boundary.
fn truncate_to_tokens(text: &mut String, max_tokens: u32) {
    let mut end = (max_tokens as usize).saturating_mul(4).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
}

fn error(status: StatusCode, message: &str, kind: &str, code: Option<&str>) -> HttpResponse {
    Reply::error(status, message, kind, code).into_response()
}

fn record(parts: &hyper::http::request::Parts, body: &[u8]) -> RecordedRequest {
    RecordedRequest {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_string(), |pq| pq.to_string()),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(body).into_owned(),
    }
}
