//! What an LM answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The answer to one [`LmRequest`](super::LmRequest).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LmResponse {
    /// One entry per completion (`n` of them).
    pub choices: Vec<Choice>,
    /// Token counts (zero for cache hits).
    pub usage: Usage,
    /// The model that answered, as the provider names it.
    pub model: String,
    /// True when the answer came from a cache, not the provider.
    #[serde(default)]
    pub cached: bool,
}

impl LmResponse {
    /// A response with one text completion.
    pub fn text(model: impl Into<String>, text: impl Into<String>) -> LmResponse {
        LmResponse {
            choices: vec![Choice::text(text)],
            usage: Usage::default(),
            model: model.into(),
            cached: false,
        }
    }

    /// The first completion's text, if any.
    pub fn first_text(&self) -> Option<&str> {
        self.choices.first().map(|c| c.text.as_str())
    }
}

/// One completion.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Choice {
    /// Generated text (empty when the model only called tools).
    pub text: String,
    /// Tool calls the model made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// Why generation stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<FinishReason>,
}

impl Choice {
    /// A text completion that stopped normally.
    pub fn text(text: impl Into<String>) -> Choice {
        Choice {
            text: text.into(),
            tool_calls: Vec::new(),
            finish_reason: Some(FinishReason::Stop),
        }
    }
}

/// A tool call made by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Provider's call id.
    pub id: String,
    /// Tool name.
    pub name: String,
    /// Arguments (JSON; repaired when the provider sent near-JSON).
    pub args: Value,
}

/// Why a completion ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FinishReason {
    /// Natural end or a stop sequence.
    Stop,
    /// `max_tokens` reached.
    Length,
    /// The model called tools.
    ToolCalls,
    /// The provider filtered the content.
    ContentFilter,
    /// Anything else, as the provider named it.
    Other(String),
}

/// Token counts of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
    /// Sum of both.
    pub total_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, rhs: Usage) {
        self.prompt_tokens += rhs.prompt_tokens;
        self.completion_tokens += rhs.completion_tokens;
        self.total_tokens += rhs.total_tokens;
    }
}
