//! [`ReAct`]: DSPy's tool-using agent. Each step the model writes a thought, picks a tool and
//! its JSON arguments; the tool's result (or its error) is appended to the trajectory; a
//! `finish` tool or `max_iters` ends the loop, and a [`ChainOfThought`] extracts the outputs
//! from the trajectory.
//!
//! The prompts are Python DSPy 3.4.1's byte for byte (instructions listing the tools, the
//! `trajectory`, `next_thought`, `next_tool_name`, `next_tool_args` fields, the trajectory as the
//! adapter formats input fields), and the predictors are named as DSPy names them (`react`,
//! `extract.predict`), so saved programs move both ways. One difference: a failed tool call is
//! shown to the model as `Execution error in {tool}: {error}`, without DSPy's Python traceback.
//!
//! ```
//! use std::sync::Arc;
//! use dspy_core::react::ReAct;
//! use dspy_core::tool::Tool;
//! use dspy_core::adapters::SignatureSpec;
//! use dspy_core::Module;
//! use dspy_testkit::ScriptedLm;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize, schemars::JsonSchema)]
//! struct City { city: String }
//!
//! let lookup = Tool::from_fn("lookup", "Look up the country of a city.", |a: City| async move {
//!     Ok::<_, String>(if a.city == "Paris" { "France" } else { "unknown" })
//! });
//! let lm = ScriptedLm::from_outputs([
//!     vec![("next_thought", "Look it up."), ("next_tool_name", "lookup"), ("next_tool_args", r#"{"city": "Paris"}"#)],
//!     vec![("next_thought", "Done."), ("next_tool_name", "finish"), ("next_tool_args", "{}")],
//!     vec![("reasoning", "The table says France."), ("answer", "France")],
//! ]);
//! let spec = SignatureSpec::parse("question -> answer").unwrap();
//! let mut agent = ReAct::new(&spec, vec![lookup]);
//! agent.react_mut().set_lm(Some(Arc::new(lm)));
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! // (the extract step uses the same LM here through the settings scope)
//! # let lm2: dspy_core::lm::SharedLm = agent.react().lm().unwrap().clone();
//! # let pred = dspy_core::settings::with_lm(lm2, async {
//! let pred = agent
//!     .forward_values([("question".to_string(), "Where is Paris?".into())].into_iter().collect())
//!     .await
//!     .unwrap();
//! # pred });
//! # let pred = pred.await;
//! assert_eq!(pred.get_str("answer"), Some("France"));
//! assert_eq!(pred.get("trajectory").unwrap()["observation_0"], "France");
//! # });
//! ```

use serde_json::{Map, Value};

use dspy_adapters::signature::LiteralValue;
use dspy_adapters::{AdapterKind, FieldSpec, FieldType, IntoAdapter, SignatureSpec, Values};

use crate::example::Prediction;
use crate::lm::{BoxFuture, LmError};
use crate::module::Module;
use crate::predict::{ChainOfThought, Predict};
use crate::tool::{Tool, ToolError};
use crate::{settings, Error};

/// DSPy's `dspy.ReAct`: an agent over any signature and a list of [`Tool`]s.
#[derive(Debug, Clone)]
pub struct ReAct {
    signature: SignatureSpec,
    tools: Vec<Tool>,
    max_iters: usize,
    react: Predict,
    extract: ChainOfThought,
}

/// Each step adds four trajectory entries (thought, tool name, tool arguments, observation).
const KEYS_PER_STEP: usize = 4;
/// Attempts at a call whose prompt overflows the context window, dropping the oldest step each
/// time (DSPy's three).
const TRUNCATION_ATTEMPTS: usize = 3;

impl ReAct {
    /// An agent for `signature` with these tools (DSPy's default `max_iters`: 20). A `finish`
    /// tool is added last; a tool of the same name as an earlier one replaces it in place.
    pub fn new(signature: &SignatureSpec, tools: Vec<Tool>) -> ReAct {
        let field_names = |fields: &[FieldSpec]| {
            fields
                .iter()
                .map(|f| format!("`{}`", f.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let inputs = field_names(signature.inputs());
        let outputs = field_names(signature.outputs());

        let mut by_name: Vec<Tool> = Vec::new();
        let finish = Tool::new("finish", |_| async { Ok::<_, ToolError>("Completed.") }).desc(
            format!("Marks the task as complete. That is, signals that all information for producing the outputs, i.e. {outputs}, are now available to be extracted."),
        );
        for tool in tools.into_iter().chain([finish]) {
            match by_name
                .iter_mut()
                .find(|t| t.tool_name() == tool.tool_name())
            {
                Some(slot) => *slot = tool,
                None => by_name.push(tool),
            }
        }

        let mut instr: Vec<String> = Vec::new();
        if !signature.instructions().is_empty() {
            instr.push(format!("{}\n", signature.instructions()));
        }
        instr.push(format!("You are an Agent. In each episode, you will be given the fields {inputs} as input. And you can see your past trajectory so far."));
        instr.push(format!("Your goal is to use one or more of the supplied tools to collect any necessary information for producing {outputs}.\n"));
        instr.push("To do this, you will interleave next_thought, next_tool_name, and next_tool_args in each turn, and also when finishing the task.".into());
        instr.push("After each tool call, you receive a resulting observation, which gets appended to your trajectory.\n".into());
        instr.push("When writing next_thought, you may reason about the current situation and plan for future steps.".into());
        instr.push(
            "When selecting the next_tool_name and its next_tool_args, the tool must be one of:\n"
                .into(),
        );
        for (i, tool) in by_name.iter().enumerate() {
            instr.push(format!("({}) {tool}", i + 1));
        }
        instr.push(
            "When providing `next_tool_args`, the value inside the field must be in JSON format"
                .into(),
        );

        let names = by_name
            .iter()
            .map(|t| LiteralValue::Str(t.tool_name().to_string()))
            .collect();
        let mut react = SignatureSpec::builder().instructions(instr.join("\n"));
        for f in signature.inputs() {
            react = react.input(f.clone());
        }
        let react = react
            .input(FieldSpec::new("trajectory", FieldType::Str))
            .output(FieldSpec::new("next_thought", FieldType::Str))
            .output(FieldSpec::new("next_tool_name", FieldType::Literal(names)))
            .output(FieldSpec::new(
                "next_tool_args",
                FieldType::Dict(Box::new(FieldType::Str), Box::new(FieldType::Any)),
            ))
            .build();

        let mut fallback = SignatureSpec::builder().instructions(signature.instructions());
        for f in signature.inputs() {
            fallback = fallback.input(f.clone());
        }
        fallback = fallback.input(FieldSpec::new("trajectory", FieldType::Str));
        for f in signature.outputs() {
            fallback = fallback.output(f.clone());
        }

        // A signature that already has a `trajectory` or `next_*` field cannot be extended;
        // keep it usable (the clash shows as a missing field at run time).
        let react = react.unwrap_or_else(|_| signature.clone());
        let fallback = fallback.build().unwrap_or_else(|_| signature.clone());
        ReAct {
            signature: signature.clone(),
            tools: by_name,
            max_iters: 20,
            react: Predict::new(react),
            extract: ChainOfThought::new(&fallback),
        }
    }

    /// Sets the most steps before extracting (DSPy default 20).
    pub fn max_iters(mut self, n: usize) -> ReAct {
        self.max_iters = n;
        self
    }

    /// The signature the agent answers.
    pub fn signature(&self) -> &SignatureSpec {
        &self.signature
    }

    /// The tools, `finish` last.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The step predictor (`react`).
    pub fn react(&self) -> &Predict {
        &self.react
    }

    /// The step predictor, mutable (demos, LM, instructions).
    pub fn react_mut(&mut self) -> &mut Predict {
        &mut self.react
    }

    /// The extraction (`extract`, a chain of thought).
    pub fn extract(&self) -> &ChainOfThought {
        &self.extract
    }

    /// The extraction, mutable.
    pub fn extract_mut(&mut self) -> &mut ChainOfThought {
        &mut self.extract
    }

    /// The trajectory as the adapter in use formats input fields (DSPy's `_format_trajectory`).
    fn format_trajectory(trajectory: &Map<String, Value>) -> String {
        let adapter = settings::adapter().unwrap_or_else(|| AdapterKind::Chat.into_adapter());
        let mut spec = SignatureSpec::builder();
        for key in trajectory.keys() {
            spec = spec.input(FieldSpec::new(key.clone(), FieldType::Str));
        }
        match spec.output(FieldSpec::new("x", FieldType::Str)).build() {
            Ok(spec) => adapter.format_user_message_content(&spec, trajectory),
            Err(_) => String::new(),
        }
    }

    /// Calls `predict` with the inputs and the trajectory; when the prompt overflows the
    /// context window, drops the oldest step and tries again (three attempts in all).
    async fn call_truncating(
        predict: &Predict,
        inputs: &Values,
        trajectory: &mut Map<String, Value>,
    ) -> Result<Prediction, Error> {
        let mut last = None;
        for _ in 0..TRUNCATION_ATTEMPTS {
            let mut values = inputs.clone();
            values.insert(
                "trajectory".into(),
                Value::String(ReAct::format_trajectory(trajectory)),
            );
            match predict.forward(values).await {
                Err(Error::Lm(e @ LmError::ContextLength { .. })) => {
                    tracing::warn!(
                        "the trajectory overflowed the context window; dropping its oldest step"
                    );
                    if trajectory.len() <= KEYS_PER_STEP {
                        return Err(Error::Lm(e));
                    }
                    let oldest: Vec<String> =
                        trajectory.keys().take(KEYS_PER_STEP).cloned().collect();
                    for key in oldest {
                        trajectory.shift_remove(&key);
                    }
                    last = Some(Error::Lm(e));
                }
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| Error::custom("the context window overflowed")))
    }

    /// Runs the agent on `inputs` (keyed by input field name). The prediction holds the
    /// `trajectory` (an object: `thought_i`, `tool_name_i`, `tool_args_i`, `observation_i`),
    /// the extraction's `reasoning` and the signature's outputs.
    pub async fn forward_values(&self, inputs: Values) -> Result<Prediction, Error> {
        self.run(inputs, self.max_iters).await
    }

    async fn run(&self, inputs: Values, max_iters: usize) -> Result<Prediction, Error> {
        let mut trajectory = Map::new();
        for idx in 0..max_iters {
            let pred = match ReAct::call_truncating(&self.react, &inputs, &mut trajectory).await {
                Ok(pred) => pred,
                Err(Error::Lm(LmError::ContextLength { .. })) => {
                    tracing::warn!("ending the trajectory: the context window is exceeded");
                    break;
                }
                Err(e) => return Err(e),
            };
            let thought = pred.get("next_thought").cloned().unwrap_or(Value::Null);
            let name = pred
                .get_str("next_tool_name")
                .unwrap_or_default()
                .to_string();
            let args = match pred.get("next_tool_args") {
                Some(Value::Object(map)) => map.clone(),
                _ => Map::new(),
            };
            trajectory.insert(format!("thought_{idx}"), thought);
            trajectory.insert(format!("tool_name_{idx}"), Value::String(name.clone()));
            trajectory.insert(format!("tool_args_{idx}"), Value::Object(args.clone()));
            let observation = match self.tools.iter().find(|t| t.tool_name() == name) {
                Some(tool) => tool.call(args).await,
                None => Err(ToolError::NoSuchTool(name.clone())),
            };
            let observation = observation
                .unwrap_or_else(|e| Value::String(format!("Execution error in {name}: {e}")));
            trajectory.insert(format!("observation_{idx}"), observation);
            if name == "finish" {
                break;
            }
        }
        let extracted =
            ReAct::call_truncating(self.extract.predict(), &inputs, &mut trajectory).await?;
        let mut values = Values::new();
        values.insert("trajectory".into(), Value::Object(trajectory));
        for (k, v) in extracted.values() {
            values.insert(k.clone(), v.clone());
        }
        let mut prediction = Prediction::new(values);
        prediction.set_usage(extracted.usage());
        Ok(prediction)
    }
}

impl Module for ReAct {
    fn forward(&self, mut inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        Box::pin(async move {
            // DSPy: a `max_iters` input overrides the agent's for this call.
            let max_iters = match inputs.shift_remove("max_iters") {
                Some(Value::Number(n)) => n.as_u64().map_or(self.max_iters, |n| n as usize),
                _ => self.max_iters,
            };
            self.run(inputs, max_iters).await
        })
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        vec![
            ("react".into(), &self.react),
            ("extract.predict".into(), self.extract.predict()),
        ]
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        vec![
            ("react".into(), &mut self.react),
            ("extract.predict".into(), self.extract.predict_mut()),
        ]
    }
}
