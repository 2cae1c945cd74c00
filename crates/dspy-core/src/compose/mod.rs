//! Composite modules built from other modules, as in DSPy's `dspy.predict`:
//!
//! - [`BestOfN`]: runs a module up to N times (fresh rollouts at temperature 1.0) and keeps
//!   the first prediction whose reward reaches a threshold, else the best one.
//! - [`Refine`]: `BestOfN` that asks the LM for advice ([`offer_feedback`]) after an attempt
//!   below the threshold and shows it to the next attempt as a `hint_` input
//!   ([`HintAdapter`]).
//! - [`MultiChainComparison`]: compares M reasoning attempts and writes a corrected one.
//! - [`Majority`] and [`majority`]: DSPy's vote over completions or predictions, with
//!   [`normalize_text`].
//! - [`Parallel`]: many (module, inputs) pairs at once, in order, with a concurrency limit and
//!   an error budget.
//!
//! `BestOfN`, `Refine` and `MultiChainComparison` are [`Module`](crate::module::Module)s: put
//! them in a `#[module]` struct and optimizers and save/load see their predictors under DSPy's
//! names (`module...` for the first two, `predict` for the last). A [`Reward`] scores attempts:
//! any closure from the inputs and the prediction to a number or a `bool`.
//!
//! ```
//! use std::sync::Arc;
//! use dspy_core::compose::{reward_fn, BestOfN};
//! use dspy_core::module::Module;
//! use dspy_core::predict::Predict;
//! use dspy_core::settings;
//! use dspy_testkit::ScriptedLm;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let lm = Arc::new(ScriptedLm::from_outputs([[("answer", "4")]]));
//! let qa = BestOfN::new(Predict::parse("question -> answer").unwrap(), 3, reward_fn(|_, _| true), 1.0);
//! let inputs = [("question".to_string(), "2 + 2?".into())].into_iter().collect();
//! let pred = settings::with_lm(lm, qa.forward(inputs)).await.unwrap();
//! assert_eq!(pred.get_str("answer"), Some("4"));
//! # });
//! ```

mod aggregation;
mod attempt;
mod best_of_n;
mod multi_chain_comparison;
mod parallel;
mod refine;
mod reward;

pub use aggregation::{default_normalize, majority, normalize_text, Majority, Normalize, Reduce};
pub use best_of_n::BestOfN;
pub use multi_chain_comparison::{MultiChainComparison, RATIONALE_PREFIX};
pub use parallel::{Parallel, ParallelResults};
pub use refine::{
    describe_module, offer_feedback, HintAdapter, Refine, DEFAULT_REWARD_CODE, HINT_DESC,
    HINT_FIELD,
};
pub use reward::{reward_fn, Reward};
