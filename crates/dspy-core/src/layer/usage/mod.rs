//! Token and cost accounting.
//!
//! [`TrackUsage`] records every call's usage in a [`UsageTracker`]: per model, the number of
//! calls (cache hits and failures counted apart), summed token counts and, when a [`Pricing`]
//! is set for the model, the cost. Cache hits add no tokens (DSPy reports empty usage for
//! them). Read totals with [`UsageTracker::snapshot`], start a new run with
//! [`UsageTracker::reset`] or [`UsageTracker::take`].
//!
//! ```
//! use dspy_core::layer::usage::{Pricing, UsageTracker};
//! use dspy_core::lm::{LmResponse, Usage};
//!
//! let tracker = UsageTracker::new();
//! tracker.set_pricing("openai/gpt-4o-mini", Pricing::per_million(0.15, 0.60));
//! let mut response = LmResponse::text("gpt-4o-mini", "hi");
//! response.usage = Usage { prompt_tokens: 1_000, completion_tokens: 100, total_tokens: 1_100 };
//! tracker.record("openai/gpt-4o-mini", &response);
//!
//! let run = tracker.take();
//! assert_eq!(run.total().usage.total_tokens, 1_100);
//! assert!((run.total().cost - 0.00021).abs() < 1e-12);
//! assert_eq!(tracker.snapshot().total().calls, 0);
//! ```

mod layer;
mod tracker;

pub use layer::{TrackUsage, UsageLayer};
pub use tracker::{ModelUsage, Pricing, UsageSnapshot, UsageTracker};
