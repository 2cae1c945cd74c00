//! Running candidates with traces, the reflective dataset built from those runs, and the
//! reflection call that proposes new instructions (DSPy's `DspyAdapter` and
//! `InstructionProposer`, with JSON-adapter prompts byte-identical to DSPy's).

use dspy_adapters::render::py_repr::float_repr;
use dspy_adapters::signature::SignatureSpec;
use dspy_adapters::{AdapterKind, Values};
use dspy_core::evaluate::{Metric, PredictorTrace};
use dspy_core::example::{Example, Prediction};
use dspy_core::lm::SharedLm;
use dspy_core::module::Module;
use dspy_core::predict::{CallOptions, Predict};
use dspy_core::trace::{with_trace, TraceEntry};
use dspy_core::Error;
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Map, Value};

use crate::random::PyRandom;

/// DSPy's `GEPA` instruction-proposal signature's instructions.
const PROPOSE_INSTRUCTIONS: &str = "I provided an assistant with instructions to perform a task for me. You are given those instructions, along with examples of different task inputs provided to the assistant, the assistant's response for each of them, and some feedback on how the assistant's response could be better.

Your task is to write a new instruction for the assistant.

Read the inputs carefully and identify the input format and infer detailed task description about the task I wish to solve with the assistant.

Read all the assistant responses and the corresponding feedback. Identify all niche and domain specific factual information about the task and include it in the instruction, as a lot of it may not be available to the assistant in the future. The assistant may have utilized a generalizable strategy to solve the task, if so, include that in the instruction as well.";

/// One example run by a candidate: its score, and the run itself unless it failed.
#[derive(Debug, Clone)]
pub(super) struct Outcome {
    pub(super) score: f64,
    pub(super) run: Option<Run>,
}

/// A successful run: the prediction and every predictor call in it.
#[derive(Debug, Clone)]
pub(super) struct Run {
    pub(super) prediction: Prediction,
    pub(super) trace: Vec<TraceEntry>,
}

/// Runs `program` on each example (at most `concurrency` at a time), in order, scoring each
/// with `metric`; a failed run or metric scores `failure_score`.
pub(super) async fn evaluate<P: Module + ?Sized>(
    program: &P,
    metric: &dyn Metric,
    examples: &[&Example],
    concurrency: usize,
    failure_score: f64,
) -> Vec<Outcome> {
    let runs: Vec<_> = examples
        .iter()
        .map(|example| evaluate_one(program, metric, example, failure_score))
        .collect();
    stream::iter(runs)
        .buffered(concurrency.max(1))
        .collect()
        .await
}

async fn evaluate_one<P: Module + ?Sized>(
    program: &P,
    metric: &dyn Metric,
    example: &Example,
    failure_score: f64,
) -> Outcome {
    let failed = Outcome {
        score: failure_score,
        run: None,
    };
    let Ok(inputs) = example.inputs() else {
        return failed;
    };
    let (result, trace) = with_trace(program.forward(inputs.into_values())).await;
    let prediction = match result {
        Ok(prediction) => prediction,
        Err(error) => {
            tracing::warn!(%error, "GEPA: a candidate failed on an example; it scores the failure score");
            return failed;
        }
    };
    match metric.score(example, &prediction, Some(&trace)).await {
        Ok(score) => Outcome {
            score: score.value,
            run: Some(Run { prediction, trace }),
        },
        Err(error) => {
            tracing::warn!(%error, "GEPA: the metric failed; the example scores the failure score");
            failed
        }
    }
}

/// One component's records for the reflection LM (`Inputs`, `Generated Outputs`,
/// `Feedback`), from the minibatch runs in order; draws one of the predictor's calls per run
/// from `rng` as DSPy does (even when it made only one).
pub(super) async fn reflective_records(
    metric: &dyn Metric,
    name: &str,
    predictor: dspy_core::predict::PredictorId,
    examples: &[&Example],
    outcomes: &[Outcome],
    rng: &mut PyRandom,
) -> Result<Vec<Value>, Error> {
    let mut records = Vec::new();
    for (example, outcome) in examples.iter().zip(outcomes) {
        let Some(run) = &outcome.run else { continue };
        let calls: Vec<&TraceEntry> = run
            .trace
            .iter()
            .filter(|entry| entry.predictor == predictor)
            .collect();
        let Some(&call) = rng.choice(&calls) else {
            continue;
        };
        let score = match metric
            .score_predictor(
                example,
                &run.prediction,
                Some(&run.trace),
                PredictorTrace {
                    name,
                    calls: std::slice::from_ref(call),
                },
            )
            .await
        {
            Ok(score) => score,
            Err(error) => {
                tracing::warn!(%error, "GEPA: the metric failed while giving feedback; the example is left out of the reflection");
                continue;
            }
        };
        let feedback = score.feedback.unwrap_or_else(|| {
            format!(
                "This trajectory got a score of {}.",
                float_repr(score.value)
            )
        });
        let mut record = Map::new();
        record.insert("Inputs".into(), Value::Object(call.inputs.clone()));
        record.insert(
            "Generated Outputs".into(),
            Value::Object(call.prediction.values().clone()),
        );
        record.insert("Feedback".into(), Value::String(feedback));
        records.push(Value::Object(record));
    }
    Ok(records)
}

/// DSPy's `ProposeInstruction` signature.
fn propose_signature() -> SignatureSpec {
    let spec = SignatureSpec::parse(
        "current_instruction: str, examples_with_feedback: list[dict[str, Any]] -> new_instruction: str",
    )
    .expect("a valid signature");
    spec.with_instructions(PROPOSE_INSTRUCTIONS)
        .with_updated_field("current_instruction", |f| {
            f.desc = Some("The instructions I provided to the assistant.".into())
        })
        .with_updated_field("examples_with_feedback", |f| {
            f.desc = Some("Task inputs provided to the assistant, the assistant's response for each, and feedback on how the response could be better.".into())
        })
        .with_updated_field("new_instruction", |f| {
            f.desc = Some("The new instruction for the assistant.".into())
        })
}

/// One reflection call: a new instruction for `current` from `records`, through the JSON
/// adapter on `lm` (or the configured LM). The answer is only stripped, as in DSPy.
pub(super) async fn propose(
    lm: Option<&SharedLm>,
    current: &str,
    records: &[Value],
) -> Result<String, Error> {
    let predictor = Predict::new(propose_signature());
    let mut inputs = Values::new();
    inputs.insert("current_instruction".into(), json!(current));
    inputs.insert(
        "examples_with_feedback".into(),
        Value::Array(records.to_vec()),
    );
    let mut options = CallOptions::default().adapter(AdapterKind::Json);
    if let Some(lm) = lm {
        options = options.lm(lm.clone());
    }
    let prediction = predictor.call(inputs, options).await?;
    let text = prediction
        .get_str("new_instruction")
        .map(|s| dspy_pytext::strip(s).to_string())
        .unwrap_or_default();
    if text.is_empty() {
        return Err(Error::custom(
            "the reflection LM proposed an empty instruction",
        ));
    }
    Ok(text)
}
