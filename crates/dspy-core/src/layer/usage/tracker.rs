//! [`UsageTracker`] and its snapshots.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::lm::{LmResponse, Usage};

/// Prices of one model, in dollars (or any currency) per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pricing {
    /// Price of a million prompt tokens.
    pub prompt_per_million: f64,
    /// Price of a million completion tokens.
    pub completion_per_million: f64,
}

impl Pricing {
    /// Prices per million prompt and completion tokens.
    pub fn per_million(prompt: f64, completion: f64) -> Pricing {
        Pricing {
            prompt_per_million: prompt,
            completion_per_million: completion,
        }
    }

    /// The cost of `usage`.
    pub fn cost(&self, usage: &Usage) -> f64 {
        (usage.prompt_tokens as f64 * self.prompt_per_million
            + usage.completion_tokens as f64 * self.completion_per_million)
            / 1_000_000.0
    }
}

/// What one model used.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ModelUsage {
    /// Calls answered (cache hits included).
    pub calls: u64,
    /// Of those, answered from a cache (no tokens).
    pub cached_calls: u64,
    /// Calls that failed (not in `calls`).
    pub failed_calls: u64,
    /// Summed token counts (saturating at `u64::MAX`).
    pub usage: Usage,
    /// Summed cost per the model's [`Pricing`]; zero without one.
    pub cost: f64,
}

impl ModelUsage {
    fn add(&mut self, other: &ModelUsage) {
        // Saturating, like `Usage` sums: totals never panic or wrap.
        self.calls = self.calls.saturating_add(other.calls);
        self.cached_calls = self.cached_calls.saturating_add(other.cached_calls);
        self.failed_calls = self.failed_calls.saturating_add(other.failed_calls);
        self.usage += other.usage;
        self.cost += other.cost;
    }
}

/// Usage totals at one moment, by model name.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct UsageSnapshot {
    /// Per model (DSPy's `get_lm_usage()` shape).
    pub by_model: BTreeMap<String, ModelUsage>,
}

impl UsageSnapshot {
    /// Every model together.
    pub fn total(&self) -> ModelUsage {
        let mut total = ModelUsage::default();
        for usage in self.by_model.values() {
            total.add(usage);
        }
        total
    }

    /// One model's usage, if it was called.
    pub fn model(&self, name: &str) -> Option<&ModelUsage> {
        self.by_model.get(name)
    }
}

/// A shared handle to running usage totals; clones share the totals.
///
/// See the [module docs](super) for an example.
#[derive(Debug, Clone, Default)]
pub struct UsageTracker {
    shared: Arc<Mutex<Totals>>,
}

#[derive(Debug, Default)]
struct Totals {
    by_model: HashMap<String, ModelUsage>,
    pricing: HashMap<String, Pricing>,
}

impl UsageTracker {
    /// Empty totals, no prices.
    pub fn new() -> UsageTracker {
        UsageTracker::default()
    }

    /// Prices calls to `model` (the name calls are recorded under) from now on.
    pub fn set_pricing(&self, model: impl Into<String>, pricing: Pricing) {
        self.lock().pricing.insert(model.into(), pricing);
    }

    /// Records one answered call to `model`.
    pub fn record(&self, model: &str, response: &LmResponse) {
        let mut totals = self.lock();
        let cost = totals
            .pricing
            .get(model)
            .map_or(0.0, |p| p.cost(&response.usage));
        totals.update(model, |entry| {
            entry.calls += 1;
            if response.cached {
                entry.cached_calls += 1;
            } else {
                entry.usage += response.usage;
                entry.cost += cost;
            }
        });
    }

    /// Records one failed call to `model`.
    pub fn record_failure(&self, model: &str) {
        self.lock().update(model, |entry| entry.failed_calls += 1);
    }

    /// The totals so far.
    pub fn snapshot(&self) -> UsageSnapshot {
        let totals = self.lock();
        UsageSnapshot {
            by_model: totals
                .by_model
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// Zeroes the totals (prices are kept).
    pub fn reset(&self) {
        self.lock().by_model.clear();
    }

    /// The totals so far, zeroing them in the same step (no call falls between).
    pub fn take(&self) -> UsageSnapshot {
        let by_model = std::mem::take(&mut self.lock().by_model);
        UsageSnapshot {
            by_model: by_model.into_iter().collect(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Totals> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Totals {
    /// Applies `f` to `model`'s entry, creating it if needed. Looks up by `&str` first so the
    /// common case allocates nothing.
    fn update(&mut self, model: &str, f: impl FnOnce(&mut ModelUsage)) {
        if let Some(entry) = self.by_model.get_mut(model) {
            f(entry);
            return;
        }
        let mut entry = ModelUsage::default();
        f(&mut entry);
        self.by_model.insert(model.to_owned(), entry);
    }
}
