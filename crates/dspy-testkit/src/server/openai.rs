//! OpenAI chat-completion wire format: the request the server reads and the JSON (or SSE) it
//! writes.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A chat-completion request, as the mock server read it. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ChatRequest {
    /// The requested model (empty when absent).
    pub model: String,
    /// The conversation.
    pub messages: Vec<ChatMessage>,
    /// Number of completions (`None` means 1).
    pub n: Option<u32>,
    /// Whether the answer is streamed as server-sent events.
    pub stream: bool,
    /// Whether a streamed answer ends with a usage chunk (`stream_options.include_usage`).
    pub include_usage: bool,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// `max_tokens`, or else `max_completion_tokens`.
    pub max_tokens: Option<u32>,
    /// Sampling seed.
    pub seed: Option<u64>,
    /// The structured-output request, as sent.
    pub response_format: Option<Value>,
}

impl ChatRequest {
    /// Reads a request body.
    pub fn from_json(body: &[u8]) -> Result<ChatRequest, serde_json::Error> {
        let raw: RawRequest = serde_json::from_slice(body)?;
        Ok(ChatRequest {
            model: raw.model.unwrap_or_default(),
            messages: raw.messages,
            n: raw.n,
            stream: raw.stream.unwrap_or(false),
            include_usage: raw.stream_options.and_then(|o| o.include_usage) == Some(true),
            temperature: raw.temperature,
            max_tokens: raw.max_tokens.or(raw.max_completion_tokens),
            seed: raw.seed,
            response_format: raw.response_format,
        })
    }

    /// The content of the first system message, if any.
    pub fn system_message(&self) -> Option<&str> {
        self.messages
            .iter()
            .find(|m| m.role == "system" || m.role == "developer")
            .map(|m| m.content.as_str())
    }

    /// The content of the last user message, if any.
    pub fn last_user_message(&self) -> Option<&str> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == "user")
            .map(|m| m.content.as_str())
    }
}

/// One message of a [`ChatRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct ChatMessage {
    /// `system`, `user`, `assistant`, ...
    pub role: String,
    /// The text content; a list of content parts is joined by newlines (non-text parts are
    /// skipped), and a missing or null content is empty.
    #[serde(default, deserialize_with = "content_text")]
    pub content: String,
}

#[derive(Deserialize)]
struct RawRequest {
    model: Option<String>,
    messages: Vec<ChatMessage>,
    n: Option<u32>,
    stream: Option<bool>,
    stream_options: Option<RawStreamOptions>,
    temperature: Option<f64>,
    max_tokens: Option<u32>,
    max_completion_tokens: Option<u32>,
    seed: Option<u64>,
    response_format: Option<Value>,
}

#[derive(Deserialize)]
struct RawStreamOptions {
    include_usage: Option<bool>,
}

/// A content part; only text parts carry text.
#[derive(Deserialize)]
struct ContentPart {
    text: Option<String>,
}

fn content_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct ContentVisitor;

    impl<'de> Visitor<'de> for ContentVisitor {
        type Value = String;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, a list of content parts, or null")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<String, E> {
            Ok(text.to_string())
        }

        fn visit_string<E: de::Error>(self, text: String) -> Result<String, E> {
            Ok(text)
        }

        fn visit_unit<E: de::Error>(self) -> Result<String, E> {
            Ok(String::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<String, E> {
            Ok(String::new())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut parts: A) -> Result<String, A::Error> {
            let mut text = String::new();
            while let Some(part) = parts.next_element::<ContentPart>()? {
                if let Some(part_text) = part.text {
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(&part_text);
                }
            }
            Ok(text)
        }
    }

    deserializer.deserialize_any(ContentVisitor)
}

/// Token counts, as OpenAI reports them.
#[derive(Debug, Clone, Copy, Serialize)]
pub(super) struct UsageJson {
    pub(super) prompt_tokens: u64,
    pub(super) completion_tokens: u64,
    pub(super) total_tokens: u64,
}

/// What every response shares.
#[derive(Debug, Clone, Copy)]
pub(super) struct ResponseMeta<'a> {
    pub(super) id: &'a str,
    pub(super) created: u64,
    pub(super) model: &'a str,
    pub(super) usage: UsageJson,
}

#[derive(Serialize)]
struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: Vec<CompletionChoice<'a>>,
    usage: UsageJson,
    system_fingerprint: Option<&'a str>,
}

#[derive(Serialize)]
struct CompletionChoice<'a> {
    index: u32,
    message: AssistantMessage<'a>,
    logprobs: Option<()>,
    finish_reason: &'a str,
}

#[derive(Serialize)]
struct AssistantMessage<'a> {
    role: &'static str,
    content: &'a str,
    refusal: Option<()>,
}

/// The JSON body of a non-streamed answer with `n` copies of `content`.
pub(super) fn completion_body(
    meta: ResponseMeta<'_>,
    content: &str,
    n: u32,
    finish_reason: &str,
) -> Vec<u8> {
    let completion = Completion {
        id: meta.id,
        object: "chat.completion",
        created: meta.created,
        model: meta.model,
        choices: (0..n)
            .map(|index| CompletionChoice {
                index,
                message: AssistantMessage {
                    role: "assistant",
                    content,
                    refusal: None,
                },
                logprobs: None,
                finish_reason,
            })
            .collect(),
        usage: meta.usage,
        system_fingerprint: None,
    };
    // Serializing plain structs of strings and numbers into memory cannot fail.
    serde_json::to_vec(&completion).unwrap_or_default()
}

#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: &'a [ChunkChoice<'a>],
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Option<UsageJson>>,
}

#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'a str>,
}

#[derive(Serialize)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
}

/// The server-sent-event body of a streamed answer with `n` copies of `content`.
///
/// For each choice: a chunk with the role, one chunk per piece of at most `chunk_chars`
/// characters, a chunk with the finish reason; then a usage chunk (when `include_usage`), then
/// `data: [DONE]`. Every event is `data: {json}\n\n`.
pub(super) fn stream_body(
    meta: ResponseMeta<'_>,
    content: &str,
    n: u32,
    finish_reason: &str,
    include_usage: bool,
    chunk_chars: usize,
) -> Vec<u8> {
    let pieces = split_chars(content, chunk_chars);
    let mut body =
        Vec::with_capacity(256 + (content.len() + 200 * (pieces.len() + 2)) * n as usize);
    let usage_slot = include_usage.then_some(None);
    let event = |choice: ChunkChoice<'_>, body: &mut Vec<u8>| {
        let choices = [choice];
        let chunk = Chunk {
            id: meta.id,
            object: "chat.completion.chunk",
            created: meta.created,
            model: meta.model,
            choices: &choices,
            usage: usage_slot,
        };
        push_event(body, &chunk);
    };
    for index in 0..n {
        let delta = |role, content| ChunkChoice {
            index,
            delta: Delta { role, content },
            logprobs: None,
            finish_reason: None,
        };
        event(delta(Some("assistant"), Some("")), &mut body);
        for piece in &pieces {
            event(delta(None, Some(piece)), &mut body);
        }
        let mut last = delta(None, None);
        last.finish_reason = Some(finish_reason);
        event(last, &mut body);
    }
    if include_usage {
        let chunk = Chunk {
            id: meta.id,
            object: "chat.completion.chunk",
            created: meta.created,
            model: meta.model,
            choices: &[],
            usage: Some(Some(meta.usage)),
        };
        push_event(&mut body, &chunk);
    }
    body.extend_from_slice(b"data: [DONE]\n\n");
    body
}

fn push_event<T: Serialize>(body: &mut Vec<u8>, chunk: &T) {
    body.extend_from_slice(b"data: ");
    // Writing plain structs into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *body, chunk);
    body.extend_from_slice(b"\n\n");
}

/// Splits `text` into pieces of at most `chars` characters (at least one character each).
fn split_chars(text: &str, chars: usize) -> Vec<&str> {
    let chars = chars.max(1);
    let mut pieces = Vec::new();
    let mut start = 0;
    for (count, (i, _)) in text.char_indices().enumerate() {
        if count > 0 && count % chars == 0 {
            pieces.push(&text[start..i]);
            start = i;
        }
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

/// An OpenAI-style error body: `{"error": {"message", "type", "param", "code"}}`.
pub(super) fn error_body(message: &str, kind: &str, code: Option<&str>) -> Vec<u8> {
    let body = ErrorBody {
        error: ErrorDetail {
            message,
            kind,
            param: None,
            code,
        },
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_requests() {
        let body = br#"{"model":"m","messages":[{"role":"system","content":"S"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"b"}]},{"role":"assistant","content":null}],"n":2,"stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":9,"extra":[1]}"#;
        let request = ChatRequest::from_json(body).unwrap();
        assert_eq!(request.model, "m");
        assert_eq!(request.system_message(), Some("S"));
        assert_eq!(request.last_user_message(), Some("a\nb"));
        assert_eq!(request.messages[2].content, "");
        assert_eq!(request.n, Some(2));
        assert!(request.stream && request.include_usage);
        assert_eq!(request.max_tokens, Some(9));
    }

    #[test]
    fn rejects_bad_requests() {
        for body in [
            &b""[..],
            b"{",
            b"[]",
            b"{}",
            br#"{"messages":[{"role":"user","content":3}]}"#,
            br#"{"messages":[],"n":-1}"#,
        ] {
            assert!(ChatRequest::from_json(body).is_err());
        }
    }

    #[test]
    fn splits_by_chars() {
        assert_eq!(split_chars("abcdé", 2), ["ab", "cd", "é"]);
        assert_eq!(split_chars("", 3), Vec::<&str>::new());
        assert_eq!(split_chars("ab", 0), ["a", "b"]);
    }
}
