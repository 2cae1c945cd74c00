//! The LM interface: one async call from an [`LmRequest`] to an [`LmResponse`].
//!
//! Everything else — provider clients, caching, retries, rate limits, usage accounting — is built
//! on [`LanguageModel`]: clients implement it, and layers wrap any implementation in another.
//! Programs hold `Arc<dyn LanguageModel>` and can switch LM per call or per scope.

mod error;
pub(crate) mod params;
mod request;
mod response;
mod rollout;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

#[doc(inline)]
pub use crate::client::{from_model, Lm, LmOptions};
pub use error::{LmError, ResponseLimit};
pub use params::GenerationParams;
pub use request::{CacheMode, LmRequest, ResponseFormat, ToolSpec};
pub use response::{Choice, FinishReason, LmResponse, ToolCall, Usage};
pub use rollout::RolloutLm;

/// A boxed, sendable future, as [`LanguageModel::call`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A shared, dynamically typed LM.
pub type SharedLm = Arc<dyn LanguageModel>;

/// A language model: sends one request, returns its completions.
///
/// Object-safe, `Send + Sync`: programs hold `Arc<dyn LanguageModel>`.
///
/// ```
/// use dspy_core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};
///
/// /// Answers every prompt with its last message, reversed.
/// #[derive(Debug)]
/// struct Reverse;
///
/// impl LanguageModel for Reverse {
///     fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
///         Box::pin(async move {
///             let last = request.messages.last().map(|m| m.content.chars().rev().collect::<String>());
///             Ok(LmResponse::text("reverse", last.unwrap_or_default()))
///         })
///     }
///     fn model(&self) -> &str {
///         "reverse"
///     }
/// }
/// ```
pub trait LanguageModel: Send + Sync + fmt::Debug {
    /// Sends `request` and waits for the answer.
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>>;

    /// The model name, DSPy style (`openai/gpt-4o-mini`, `local/smollm2-135m`).
    fn model(&self) -> &str;

    /// Whether the model takes `tools` and answers with tool calls (DSPy's
    /// `supports_function_calling`). Adapters in native function-calling mode send a
    /// signature's tools only to models that do; others get the tools as a prompt field.
    /// Default: true. Layers answer for the model they wrap.
    fn supports_function_calling(&self) -> bool {
        true
    }
}

impl<T: LanguageModel + ?Sized> LanguageModel for Arc<T> {
    fn call(&self, request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        (**self).call(request)
    }

    fn model(&self) -> &str {
        (**self).model()
    }

    fn supports_function_calling(&self) -> bool {
        (**self).supports_function_calling()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_object_safe() {
        fn takes(_: Option<&dyn LanguageModel>) {}
        takes(None);
    }
}
