//! [`Predict`]: one LM call for one signature — format the prompt, call the LM, parse each
//! completion — and [`ChainOfThought`], a `Predict` that reasons first.
//!
//! ```no_run
//! use dspy_core::predict::Predict;
//! use dspy_core::example::Example;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let qa = Predict::parse("question -> answer")?;
//! // Uses the LM configured with `dspy_core::settings::configure`.
//! let pred = qa.forward(Example::new().with("question", "What is 2 + 2?")).await?;
//! println!("{}", pred.get_str("answer").unwrap_or_default());
//! # Ok(())
//! # }
//! ```

mod call;
mod chain_of_thought;
mod config;
mod function_calling;
mod id;
mod structured;

use std::fmt;

use serde_json::Value;

use dspy_adapters::signature::SignatureSyntaxError;
use dspy_adapters::{FieldSpec, IntoAdapter, SharedAdapter, SignatureSpec};

use crate::example::Example;
use crate::lm::SharedLm;

pub use call::CallOptions;
pub use chain_of_thought::{reasoning_field, ChainOfThought};
pub use config::{LmConfig, StructuredOutput};
pub use id::PredictorId;

/// DSPy's `dspy.Predict`: a signature, its demos, and the settings of its LM calls.
///
/// This is the *dynamic* predictor: its signature is a [`SignatureSpec`] (a string signature or
/// one built at run time), inputs are [`Values`](dspy_adapters::Values), the result a
/// [`Prediction`](crate::example::Prediction). For a `#[derive(Signature)]` struct use the
/// typed [`typed::Predict<S>`](crate::typed::Predict), which wraps this one.
///
/// Its state — instructions, field descriptions and prefixes, demos — is what optimizers change
/// and what [`save`](crate::module::ModuleExt::save) writes.
///
/// ```
/// use dspy_core::predict::{LmConfig, Predict};
/// use dspy_core::adapters::AdapterKind;
///
/// let mut p = Predict::parse("question -> answer: int")
///     .unwrap()
///     .with_adapter(AdapterKind::Json)
///     .with_config(LmConfig::default().temperature(0.3));
/// p.set_instructions("Answer with a number.");
/// assert_eq!(p.signature().instructions(), "Answer with a number.");
/// ```
pub struct Predict {
    id: PredictorId,
    spec: SignatureSpec,
    demos: Vec<Example>,
    config: LmConfig,
    lm: Option<SharedLm>,
    adapter: Option<SharedAdapter>,
    json_fallback: bool,
    pub(crate) extras: SavedExtras,
}

/// Parts of a saved predictor this crate keeps but does not use, so a load–save round trip
/// writes them back unchanged.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SavedExtras {
    pub(crate) traces: Vec<Value>,
    pub(crate) train: Vec<Value>,
    /// The saved `lm` object (DSPy's `LM.dump_state()`), when the file had one.
    pub(crate) lm_state: Option<Value>,
    /// DSPy's experimental per-field decision config (`fields`), when the file had one.
    pub(crate) fields: Option<Value>,
}

impl Clone for Predict {
    /// A copy with its own [`PredictorId`].
    fn clone(&self) -> Predict {
        Predict {
            id: PredictorId::fresh(),
            spec: self.spec.clone(),
            demos: self.demos.clone(),
            config: self.config.clone(),
            lm: self.lm.clone(),
            adapter: self.adapter.clone(),
            json_fallback: self.json_fallback,
            extras: self.extras.clone(),
        }
    }
}

impl fmt::Debug for Predict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Predict")
            .field("id", &self.id)
            .field("instructions", &self.spec.instructions())
            .field(
                "inputs",
                &self
                    .spec
                    .inputs()
                    .iter()
                    .map(|f| &f.name)
                    .collect::<Vec<_>>(),
            )
            .field(
                "outputs",
                &self
                    .spec
                    .outputs()
                    .iter()
                    .map(|f| &f.name)
                    .collect::<Vec<_>>(),
            )
            .field("demos", &self.demos.len())
            .field("config", &self.config)
            .field("lm", &self.lm.as_ref().map(|lm| lm.model().to_string()))
            .field("adapter", &self.adapter.as_ref().map(|a| a.kind()))
            .finish()
    }
}

impl Predict {
    /// A predictor for `spec`, with no demos and default settings.
    pub fn new(spec: SignatureSpec) -> Predict {
        Predict {
            id: PredictorId::fresh(),
            spec,
            demos: Vec::new(),
            config: LmConfig::default(),
            lm: None,
            adapter: None,
            json_fallback: true,
            extras: SavedExtras::default(),
        }
    }

    /// A predictor for a DSPy string signature such as `"question -> answer: int"`.
    pub fn parse(signature: &str) -> Result<Predict, SignatureSyntaxError> {
        SignatureSpec::parse(signature).map(Predict::new)
    }

    /// Uses `lm` for this predictor's calls (over the scoped and global defaults).
    pub fn with_lm(mut self, lm: SharedLm) -> Predict {
        self.lm = Some(lm);
        self
    }

    /// Uses `adapter` for this predictor's calls (over the scoped and global defaults): an
    /// [`AdapterKind`](dspy_adapters::AdapterKind) or any [`Adapter`](dspy_adapters::Adapter)
    /// of your own.
    pub fn with_adapter(mut self, adapter: impl IntoAdapter) -> Predict {
        self.adapter = Some(adapter.into_adapter());
        self
    }

    /// Uses these LM settings for every call.
    pub fn with_config(mut self, config: LmConfig) -> Predict {
        self.config = config;
        self
    }

    /// Uses these demos.
    pub fn with_demos(mut self, demos: Vec<Example>) -> Predict {
        self.demos = demos;
        self
    }

    /// Uses these instructions.
    pub fn with_instructions(mut self, instructions: impl Into<String>) -> Predict {
        self.set_instructions(instructions);
        self
    }

    /// Turns DSPy's JSON fallback on or off (on by default): when a completion cannot be
    /// parsed by an adapter whose [`json_fallback`](dspy_adapters::Adapter::json_fallback) is
    /// true (Chat, XML), the call is made again with the JSON adapter.
    pub fn with_json_fallback(mut self, enabled: bool) -> Predict {
        self.json_fallback = enabled;
        self
    }

    /// This predictor's id, as recorded in traces.
    pub fn id(&self) -> PredictorId {
        self.id
    }

    /// The signature, with its current instructions and field descriptions.
    pub fn signature(&self) -> &SignatureSpec {
        &self.spec
    }

    /// Replaces the signature.
    pub fn set_signature(&mut self, spec: SignatureSpec) {
        self.spec = spec;
    }

    /// Replaces the instructions.
    pub fn set_instructions(&mut self, instructions: impl Into<String>) {
        self.spec = self.spec.with_instructions(instructions);
    }

    /// Changes one field (description, prefix, ...); unknown names change nothing and return
    /// false.
    pub fn update_field(&mut self, name: &str, edit: impl FnOnce(&mut FieldSpec)) -> bool {
        if self.spec.field(name).is_none() {
            return false;
        }
        self.spec = self.spec.with_updated_field(name, edit);
        true
    }

    /// The demos, in the order they are shown.
    pub fn demos(&self) -> &[Example] {
        &self.demos
    }

    /// Mutable access to the demos.
    pub fn demos_mut(&mut self) -> &mut Vec<Example> {
        &mut self.demos
    }

    /// Replaces the demos.
    pub fn set_demos(&mut self, demos: Vec<Example>) {
        self.demos = demos;
    }

    /// The LM settings every call uses.
    pub fn config(&self) -> &LmConfig {
        &self.config
    }

    /// Mutable access to the LM settings (DSPy's `update_config`).
    pub fn config_mut(&mut self) -> &mut LmConfig {
        &mut self.config
    }

    /// The predictor's own LM, if set.
    pub fn lm(&self) -> Option<&SharedLm> {
        self.lm.as_ref()
    }

    /// Sets or clears the predictor's own LM.
    pub fn set_lm(&mut self, lm: Option<SharedLm>) {
        self.lm = lm;
    }

    /// The predictor's own adapter choice, if set.
    pub fn adapter(&self) -> Option<&SharedAdapter> {
        self.adapter.as_ref()
    }

    /// Sets the predictor's own adapter choice.
    pub fn set_adapter(&mut self, adapter: impl IntoAdapter) {
        self.adapter = Some(adapter.into_adapter());
    }

    /// Clears the predictor's own adapter choice: the scoped or global one applies again.
    pub fn clear_adapter(&mut self) {
        self.adapter = None;
    }

    /// Whether the JSON fallback is on.
    pub fn json_fallback(&self) -> bool {
        self.json_fallback
    }

    /// Clears the demos and the `traces` and `train` lists kept from a saved program, leaving
    /// the LM and settings (what optimizers start a copy from).
    pub fn clear_demos(&mut self) {
        self.demos.clear();
        self.extras.traces.clear();
        self.extras.train.clear();
    }

    /// Clears the LM, demos and saved traces (DSPy's `reset`).
    pub fn reset(&mut self) {
        self.lm = None;
        self.clear_demos();
        self.extras.lm_state = None;
    }
}
