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

    /// The same completion with these tool calls; a completion with calls ends with
    /// [`FinishReason::ToolCalls`].
    pub fn with_tool_calls(mut self, calls: Vec<ToolCall>) -> Choice {
        if !calls.is_empty() {
            self.finish_reason = Some(FinishReason::ToolCalls);
        }
        self.tool_calls = calls;
        self
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
///
/// Sums saturate at `u64::MAX` instead of overflowing: a provider reporting absurd usage cannot
/// make adding it up panic or wrap around.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
    /// Sum of both.
    pub total_tokens: u64,
}

impl std::ops::Add for Usage {
    type Output = Usage;

    /// Field-wise saturating sum.
    fn add(self, rhs: Usage) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens.saturating_add(rhs.prompt_tokens),
            completion_tokens: self.completion_tokens.saturating_add(rhs.completion_tokens),
            total_tokens: self.total_tokens.saturating_add(rhs.total_tokens),
        }
    }
}

impl std::ops::AddAssign for Usage {
    /// Field-wise saturating sum.
    fn add_assign(&mut self, rhs: Usage) {
        *self = *self + rhs;
    }
}

impl std::iter::Sum for Usage {
    fn sum<I: Iterator<Item = Usage>>(iter: I) -> Usage {
        iter.fold(Usage::default(), |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_sums_saturate() {
        let huge = Usage {
            prompt_tokens: u64::MAX,
            completion_tokens: u64::MAX - 1,
            total_tokens: u64::MAX,
        };
        let small = Usage {
            prompt_tokens: 1,
            completion_tokens: 5,
            total_tokens: 6,
        };
        let mut sum = huge;
        sum += small;
        assert_eq!(
            sum,
            Usage {
                prompt_tokens: u64::MAX,
                completion_tokens: u64::MAX,
                total_tokens: u64::MAX,
            }
        );
        assert_eq!(huge + small, sum);
        assert_eq!([small, small].into_iter().sum::<Usage>().total_tokens, 12);
        assert_eq!([huge, huge, small].into_iter().sum::<Usage>(), sum);
    }
}
