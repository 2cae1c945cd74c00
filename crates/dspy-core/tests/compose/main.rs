//! Composite modules: `BestOfN`, `Refine`, `MultiChainComparison`, `majority` and `Parallel`,
//! and their parity with Python DSPy 3.4.1 (`parity`).

mod best_of_n;
mod multi_chain_comparison;
mod parallel;
mod parity;
mod refine;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use dspy_core::adapters::{AdapterKind, Values};
use dspy_core::compose::{
    majority, offer_feedback, reward_fn, BestOfN, Majority, MultiChainComparison, Parallel, Refine,
};
use dspy_core::example::{Example, Prediction};
use dspy_core::lm::{BoxFuture, LmError, LmRequest, SharedLm};
use dspy_core::module::{Module, ModuleExt, ModuleField};
use dspy_core::predict::{ChainOfThought, LmConfig, Predict};
use dspy_core::{settings, trace, Error};
use dspy_testkit::{ConcurrencyProbe, ScriptedLm};

fn question(q: &str) -> Values {
    [("question".to_string(), Value::from(q))]
        .into_iter()
        .collect()
}

fn qa() -> Predict {
    Predict::parse("question -> answer").unwrap()
}

fn answers(texts: &[&str]) -> Arc<ScriptedLm> {
    Arc::new(ScriptedLm::from_outputs(
        texts.iter().map(|t| vec![("answer", *t)]),
    ))
}

fn rollouts(lm: &ScriptedLm) -> Vec<(Option<u64>, Option<f64>)> {
    lm.requests()
        .iter()
        .map(|r| (r.rollout_id, r.temperature))
        .collect()
}

fn exact_brussels() -> impl Fn(&Values, &Prediction) -> f64 + Send + Sync + 'static {
    |_: &Values, p: &Prediction| {
        if p.get_str("answer") == Some("Brussels") {
            1.0
        } else {
            0.0
        }
    }
}

fn names<M: Module>(m: &M) -> Vec<String> {
    m.named_predictors().into_iter().map(|(n, _)| n).collect()
}
