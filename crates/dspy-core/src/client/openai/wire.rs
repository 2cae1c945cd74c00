//! The chat-completions wire format: request bodies out, responses and stream chunks in.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::MaxTokensParam;
use crate::client::http::sse::SseEvent;
use crate::client::http::status::classify_reported;
use crate::client::http::tokens::TokenCount;
use crate::client::http::StreamStep;
use crate::client::secret::ApiKey;
use crate::client::tool_args::parse_tool_args;
use crate::lm::{
    Choice, FinishReason, LmError, LmRequest, LmResponse, ResponseFormat, ToolCall, ToolSpec, Usage,
};

/// The JSON body of one chat-completions call, written straight from the [`LmRequest`].
pub(crate) struct ChatBody<'a> {
    pub(crate) model: &'a str,
    pub(crate) request: &'a LmRequest,
    pub(crate) max_tokens_param: MaxTokensParam,
    pub(crate) stream: bool,
}

impl ChatBody<'_> {
    /// True when the typed fields already wrote `key` (so `extra` must not repeat it).
    fn wrote(&self, key: &str) -> bool {
        let r = self.request;
        match key {
            "model" | "messages" => true,
            "temperature" => r.temperature.is_some(),
            "max_tokens" | "max_completion_tokens" => r.max_tokens.is_some(),
            "n" => r.n.is_some(),
            "stop" => !r.stop.is_empty(),
            "seed" => r.seed.is_some(),
            "response_format" => r.response_format.is_some(),
            "tools" => !r.tools.is_empty(),
            "stream" => self.stream,
            _ => false,
        }
    }
}

impl Serialize for ChatBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.request;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("model", self.model)?;
        map.serialize_entry("messages", &r.messages)?;
        if let Some(t) = r.temperature {
            map.serialize_entry("temperature", &t)?;
        }
        if let Some(m) = r.max_tokens {
            let key = match self.max_tokens_param {
                MaxTokensParam::MaxTokens => "max_tokens",
                MaxTokensParam::MaxCompletionTokens => "max_completion_tokens",
            };
            map.serialize_entry(key, &m)?;
        }
        if let Some(n) = r.n {
            map.serialize_entry("n", &n)?;
        }
        if !r.stop.is_empty() {
            map.serialize_entry("stop", &r.stop)?;
        }
        if let Some(seed) = r.seed {
            map.serialize_entry("seed", &seed)?;
        }
        if let Some(format) = &r.response_format {
            map.serialize_entry("response_format", &WireFormat(format))?;
        }
        if !r.tools.is_empty() {
            map.serialize_entry("tools", &WireTools(&r.tools))?;
        }
        if self.stream {
            map.serialize_entry("stream", &true)?;
        }
        for (key, value) in &r.extra {
            if !self.wrote(key) {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

struct WireFormat<'a>(&'a ResponseFormat);

impl Serialize for WireFormat<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            ResponseFormat::JsonObject => json!({"type": "json_object"}).serialize(serializer),
            ResponseFormat::JsonSchema {
                name,
                schema,
                strict,
            } => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", "json_schema")?;
                map.serialize_entry(
                    "json_schema",
                    &SchemaBody {
                        name,
                        schema,
                        strict: *strict,
                    },
                )?;
                map.end()
            }
        }
    }
}

#[derive(Serialize)]
struct SchemaBody<'a> {
    name: &'a str,
    schema: &'a Value,
    strict: bool,
}

struct WireTools<'a>(&'a [ToolSpec]);

impl Serialize for WireTools<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for tool in self.0 {
            seq.serialize_element(&WireTool {
                kind: "function",
                function: tool,
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct WireTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: &'a ToolSpec,
}

// ----- responses -----

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    choices: Option<Vec<WireChoice>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct WireChoice {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    message: Option<WireMessage>,
    /// Text-completion servers answer with `text` instead of `message`.
    #[serde(default)]
    text: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
    /// The legacy single function call.
    #[serde(default)]
    function_call: Option<WireFunction>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Deserialize)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    /// A JSON string normally; some servers send the object itself.
    #[serde(default)]
    arguments: Option<Value>,
}

/// Token counts, read leniently (see [`TokenCount`]): absurd ones saturate at `u64::MAX`.
#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<TokenCount>,
    #[serde(default)]
    completion_tokens: Option<TokenCount>,
    #[serde(default)]
    total_tokens: Option<TokenCount>,
}

/// Message content: a string, `null`, or a list of parts whose `text`s are joined.
#[derive(Default)]
struct Content(String);

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Content, D::Error> {
        struct ContentVisitor;
        impl<'de> Visitor<'de> for ContentVisitor {
            type Value = Content;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, null or a list of content parts")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Content, E> {
                Ok(Content(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Content, E> {
                Ok(Content(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Content, E> {
                Ok(Content::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Content, E> {
                Ok(Content::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Content, A::Error> {
                let mut text = String::new();
                while let Some(part) = seq.next_element::<Value>()? {
                    match &part {
                        Value::String(s) => text.push_str(s),
                        other => {
                            if let Some(s) = other.get("text").and_then(Value::as_str) {
                                text.push_str(s);
                            }
                        }
                    }
                }
                Ok(Content(text))
            }
        }
        deserializer.deserialize_any(ContentVisitor)
    }
}

/// A successful chat-completions body as an [`LmResponse`]. `model` names the client, for
/// servers that don't say which model answered.
pub(crate) fn decode_response(
    body: &[u8],
    model: &str,
    key: Option<&ApiKey>,
) -> Result<LmResponse, LmError> {
    let response: ChatResponse = serde_json::from_slice(body).map_err(|e| LmError::Decode {
        message: format!("invalid chat-completions JSON: {e}"),
    })?;
    let Some(mut wire_choices) = response.choices else {
        return Err(match response.error {
            Some(error) => classify_reported(reported_status(&error), &error, key),
            None => LmError::Decode {
                message: "the chat-completions response has no `choices`".to_owned(),
            },
        });
    };
    wire_choices.sort_by_key(|c| c.index.unwrap_or(0));
    let choices = wire_choices.into_iter().map(decode_choice).collect();
    let usage = response
        .usage
        .map(|u| {
            let prompt = TokenCount::get(u.prompt_tokens).unwrap_or(0);
            let completion = TokenCount::get(u.completion_tokens).unwrap_or(0);
            Usage {
                prompt_tokens: prompt,
                completion_tokens: completion,
                total_tokens: TokenCount::get(u.total_tokens)
                    .unwrap_or_else(|| prompt.saturating_add(completion)),
            }
        })
        .unwrap_or_default();
    Ok(LmResponse {
        choices,
        usage,
        model: response.model.unwrap_or_else(|| model.to_owned()),
        cached: false,
    })
}

fn decode_choice(choice: WireChoice) -> Choice {
    let finish_reason = choice.finish_reason.as_deref().map(finish_reason);
    let (text, tool_calls) = match choice.message {
        Some(message) => {
            let mut calls: Vec<ToolCall> = message
                .tool_calls
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .filter_map(|(i, call)| {
                    let id = call.id.unwrap_or_else(|| format!("call_{i}"));
                    tool_call(id, call.function?)
                })
                .collect();
            if let Some(call) = message
                .function_call
                .and_then(|f| tool_call(String::new(), f))
            {
                calls.push(call);
            }
            (message.content.unwrap_or_default().0, calls)
        }
        None => (choice.text.unwrap_or_default().0, Vec::new()),
    };
    Choice {
        text,
        tool_calls,
        finish_reason,
    }
}

fn tool_call(id: String, function: WireFunction) -> Option<ToolCall> {
    let args = match function.arguments {
        Some(Value::String(raw)) => parse_tool_args(&raw),
        Some(Value::Null) | None => Value::Object(Default::default()),
        Some(other) => other,
    };
    Some(ToolCall {
        id,
        name: function.name?,
        args,
    })
}

pub(crate) fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "stop" | "eos" | "eos_token" | "end_turn" | "stop_sequence" => FinishReason::Stop,
        "length" | "max_tokens" => FinishReason::Length,
        "tool_calls" | "function_call" | "tool_use" => FinishReason::ToolCalls,
        "content_filter" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_owned()),
    }
}

/// The HTTP status an error reported in a body stands for (`code` when it is one, else 500).
fn reported_status(error: &Value) -> u16 {
    let code = error.get("code").or_else(|| error.get("status"));
    code.and_then(|c| {
        c.as_u64()
            .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
    })
    .and_then(|c| u16::try_from(c).ok())
    .filter(|c| (400..600).contains(c))
    .unwrap_or(500)
}

// ----- streaming -----

#[derive(Deserialize)]
struct StreamChunk {
    #[serde(default)]
    choices: Option<Vec<StreamChoice>>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct StreamChoice {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    delta: Option<StreamDelta>,
    #[serde(default)]
    text: Option<Content>,
}

#[derive(Deserialize)]
struct StreamDelta {
    #[serde(default)]
    content: Option<Content>,
}

/// One chat-completions stream event: the first choice's text delta, `[DONE]`, or an error.
pub(crate) fn decode_stream_event(event: &SseEvent, key: Option<&ApiKey>) -> StreamStep {
    let data = event.data.trim();
    if data == "[DONE]" {
        return StreamStep::Done;
    }
    if data.is_empty() {
        return StreamStep::Skip;
    }
    let chunk: StreamChunk = match serde_json::from_str(data) {
        Ok(chunk) => chunk,
        Err(e) => {
            return StreamStep::Fail(LmError::Decode {
                message: format!("invalid JSON in a stream event: {e}"),
            })
        }
    };
    if let Some(error) = chunk.error {
        return StreamStep::Fail(classify_reported(reported_status(&error), &error, key));
    }
    let text = chunk
        .choices
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.index.unwrap_or(0) == 0)
        .filter_map(|c| match c.delta {
            Some(delta) => delta.content,
            None => c.text,
        })
        .map(|c| c.0)
        .collect::<String>();
    StreamStep::Delta(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dspy_adapters::Message;

    fn body(request: &LmRequest, param: MaxTokensParam) -> Value {
        let body = ChatBody {
            model: "m",
            request,
            max_tokens_param: param,
            stream: false,
        };
        serde_json::to_value(&body).unwrap()
    }

    #[test]
    fn minimal_body_omits_unset_fields() {
        let r = LmRequest::new(vec![Message::user("hi")]);
        assert_eq!(
            body(&r, MaxTokensParam::MaxTokens),
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
        );
    }

    #[test]
    fn extra_passes_through_without_duplicates() {
        let mut r = LmRequest::new(vec![]).temperature(0.5);
        r.extra.insert("temperature".into(), json!(9));
        r.extra.insert("top_p".into(), json!(0.9));
        let b = body(&r, MaxTokensParam::MaxCompletionTokens);
        assert_eq!(b["temperature"], json!(0.5));
        assert_eq!(b["top_p"], json!(0.9));
        let text = serde_json::to_string(&ChatBody {
            model: "m",
            request: &r,
            max_tokens_param: MaxTokensParam::MaxTokens,
            stream: true,
        })
        .unwrap();
        assert_eq!(text.matches("temperature").count(), 1);
        assert!(text.contains(r#""stream":true"#));
    }

    #[test]
    fn content_shapes() {
        let r = decode_response(
            br#"{"choices":[{"index":1,"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}},{"index":0,"message":{"content":null}}]}"#,
            "fallback",
            None,
        )
        .unwrap();
        assert_eq!(r.choices[0].text, "");
        assert_eq!(r.choices[1].text, "ab");
        assert_eq!(r.model, "fallback");
        assert_eq!(r.usage, Usage::default());
    }

    #[test]
    fn error_in_a_200_body() {
        let err = decode_response(
            br#"{"error":{"message":"overloaded","code":503}}"#,
            "m",
            None,
        )
        .unwrap_err();
        assert!(
            matches!(err, LmError::Server { status: 503, .. }),
            "{err:?}"
        );
        let err = decode_response(br#"{"id":"x"}"#, "m", None).unwrap_err();
        assert!(matches!(err, LmError::Decode { .. }));
    }

    #[test]
    fn absurd_usage_saturates() {
        let usage = |json: &str| {
            let body = format!(r#"{{"choices":[{{"message":{{"content":"x"}}}}],"usage":{json}}}"#);
            decode_response(body.as_bytes(), "m", None).unwrap().usage
        };
        let max = u64::MAX;
        // No total: the sum of two maximal counts saturates instead of overflowing.
        let u = usage(
            r#"{"prompt_tokens":18446744073709551615,"completion_tokens":18446744073709551615}"#,
        );
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (max, max, max)
        );
        // Beyond u64: saturated instead of failing the whole answer.
        let u = usage(
            r#"{"prompt_tokens":1e300,"completion_tokens":99999999999999999999999,"total_tokens":18446744073709551616}"#,
        );
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (max, max, max)
        );
        let u = usage(
            r#"{"prompt_tokens":1000000000000000,"completion_tokens":-3,"total_tokens":null}"#,
        );
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (1_000_000_000_000_000, 0, 1_000_000_000_000_000)
        );
        let u =
            usage(r#"{"prompt_tokens":"7","completion_tokens":{"odd":true},"total_tokens":[1]}"#);
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (7, 0, 0)
        );
    }

    #[test]
    fn odd_tool_calls_do_not_panic() {
        let r = decode_response(
            br#"{"choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":{"a":1}}},{"id":"x"},{"function":{"arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#,
            "m",
            None,
        )
        .unwrap();
        let calls = &r.choices[0].tool_calls;
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].id, "call_0");
        assert_eq!(calls[0].args, json!({"a": 1}));
        assert_eq!(r.choices[0].finish_reason, Some(FinishReason::ToolCalls));
    }
}
