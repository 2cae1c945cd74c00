//! [`Refine`]: [`BestOfN`](super::BestOfN) that asks the LM for advice after each attempt
//! below the threshold and shows it to the next attempt.

mod feedback;
mod hint;
mod orjson;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use dspy_adapters::render::py_repr::py_str;
use dspy_adapters::{AdapterKind, IntoAdapter, SharedAdapter, Values};

use super::attempt::{check_lms, Attempts, Rollout};
use super::reward::{Reward, SharedReward};
use crate::example::Prediction;
use crate::lm::{BoxFuture, SharedLm};
use crate::module::{naming, Module};
use crate::predict::{CallOptions, Predict, PredictorId};
use crate::{settings, Error};

pub use feedback::offer_feedback;
pub use hint::{HintAdapter, HINT_DESC, HINT_FIELD};

/// The `reward_code` the feedback LM sees unless [`Refine::reward_code`] sets one.
pub const DEFAULT_REWARD_CODE: &str = "reward function";

/// DSPy's `dspy.Refine`: like [`BestOfN`](super::BestOfN) (attempt `i` on a copy of the module
/// as rollout `i` at temperature 1.0, the first reward reaching `threshold` stops, else the
/// best is returned, the same failure budget and trace), but after each attempt below the
/// threshold, except the last, it asks the LM for advice and the next attempt sees it.
///
/// The advice comes from DSPy's [`offer_feedback`] signature, given the program, its
/// predictors (DSPy's `inspect_modules` text), the attempt's inputs, predictor calls and
/// outputs (as orjson-indented JSON), the reward function, the threshold and the reward. Its
/// `advice` maps predictor names to text. The next attempt shows each predictor its advice (or
/// `N/A`) in an extra `hint_` input field through a [`HintAdapter`] around the predictor's
/// adapter (its own, else the scoped or global one, else Chat), as DSPy's `WrapperAdapter`
/// does. The feedback call uses the [`feedback_lm`](Refine::feedback_lm), else the scoped or
/// global LM (DSPy's `dspy.settings.lm`), else the module's first predictor's own LM; it is
/// recorded in the caller's trace, as in DSPy. A failed feedback call counts as a failed
/// attempt, and the last advice stays.
///
/// DSPy shows the feedback LM the Python source of the module's class and of the reward
/// function (`inspect.getsource`). Rust has no source code at run time, so both are strings
/// you may set: [`program_code`](Refine::program_code) (default: the module's type and its
/// predictors' signatures) and [`reward_code`](Refine::reward_code) (default
/// [`DEFAULT_REWARD_CODE`]).
///
/// Its predictors are the module's under the name `module`, as in DSPy.
///
/// Differences from DSPy besides those of `BestOfN`: a predictor whose completion falls back
/// to the JSON adapter is not shown its hint in that second call (DSPy's fallback keeps it);
/// the hint is left out of the recorded trace (DSPy's `TODO`), though the feedback LM still
/// sees it in the trajectory, as in DSPy; each predictor gets its own advice (DSPy looks the
/// advice up by signature class, so two predictors built from one class-based signature both
/// get the later one's); rewards are numbers, so a `bool` or `int` reward is shown as `1.0`
/// or `0.0` (DSPy shows `true`, `false` or `1`).
///
/// ```
/// use std::sync::Arc;
/// use dspy_core::compose::{reward_fn, Refine};
/// use dspy_core::module::Module;
/// use dspy_core::predict::Predict;
/// use dspy_core::settings;
/// use dspy_testkit::ScriptedLm;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let lm = Arc::new(ScriptedLm::from_outputs([
///     vec![("answer", "The city of Brussels")],
///     vec![("discussion", "Too long."), ("advice", r#"{"self": "Answer in one word."}"#)],
///     vec![("answer", "Brussels")],
/// ]));
/// let qa = Predict::parse("question -> answer").unwrap();
/// let one_word = reward_fn(|_, pred| pred.get_str("answer").is_some_and(|a| !a.contains(' ')));
/// let refine = Refine::new(qa, 3, one_word, 1.0).reward_code("def one_word(args, pred): ...");
///
/// let inputs = [("question".to_string(), "What is the capital of Belgium?".into())];
/// let pred = settings::with_lm(lm.clone(), refine.forward(inputs.into_iter().collect())).await.unwrap();
/// assert_eq!(pred.get_str("answer"), Some("Brussels"));
/// let third = &lm.requests()[2].messages[1].content;
/// assert!(third.contains("[[ ## hint_ ## ]]\nAnswer in one word."));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Refine<M> {
    module: M,
    n: usize,
    reward: SharedReward,
    threshold: f64,
    fail_count: Option<usize>,
    rollout_start: u64,
    program_code: Option<String>,
    reward_code: String,
    feedback_lm: Option<SharedLm>,
}

/// What follows an attempt that ran.
enum Next {
    /// Stop: the threshold was reached, or this was the last attempt.
    Stop,
    /// Try again with this advice.
    Retry(Values),
}

impl<M: Module + Clone> Refine<M> {
    /// Up to `n` attempts of `module`, scored by `reward`, stopping at the first reward of at
    /// least `threshold` (DSPy's `threshold=None` is `f64::INFINITY`, which the feedback LM
    /// sees as `null`, as DSPy shows `None`).
    pub fn new(module: M, n: usize, reward: impl Reward + 'static, threshold: f64) -> Refine<M> {
        Refine {
            module,
            n,
            reward: SharedReward(Arc::new(reward)),
            threshold,
            fail_count: None,
            rollout_start: 0,
            program_code: None,
            reward_code: DEFAULT_REWARD_CODE.to_string(),
            feedback_lm: None,
        }
    }

    /// The failure budget (DSPy's `fail_count`; `n` when unset or 0).
    pub fn fail_count(mut self, fail_count: usize) -> Refine<M> {
        self.fail_count = Some(fail_count);
        self
    }

    /// The rollout id of the first attempt (0 unless set).
    pub fn rollout_start(mut self, start: u64) -> Refine<M> {
        self.rollout_start = start;
        self
    }

    /// The program's code as the feedback LM sees it (DSPy's `inspect.getsource` of the
    /// module's class).
    pub fn program_code(mut self, code: impl Into<String>) -> Refine<M> {
        self.program_code = Some(code.into());
        self
    }

    /// The reward function's code as the feedback LM sees it (DSPy's `inspect.getsource` of
    /// the reward function).
    pub fn reward_code(mut self, code: impl Into<String>) -> Refine<M> {
        self.reward_code = code.into();
        self
    }

    /// The LM that gives the advice.
    pub fn feedback_lm(mut self, lm: SharedLm) -> Refine<M> {
        self.feedback_lm = Some(lm);
        self
    }

    /// The module it runs.
    pub fn module(&self) -> &M {
        &self.module
    }

    /// Mutable access to the module it runs.
    pub fn module_mut(&mut self) -> &mut M {
        &mut self.module
    }

    /// The `program_code` the feedback LM sees: the one set, else a description of the module.
    ///
    /// ```
    /// use dspy_core::compose::Refine;
    /// use dspy_core::predict::ChainOfThought;
    ///
    /// let refine = Refine::new(ChainOfThought::parse("question -> answer").unwrap(), 2, |_: &_, _: &_| 1.0, 1.0);
    /// assert_eq!(
    ///     refine.code(),
    ///     "ChainOfThought (a Rust module; its source code is not available at run time) with the predictors:\n- predict: question -> reasoning, answer"
    /// );
    /// ```
    pub fn code(&self) -> String {
        match &self.program_code {
            Some(code) => code.clone(),
            None => describe_module(&self.module),
        }
    }

    async fn run(&self, inputs: Values) -> Result<Prediction, Error> {
        let base = settings::lm();
        check_lms(&self.module, base.as_ref())?;
        let adapter = settings::adapter().unwrap_or_else(|| AdapterKind::Chat.into_adapter());
        let program_code = self.code();
        let mut advice: Option<Values> = None;
        let mut attempts = Attempts::new("Refine", self.n, self.fail_count);
        for idx in 0..self.n {
            let rollout_id = self.rollout_start.wrapping_add(idx as u64);
            let mut rollout = Rollout::new(&self.module, base.as_ref(), rollout_id);
            let hints = advice
                .as_ref()
                .filter(|a| !a.is_empty())
                .map(|a| give_hints(&mut rollout.module, a, &adapter));
            let context = Context {
                inputs: &inputs,
                idx,
                hints: hints.as_ref(),
                program_code: &program_code,
                base: base.as_ref(),
            };
            match self.attempt(&rollout, context, &mut attempts).await {
                Ok(Next::Stop) => break,
                Ok(Next::Retry(new)) => advice = Some(new),
                Err(error) => attempts.fail(idx, rollout_id, error)?,
            }
        }
        attempts.finish()
    }

    /// Runs one attempt, keeps it if it is the best, and asks for advice when another
    /// attempt follows.
    async fn attempt(
        &self,
        rollout: &Rollout<M>,
        cx: Context<'_>,
        attempts: &mut Attempts,
    ) -> Result<Next, Error> {
        let attempt = rollout.run(cx.inputs, &*self.reward.0).await?;
        attempts.keep(rollout, &attempt);
        if attempt.reward >= self.threshold || cx.idx + 1 == self.n {
            return Ok(Next::Stop);
        }
        let named = rollout.module.named_predictors();
        let module_names: Vec<String> = named.iter().map(|(n, _)| n.clone()).collect();
        let by_id: HashMap<PredictorId, &str> =
            named.iter().map(|(n, p)| (p.id(), n.as_str())).collect();
        let trajectory = attempt
            .trace
            .iter()
            .filter_map(|entry| {
                let Some(name) = by_id.get(&entry.predictor) else {
                    tracing::warn!("Refine: a traced call of a predictor outside the module is left out of the trajectory");
                    return None;
                };
                let mut inputs = entry.inputs.clone();
                if let Some(hint) = cx.hints.and_then(|h| h.get(*name)) {
                    inputs.insert(HINT_FIELD.to_string(), hint.as_str().into());
                }
                Some(feedback::Step {
                    module_name: name,
                    inputs,
                    outputs: entry.prediction.values(),
                })
            })
            .collect();
        let report = feedback::Report {
            program_code: cx.program_code,
            modules_defn: feedback::inspect_modules(&rollout.module),
            program_inputs: cx.inputs,
            trajectory,
            program_outputs: attempt.prediction.values(),
            reward_code: &self.reward_code,
            target_threshold: self.threshold,
            reward_value: attempt.reward,
            module_names: &module_names,
        };
        let lm = self
            .feedback_lm
            .clone()
            .or_else(|| cx.base.cloned())
            .or_else(|| own_lm(&self.module));
        let options = CallOptions {
            lm,
            ..CallOptions::default()
        };
        let predict = Predict::new(offer_feedback().clone());
        let feedback = predict.call(report.into_inputs(), options).await?;
        let advice = match feedback.get("advice") {
            Some(Value::Object(advice)) => advice.clone(),
            _ => Values::new(),
        };
        Ok(Next::Retry(advice))
    }
}

/// What one attempt needs from the call.
struct Context<'a> {
    inputs: &'a Values,
    idx: usize,
    /// Each predictor's hint by name, when this attempt runs with advice.
    hints: Option<&'a HashMap<String, String>>,
    program_code: &'a str,
    base: Option<&'a SharedLm>,
}

/// Wraps each predictor's adapter in a [`HintAdapter`] with its advice (`N/A` when the advice
/// names it not); returns the hints by predictor name.
fn give_hints<M: Module>(
    module: &mut M,
    advice: &Values,
    adapter: &SharedAdapter,
) -> HashMap<String, String> {
    let mut hints = HashMap::new();
    for (name, p) in module.named_predictors_mut() {
        let hint = match advice.get(&name) {
            Some(value) => py_str(value),
            None => "N/A".to_string(),
        };
        let inner = p.adapter().cloned().unwrap_or_else(|| adapter.clone());
        p.set_adapter(HintAdapter::new(inner, hint.clone()));
        hints.insert(name, hint);
    }
    hints
}

/// The first LM a predictor of `module` holds.
fn own_lm<M: Module>(module: &M) -> Option<SharedLm> {
    module
        .named_predictors()
        .into_iter()
        .find_map(|(_, p)| p.lm().cloned())
}

/// What an LM is shown as a Rust program's code (the `program_code` of Refine's and SIMBA's
/// `OfferFeedback`, where DSPy shows Python source): the module's type and its predictors'
/// field names.
pub fn describe_module<M: Module>(module: &M) -> String {
    let mut out = format!(
        "{} (a Rust module; its source code is not available at run time) with the predictors:",
        short_type_name(std::any::type_name::<M>())
    );
    for (name, p) in module.named_predictors() {
        out.push_str(&format!("\n- {name}: {}", p.signature().field_names()));
    }
    out
}

/// `a::b::Outer<c::Inner>` as `Outer<Inner>`.
fn short_type_name(full: &str) -> String {
    let mut out = String::new();
    let mut segment = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            segment.push(c);
        } else {
            out.push_str(segment.rsplit("::").next().unwrap_or(&segment));
            segment.clear();
            out.push(c);
        }
    }
    out.push_str(segment.rsplit("::").next().unwrap_or(&segment));
    out
}

impl<M: Module + Clone> Module for Refine<M> {
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        Box::pin(self.run(inputs))
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        naming::nest("module", self.module.named_predictors())
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        naming::nest("module", self.module.named_predictors_mut())
    }
}
