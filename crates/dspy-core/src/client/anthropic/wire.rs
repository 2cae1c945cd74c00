//! The Messages API wire format: request bodies out, responses and stream events in.

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use dspy_adapters::{Message, Role};

use crate::client::http::sse::SseEvent;
use crate::client::http::status::{anthropic_error_status, classify_reported};
use crate::client::http::tokens::TokenCount;
use crate::client::http::StreamStep;
use crate::client::secret::ApiKey;
use crate::lm::{
    Choice, FinishReason, LmError, LmRequest, LmResponse, ResponseFormat, ToolCall, ToolSpec, Usage,
};

/// The JSON body of one Messages call.
pub(crate) struct MessagesBody<'a> {
    pub(crate) model: &'a str,
    pub(crate) request: &'a LmRequest,
    pub(crate) max_tokens: u32,
    pub(crate) stream: bool,
}

/// The tool a JSON-schema response format is turned into (Anthropic has no `response_format`):
/// the model is made to call it, and its input becomes the completion text.
pub(crate) fn forced_tool(request: &LmRequest) -> Option<(&str, &Value)> {
    match &request.response_format {
        Some(ResponseFormat::JsonSchema { name, schema, .. }) if request.tools.is_empty() => {
            Some((name.as_str(), schema))
        }
        _ => None,
    }
}

impl MessagesBody<'_> {
    fn wrote(&self, key: &str, forced: bool) -> bool {
        let r = self.request;
        match key {
            "model" | "max_tokens" | "messages" => true,
            "system" => r.messages.iter().any(|m| m.role == Role::System),
            "temperature" => r.temperature.is_some(),
            "stop_sequences" => !r.stop.is_empty(),
            "tools" => !r.tools.is_empty() || forced,
            "tool_choice" => forced,
            "stream" => self.stream,
            _ => false,
        }
    }
}

impl Serialize for MessagesBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.request;
        let forced = forced_tool(r);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("model", self.model)?;
        map.serialize_entry("max_tokens", &r.max_tokens.unwrap_or(self.max_tokens))?;
        let mut system = r.messages.iter().filter(|m| m.role == Role::System);
        if let Some(first) = system.next() {
            let mut text = first.content.clone();
            for more in system {
                text.push_str("\n\n");
                text.push_str(&more.content);
            }
            map.serialize_entry("system", &text)?;
        }
        map.serialize_entry("messages", &Turns(&r.messages))?;
        if let Some(t) = r.temperature {
            map.serialize_entry("temperature", &t)?;
        }
        if !r.stop.is_empty() {
            map.serialize_entry("stop_sequences", &r.stop)?;
        }
        if !r.tools.is_empty() {
            map.serialize_entry("tools", &WireTools(&r.tools))?;
        } else if let Some((name, schema)) = forced {
            let tool = json!({
                "name": name,
                "description": "Respond by calling this tool with the output fields as its input.",
                "input_schema": schema,
            });
            map.serialize_entry("tools", &[tool])?;
            map.serialize_entry("tool_choice", &json!({"type": "tool", "name": name}))?;
        }
        if self.stream {
            map.serialize_entry("stream", &true)?;
        }
        for (key, value) in &r.extra {
            if !self.wrote(key, forced.is_some()) {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

/// The non-system messages, as `{"role", "content"}` turns.
struct Turns<'a>(&'a [Message]);

impl Serialize for Turns<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().filter(|m| m.role != Role::System))
    }
}

struct WireTools<'a>(&'a [ToolSpec]);

impl Serialize for WireTools<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for tool in self.0 {
            seq.serialize_element(&WireTool {
                name: &tool.name,
                description: tool.description.as_deref(),
                input_schema: &tool.parameters,
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct WireTool<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    input_schema: &'a Value,
}

// ----- responses -----

#[derive(Deserialize)]
struct MessagesResponse {
    #[serde(default)]
    content: Option<Vec<Block>>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    input: Option<Value>,
}

/// Token counts, read leniently (see [`TokenCount`]): absurd ones saturate at `u64::MAX`.
#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<TokenCount>,
    #[serde(default)]
    output_tokens: Option<TokenCount>,
    #[serde(default)]
    cache_creation_input_tokens: Option<TokenCount>,
    #[serde(default)]
    cache_read_input_tokens: Option<TokenCount>,
}

/// A successful Messages body as a one-choice [`LmResponse`]. `forced` names the tool a
/// JSON-schema format became; its input is returned as the text.
pub(crate) fn decode_response(
    body: &[u8],
    model: &str,
    forced: Option<&str>,
    key: Option<&ApiKey>,
) -> Result<LmResponse, LmError> {
    let response: MessagesResponse = serde_json::from_slice(body).map_err(|e| LmError::Decode {
        message: format!("invalid Messages API JSON: {e}"),
    })?;
    let Some(blocks) = response.content else {
        return Err(match response.error {
            Some(error) => classify_reported(error_status(&error), &error, key),
            None => LmError::Decode {
                message: "the Messages API response has no `content`".to_owned(),
            },
        });
    };
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    let mut answered_forced = false;
    for block in blocks {
        match block.kind.as_str() {
            "text" => text.push_str(block.text.as_deref().unwrap_or_default()),
            "tool_use" => {
                let input = block.input.unwrap_or_else(|| Value::Object(Map::new()));
                let Some(name) = block.name else { continue };
                if forced == Some(name.as_str()) {
                    text.push_str(&input.to_string());
                    answered_forced = true;
                } else {
                    tool_calls.push(ToolCall {
                        id: block.id.unwrap_or_default(),
                        name,
                        args: input,
                    });
                }
            }
            _ => {} // thinking, redacted_thinking, server tools: not part of the completion
        }
    }
    let finish_reason = match response.stop_reason.as_deref() {
        Some("tool_use") if answered_forced && tool_calls.is_empty() => Some(FinishReason::Stop),
        Some(reason) => Some(finish_reason(reason)),
        None => None,
    };
    let usage = response.usage.unwrap_or_default();
    let count = |c: Option<TokenCount>| TokenCount::get(c).unwrap_or(0);
    let prompt = count(usage.input_tokens)
        .saturating_add(count(usage.cache_creation_input_tokens))
        .saturating_add(count(usage.cache_read_input_tokens));
    let completion = count(usage.output_tokens);
    Ok(LmResponse {
        choices: vec![Choice {
            text,
            tool_calls,
            finish_reason,
        }],
        usage: Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt.saturating_add(completion),
        },
        model: response.model.unwrap_or_else(|| model.to_owned()),
        cached: false,
    })
}

fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "end_turn" | "stop_sequence" => FinishReason::Stop,
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_owned()),
    }
}

fn error_status(error: &Value) -> u16 {
    anthropic_error_status(error.get("type").and_then(Value::as_str).unwrap_or(""))
}

// ----- streaming -----

#[derive(Deserialize)]
struct StreamEvent {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    delta: Option<StreamDelta>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct StreamDelta {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    partial_json: Option<String>,
}

/// One Messages stream event: text deltas (and, for a forced JSON tool, its input JSON),
/// `message_stop`, or an `error` event.
pub(crate) fn decode_stream_event(
    event: &SseEvent,
    forced: bool,
    key: Option<&ApiKey>,
) -> StreamStep {
    let data = event.data.trim();
    if data.is_empty() {
        return match event.event.as_str() {
            "message_stop" => StreamStep::Done,
            _ => StreamStep::Skip,
        };
    }
    let parsed: StreamEvent = match serde_json::from_str(data) {
        Ok(parsed) => parsed,
        Err(e) => {
            return StreamStep::Fail(LmError::Decode {
                message: format!("invalid JSON in a stream event: {e}"),
            })
        }
    };
    let kind = if parsed.kind.is_empty() {
        event.event.as_str()
    } else {
        parsed.kind.as_str()
    };
    match kind {
        "content_block_delta" => match parsed.delta {
            Some(StreamDelta {
                kind,
                text: Some(text),
                ..
            }) if kind == "text_delta" => StreamStep::Delta(text),
            Some(StreamDelta {
                kind,
                partial_json: Some(json),
                ..
            }) if forced && kind == "input_json_delta" => StreamStep::Delta(json),
            _ => StreamStep::Skip,
        },
        "message_stop" => StreamStep::Done,
        "error" => {
            let error = parsed.error.unwrap_or(Value::Null);
            StreamStep::Fail(classify_reported(error_status(&error), &error, key))
        }
        _ => StreamStep::Skip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_messages_become_the_system_field() {
        let r = LmRequest::new(vec![
            Message::system("a"),
            Message::user("u"),
            Message::system("b"),
        ]);
        let body = serde_json::to_value(MessagesBody {
            model: "claude",
            request: &r,
            max_tokens: 4096,
            stream: false,
        })
        .unwrap();
        assert_eq!(
            body,
            json!({"model": "claude", "max_tokens": 4096, "system": "a\n\nb",
                   "messages": [{"role": "user", "content": "u"}]})
        );
    }

    #[test]
    fn json_schema_becomes_a_forced_tool() {
        let r =
            LmRequest::new(vec![Message::user("u")]).response_format(ResponseFormat::JsonSchema {
                name: "Out".into(),
                schema: json!({"type": "object"}),
                strict: true,
            });
        let body = serde_json::to_value(MessagesBody {
            model: "c",
            request: &r,
            max_tokens: 10,
            stream: false,
        })
        .unwrap();
        assert_eq!(body["tools"][0]["name"], "Out");
        assert_eq!(body["tool_choice"], json!({"type": "tool", "name": "Out"}));
        let resp = decode_response(
            br#"{"content":[{"type":"tool_use","id":"t","name":"Out","input":{"answer":"4"}}],"stop_reason":"tool_use"}"#,
            "c",
            Some("Out"),
            None,
        )
        .unwrap();
        assert_eq!(resp.choices[0].text, r#"{"answer":"4"}"#);
        assert!(resp.choices[0].tool_calls.is_empty());
        assert_eq!(resp.choices[0].finish_reason, Some(FinishReason::Stop));
    }

    #[test]
    fn absurd_usage_saturates() {
        let usage = |json: &str| {
            let body = format!(r#"{{"content":[{{"type":"text","text":"x"}}],"usage":{json}}}"#);
            decode_response(body.as_bytes(), "c", None, None)
                .unwrap()
                .usage
        };
        let max = u64::MAX;
        // Input plus both cache counts, and prompt plus completion, saturate.
        let u = usage(
            r#"{"input_tokens":18446744073709551615,"cache_creation_input_tokens":18446744073709551615,"cache_read_input_tokens":1,"output_tokens":18446744073709551615}"#,
        );
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (max, max, max)
        );
        let u = usage(r#"{"input_tokens":1e300,"output_tokens":99999999999999999999999}"#);
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (max, max, max)
        );
        let u = usage(r#"{"input_tokens":1000000000000000,"output_tokens":-1}"#);
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (1_000_000_000_000_000, 0, 1_000_000_000_000_000)
        );
    }

    #[test]
    fn odd_bodies_do_not_panic() {
        assert!(matches!(
            decode_response(b"{}", "c", None, None),
            Err(LmError::Decode { .. })
        ));
        let err = decode_response(
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            "c",
            None,
            None,
        )
        .unwrap_err();
        assert!(matches!(err, LmError::Server { status: 529, .. }));
        let resp = decode_response(
            br#"{"content":[{"type":"thinking"},{"type":"tool_use"},{"text":"x"},{"type":"text","text":"ok"}]}"#,
            "c",
            None,
            None,
        )
        .unwrap();
        assert_eq!(resp.choices[0].text, "ok");
        assert_eq!(resp.model, "c");
    }
}
