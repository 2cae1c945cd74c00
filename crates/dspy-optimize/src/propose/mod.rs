//! Instruction proposal, as DSPy's `GroundedProposer` does it for MIPROv2: a data-set summary,
//! a description of the program and of each predictor, the demos of a candidate set and a
//! random [`Tip`] go into one LM call per new instruction.
//!
//! Every proposer prompt is byte-identical to Python DSPy 3.4.1's (its signatures live in
//! `signatures.rs` and go through the configured adapter), with one difference: DSPy shows the
//! LM the program's Python source, which Rust does not have at run time. The program is
//! described instead by its predictors' names and signatures (a lone predictor gives exactly
//! what DSPy sends for a bare `dspy.Predict`); [`GroundedProposer::program_code`] sets the text.

mod dataset_summary;
pub(crate) mod signatures;
pub(crate) mod text;

use dspy_adapters::Values;
use futures_util::stream::{self, StreamExt};
use serde_json::Value;

use crate::random::PyRandom;
use dspy_core::example::Example;
use dspy_core::lm::{RolloutLm, SharedLm};
use dspy_core::module::Module;
use dspy_core::predict::Predict;
use dspy_core::{settings, Error};

pub(crate) use dataset_summary::dataset_summary;
use signatures::InstructionInputs;
use text::{example_string, module_code, strip_prefix};

/// A prompting tip the proposer draws at random for each new instruction (DSPy's `TIPS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tip {
    /// No tip (the tip input is left out).
    None,
    /// Be creative.
    Creative,
    /// Keep it clear and concise.
    Simple,
    /// Be informative and descriptive.
    Description,
    /// Include a high-stakes scenario.
    HighStakes,
    /// Include a persona.
    Persona,
}

impl Tip {
    /// Every tip, in DSPy's order (the order random draws index).
    pub const ALL: [Tip; 6] = [
        Tip::None,
        Tip::Creative,
        Tip::Simple,
        Tip::Description,
        Tip::HighStakes,
        Tip::Persona,
    ];

    /// DSPy's key for the tip (`none`, `creative`, ...).
    pub fn key(self) -> &'static str {
        match self {
            Tip::None => "none",
            Tip::Creative => "creative",
            Tip::Simple => "simple",
            Tip::Description => "description",
            Tip::HighStakes => "high_stakes",
            Tip::Persona => "persona",
        }
    }

    /// The text the proposer LM sees (empty for [`Tip::None`]).
    ///
    /// ```
    /// use dspy_optimize::propose::Tip;
    /// assert_eq!(Tip::Simple.text(), "Keep the instruction clear and concise.");
    /// assert!(Tip::None.text().is_empty());
    /// ```
    pub fn text(self) -> &'static str {
        match self {
            Tip::None => "",
            Tip::Creative => "Don't be afraid to be creative when creating the new instruction!",
            Tip::Simple => "Keep the instruction clear and concise.",
            Tip::Description => "Make sure your instruction is very informative and descriptive.",
            Tip::HighStakes => "The instruction should include a high stakes scenario in which the LM must solve the task!",
            Tip::Persona => "Include a persona that is relevant to the task in the instruction (ie. \"You are a ...\")",
        }
    }
}

/// One proposed instruction and how it was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The instruction (DSPy's `strip_prefix` applied).
    pub instruction: String,
    /// The demo candidate set whose demos the LM saw.
    pub demo_set: usize,
    /// The tip the LM got, when tips are on.
    pub tip: Option<Tip>,
    /// Why the call failed, if it did (the instruction is then the predictor's own).
    pub error: Option<String>,
}

/// DSPy's `GroundedProposer` with MIPROv2's settings: writes new instructions for each
/// predictor of a program.
///
/// ```
/// use dspy_optimize::propose::GroundedProposer;
/// let proposer = GroundedProposer::new().tip_aware(false).view_data_batch_size(5);
/// assert!(proposer.program_aware && !proposer.tip_aware);
/// ```
#[derive(Debug, Clone)]
pub struct GroundedProposer {
    /// Describe the program and the predictor to the LM (DSPy's `program_aware_proposer`).
    pub program_aware: bool,
    /// Summarize the training set first (DSPy's `data_aware_proposer`).
    pub data_aware: bool,
    /// Draw a random [`Tip`] for each instruction (DSPy's `tip_aware_proposer`).
    pub tip_aware: bool,
    /// Show bootstrapped demos of the candidate set (DSPy's `fewshot_aware_proposer`).
    pub fewshot_aware: bool,
    /// Examples per data-set observation call (DSPy default 10).
    pub view_data_batch_size: usize,
    /// Demos shown per instruction call (DSPy: 3).
    pub num_demos_in_context: usize,
    /// Temperature of the instruction calls (DSPy default 1.0).
    pub init_temperature: f64,
    /// The program text the LM sees; `None` describes the program from its predictors.
    pub program_code: Option<String>,
}

impl Default for GroundedProposer {
    fn default() -> Self {
        GroundedProposer::new()
    }
}

/// What one instruction call needs, drawn before any call runs so that the random choices are
/// DSPy's whatever order the calls finish in.
struct Job {
    predictor: usize,
    demo_set: usize,
    tip: Option<Tip>,
    rollout_id: u64,
}

impl GroundedProposer {
    /// DSPy's defaults: everything on, batches of 10, 3 demos in context, temperature 1.0.
    pub fn new() -> GroundedProposer {
        GroundedProposer {
            program_aware: true,
            data_aware: true,
            tip_aware: true,
            fewshot_aware: true,
            view_data_batch_size: 10,
            num_demos_in_context: 3,
            init_temperature: 1.0,
            program_code: None,
        }
    }

    /// Sets whether the LM sees a description of the program.
    pub fn program_aware(mut self, on: bool) -> Self {
        self.program_aware = on;
        self
    }

    /// Sets whether the training set is summarized for the LM.
    pub fn data_aware(mut self, on: bool) -> Self {
        self.data_aware = on;
        self
    }

    /// Sets whether each call gets a random tip.
    pub fn tip_aware(mut self, on: bool) -> Self {
        self.tip_aware = on;
        self
    }

    /// Sets whether the LM sees bootstrapped demos.
    pub fn fewshot_aware(mut self, on: bool) -> Self {
        self.fewshot_aware = on;
        self
    }

    /// Sets the examples per observation call.
    pub fn view_data_batch_size(mut self, n: usize) -> Self {
        self.view_data_batch_size = n.max(1);
        self
    }

    /// Sets the temperature of the instruction calls.
    pub fn init_temperature(mut self, t: f64) -> Self {
        self.init_temperature = t;
        self
    }

    /// Sets the program text the LM sees (e.g. `include_str!("main.rs")`).
    pub fn program_code(mut self, code: impl Into<String>) -> Self {
        self.program_code = Some(code.into());
        self
    }

    /// The data-set summary, or `None` when it is off or failed (as in DSPy, proposing then
    /// goes on without it).
    pub(crate) async fn summarize(&self, trainset: &[Example], lm: &SharedLm) -> Option<String> {
        if !self.data_aware || trainset.is_empty() {
            return None;
        }
        match dataset_summary(trainset, self.view_data_batch_size, lm).await {
            Ok(summary) => Some(summary),
            Err(error) => {
                tracing::warn!(%error, "the data-set summary failed; proposing without it");
                None
            }
        }
    }

    /// Proposes up to `n` instructions per predictor (one per demo set, at most `n`), DSPy's
    /// `propose_instructions_for_program`. `demo_sets[p][s]` is demo set `s` of predictor `p`.
    /// Draws from `rng` exactly as DSPy does (a tip, then a rollout id, per instruction); the
    /// calls then run concurrently (at most `settings::num_threads()` at once).
    pub(crate) async fn propose<P: Module + ?Sized>(
        &self,
        program: &P,
        demo_sets: Option<&[Vec<Vec<Example>>]>,
        summary: Option<&str>,
        n: usize,
        rng: &mut PyRandom,
        lm: &SharedLm,
    ) -> Vec<Vec<Proposal>> {
        let demo_sets = demo_sets.filter(|sets| !sets.is_empty());
        let num_sets = demo_sets.map_or(n, |sets| sets[0].len().max(1));
        let predictors = program.named_predictors();
        let mut jobs = Vec::new();
        for predictor in 0..predictors.len() {
            for demo_set in 0..num_sets.min(n) {
                let tip = if self.tip_aware {
                    let i = rng.randbelow(Tip::ALL.len() as u64) as usize;
                    Some(Tip::ALL[i])
                } else {
                    None
                };
                let rollout_id = rng.randint(0, 1_000_000_000).unwrap_or(0) as u64;
                jobs.push(Job {
                    predictor,
                    demo_set,
                    tip,
                    rollout_id,
                });
            }
        }
        let code = self
            .program_code
            .clone()
            .unwrap_or_else(|| text::program_code(program));
        let specs: Vec<_> = predictors
            .iter()
            .map(|(_, p)| p.signature().clone())
            .collect();
        let calls: Vec<_> = jobs
            .iter()
            .map(|job| {
                let spec = &specs[job.predictor];
                let sets = demo_sets.and_then(|sets| sets.get(job.predictor));
                let code = &code;
                async move {
                    let lm = RolloutLm::with_temperature(
                        lm.clone(),
                        job.rollout_id,
                        self.init_temperature,
                    );
                    let result = self.propose_one(spec, sets, job, code, summary, &lm).await;
                    (job, result)
                }
            })
            .collect();
        let results: Vec<_> = stream::iter(calls)
            .buffered(settings::num_threads().max(1))
            .collect()
            .await;
        let mut out: Vec<Vec<Proposal>> = vec![Vec::new(); predictors.len()];
        for (job, result) in results {
            let proposal = match result {
                Ok(instruction) => Proposal {
                    instruction,
                    demo_set: job.demo_set,
                    tip: job.tip,
                    error: None,
                },
                Err(error) => {
                    tracing::warn!(predictor = job.predictor, %error, "an instruction proposal failed; keeping the predictor's own");
                    Proposal {
                        instruction: specs[job.predictor].instructions().to_string(),
                        demo_set: job.demo_set,
                        tip: job.tip,
                        error: Some(error.to_string()),
                    }
                }
            };
            out[job.predictor].push(proposal);
        }
        out
    }

    /// DSPy's `GenerateModuleInstruction.forward` for one (predictor, demo set).
    async fn propose_one(
        &self,
        spec: &dspy_adapters::SignatureSpec,
        sets: Option<&Vec<Vec<Example>>>,
        job: &Job,
        code: &str,
        summary: Option<&str>,
        lm: &SharedLm,
    ) -> Result<String, Error> {
        let task_demos = self.task_demos(spec, sets, job.demo_set);

        let mut program_description = "Not available".to_string();
        let mut module = "Not provided".to_string();
        let mut module_description = "Not provided".to_string();
        if self.program_aware {
            // As in DSPy, a failed description leaves the rest "Not available"/"Not provided".
            let described: Result<(), Error> = async {
                let described = call(
                    signatures::describe_program(),
                    &[("program_code", code), ("program_example", &task_demos)],
                    lm,
                )
                .await?;
                program_description = strip_prefix(field(&described, "program_description"));
                module = module_code(spec);
                let described = call(
                    signatures::describe_module(),
                    &[
                        ("program_code", code),
                        ("program_description", &program_description),
                        ("program_example", &task_demos),
                        ("module", &module),
                    ],
                    lm,
                )
                .await?;
                module_description = field(&described, "module_description").to_string();
                Ok(())
            }
            .await;
            if let Err(error) = described {
                tracing::warn!(%error, "describing the program failed; proposing without it");
            }
        }

        let tip = job.tip.filter(|t| *t != Tip::None);
        let inputs = InstructionInputs {
            dataset_summary: summary.is_some(),
            program_aware: self.program_aware,
            history: false,
            tip: tip.is_some(),
        };
        let mut values: Vec<(&str, &str)> = vec![
            ("dataset_description", summary.unwrap_or_default()),
            ("program_code", code),
            ("module", &module),
            ("program_description", &program_description),
            ("module_description", &module_description),
            ("task_demos", &task_demos),
            ("basic_instruction", spec.instructions()),
        ];
        if let Some(tip) = tip {
            values.push(("tip", tip.text()));
        }
        let generated = call(signatures::generate_instruction(inputs), &values, lm).await?;
        let instruction = strip_prefix(field(&generated, "proposed_instruction"));
        Ok(strip_prefix(&instruction))
    }

    /// The demos the LM sees for `demo_set`: up to `num_demos_in_context` bootstrapped demos
    /// from that set, then the following sets, then the earlier ones; none for set 0.
    fn task_demos(
        &self,
        spec: &dspy_adapters::SignatureSpec,
        sets: Option<&Vec<Vec<Example>>>,
        demo_set: usize,
    ) -> String {
        const NONE: &str = "No task demos provided.";
        let sets = match sets {
            Some(sets) if self.fewshot_aware && demo_set > 0 => sets,
            _ => return NONE.to_string(),
        };
        let order = sets
            .get(demo_set..)
            .into_iter()
            .flatten()
            .chain(sets.get(..demo_set.min(sets.len())).into_iter().flatten());
        let shown: Vec<String> = order
            .flatten()
            .filter(|demo| demo.contains_key("augmented"))
            .take(self.num_demos_in_context)
            .map(|demo| example_string(spec, demo))
            .collect();
        let text = format!("{}\n\n", shown.join("\n\n"));
        if dspy_pytext::strip(&text).is_empty() {
            NONE.to_string()
        } else {
            text
        }
    }
}

/// One prompt-LM call of `spec` with string inputs.
async fn call(
    spec: dspy_adapters::SignatureSpec,
    inputs: &[(&str, &str)],
    lm: &SharedLm,
) -> Result<dspy_core::example::Prediction, Error> {
    let names: Vec<String> = spec.inputs().iter().map(|f| f.name.clone()).collect();
    let mut values = Values::new();
    for (k, v) in inputs {
        if names.iter().any(|n| n == k) {
            values.insert((*k).to_string(), Value::String((*v).to_string()));
        }
    }
    Predict::new(spec).with_lm(lm.clone()).forward(values).await
}

/// A string output of a prediction (empty when missing).
fn field<'a>(prediction: &'a dspy_core::example::Prediction, name: &str) -> &'a str {
    prediction.get_str(name).unwrap_or_default()
}
