//! SIMBA's two ways to change a program from a bucket of trajectories: append the best one as
//! demos, or ask an LM (DSPy's `OfferFeedback` signature) for a rule per predictor by
//! contrasting the best and the worst trajectory.

use dspy_adapters::adapter::field_description_string;
use dspy_adapters::signature::SignatureSpec;
use dspy_adapters::Values;
use dspy_core::example::{Example, Prediction};
use dspy_core::lm::SharedLm;
use dspy_core::module::Module;
use dspy_core::predict::{CallOptions, Predict, PredictorId};
use dspy_core::trace::TraceEntry;
use dspy_core::Error;
use serde_json::{Map, Value};

/// One run of a program on an example, as the strategies see it.
#[derive(Debug, Clone)]
pub(super) struct Trajectory {
    pub(super) prediction: Option<Prediction>,
    pub(super) trace: Vec<TraceEntry>,
    pub(super) score: f64,
    /// The metric's extra output (its feedback), DSPy's `output_metadata`.
    pub(super) metadata: Map<String, Value>,
    /// The dotted name of each predictor of the program that ran.
    pub(super) names: Vec<(PredictorId, String)>,
}

impl Trajectory {
    fn name_of(&self, id: PredictorId) -> Option<&str> {
        self.names
            .iter()
            .find(|(p, _)| *p == id)
            .map(|(_, n)| n.as_str())
    }
}

/// DSPy's `append_a_demo`: the best trajectory's call of each predictor (its last one)
/// becomes an `augmented` demo of that predictor, inputs longer than `max_len` characters cut.
/// Skipped when the best score is at most the batch's 10th percentile.
pub(super) fn append_a_demo<P: Module>(
    bucket: &[&Trajectory],
    candidate: &mut P,
    p10: f64,
    max_len: usize,
) {
    let good = bucket[0];
    if good.score <= p10 {
        return;
    }
    let mut demos: Vec<(String, Example)> = Vec::new();
    for entry in &good.trace {
        let mut demo = Example::new().with("augmented", true);
        for (key, value) in &entry.inputs {
            demo = demo.with(key.as_str(), truncated(value, max_len));
        }
        for (key, value) in entry.prediction.values() {
            demo = demo.with(key.as_str(), value.clone());
        }
        let Some(name) = good.name_of(entry.predictor) else {
            continue;
        };
        match demos.iter_mut().find(|(n, _)| n == name) {
            Some((_, slot)) => *slot = demo,
            None => demos.push((name.to_string(), demo)),
        }
    }
    for (name, demo) in demos {
        if let Some((_, p)) = candidate
            .named_predictors_mut()
            .into_iter()
            .find(|(n, _)| *n == name)
        {
            p.demos_mut().push(demo);
        }
    }
}

/// A demo input as DSPy keeps it: `str(value)` cut to `max_len` characters with a marker.
fn truncated(value: &Value, max_len: usize) -> Value {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if max_len == 0 || text.chars().count() <= max_len {
        return value.clone();
    }
    let cut: String = text.chars().take(max_len).collect();
    Value::String(format!("{cut}\n\t\t... <TRUNCATED FOR BREVITY>"))
}

/// What `append_a_rule` needs besides the bucket.
pub(super) struct RuleContext<'a> {
    pub(super) example: &'a Example,
    pub(super) program_code: &'a str,
    pub(super) p10: f64,
    pub(super) p90: f64,
    pub(super) prompt_lm: Option<&'a SharedLm>,
}

/// DSPy's `append_a_rule`: contrast the best and worst trajectories of the bucket, ask the
/// prompt LM for advice per predictor, and append each piece of advice to that predictor's
/// instructions. Skipped (`Ok`) when the best is at most the 10th percentile or the worst at
/// least the 90th; an error (no prediction to show, an LM or parse failure) discards the
/// candidate, as in DSPy.
pub(super) async fn append_a_rule<P: Module>(
    bucket: &[&Trajectory],
    candidate: &mut P,
    context: &RuleContext<'_>,
) -> Result<(), Error> {
    let (good, bad) = (bucket[0], bucket[bucket.len() - 1]);
    if good.score <= context.p10 || bad.score >= context.p90 {
        return Ok(());
    }
    let not_available = || {
        let mut prediction = Map::new();
        prediction.insert("N/A".into(), Value::from("Prediction not available"));
        (Vec::new(), Value::from("N/A"), Some(prediction))
    };
    let side = |t: &Trajectory| {
        let steps: Vec<Value> = t
            .trace
            .iter()
            .filter_map(|entry| {
                let name = t.name_of(entry.predictor)?;
                let mut step = Map::new();
                step.insert("module_name".into(), Value::from(name));
                step.insert("inputs".into(), Value::Object(entry.inputs.clone()));
                step.insert(
                    "outputs".into(),
                    Value::Object(entry.prediction.values().clone()),
                );
                Some(Value::Object(step))
            })
            .collect();
        (
            steps,
            Value::from(t.score),
            t.prediction.as_ref().map(|p| p.values().clone()),
        )
    };
    let (mut better, mut worse) = (side(good), side(bad));
    if good.score <= bad.score {
        if good.score > context.p90 {
            worse = not_available();
        } else {
            better = not_available();
        }
    }
    let Some(better_outputs) = better.2 else {
        return Err(Error::custom(
            "SIMBA: the better trajectory has no prediction to show",
        ));
    };
    let module_names: Vec<String> = candidate
        .named_predictors()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let example_values = |e: Result<Example, Error>| -> Result<Value, Error> {
        Ok(Value::Object(e?.values().clone()))
    };
    let mut inputs = Values::new();
    let mut put = |name: &str, value: Value| {
        let text = match value {
            Value::String(s) => s,
            other => serde_json::to_string_pretty(&other).unwrap_or_default(),
        };
        inputs.insert(name.into(), Value::String(text));
    };
    put("program_code", Value::from(context.program_code));
    put("modules_defn", Value::from(inspect_modules(candidate)));
    put("program_inputs", example_values(context.example.inputs())?);
    put("oracle_metadata", example_values(context.example.labels())?);
    put("better_program_trajectory", Value::Array(better.0));
    put("better_program_outputs", Value::Object(better_outputs));
    put("worse_program_trajectory", Value::Array(worse.0));
    put(
        "worse_program_outputs",
        Value::Object(worse.2.unwrap_or_default()),
    );
    put("worse_reward_value", worse.1);
    put("better_reward_value", better.1);
    put("worse_reward_info", Value::Object(bad.metadata.clone()));
    put("better_reward_info", Value::Object(good.metadata.clone()));
    put(
        "module_names",
        Value::Array(
            module_names
                .iter()
                .map(|n| Value::from(n.as_str()))
                .collect(),
        ),
    );

    let mut options = CallOptions::default();
    if let Some(lm) = context.prompt_lm {
        options = options.lm(lm.clone());
    }
    let prediction = Predict::new(offer_feedback()).call(inputs, options).await?;
    let Some(Value::Object(advice)) = prediction.get("module_advice").cloned() else {
        return Err(Error::custom("SIMBA: module_advice is not a dictionary"));
    };
    for (name, predictor) in candidate.named_predictors_mut() {
        if let Some(tip) = advice.get(&name) {
            let tip = match tip {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let spec = predictor.signature();
            let instructions = format!("{}\n\n{tip}", spec.instructions());
            predictor.set_signature(spec.with_instructions(instructions));
        }
    }
    Ok(())
}

/// DSPy's `inspect_modules`: each predictor's fields and instructions between rules of dashes.
pub(super) fn inspect_modules<P: Module + ?Sized>(program: &P) -> String {
    let rule = "-".repeat(80);
    let indent = |text: &str| -> String {
        text.split('\n')
            .map(|line| format!("\n\t\t{line}"))
            .collect::<String>()
    };
    let mut parts = vec![rule.clone()];
    for (name, predictor) in program.named_predictors() {
        let spec = predictor.signature();
        parts.push(format!("Module {name}"));
        parts.push("\tInput Fields:".into());
        parts.push(indent(&field_description_string(spec.inputs())));
        parts.push("\tOutput Fields:".into());
        parts.push(indent(&field_description_string(spec.outputs())));
        let instructions = dspy_pytext::dedent(spec.instructions());
        let lines: String = dspy_pytext::splitlines(&instructions)
            .map(|line| format!("\n\t\t{line}"))
            .collect();
        parts.push(format!("\tOriginal Instructions: {lines}"));
        parts.push(rule.clone());
    }
    parts
        .iter()
        .map(|p| p.trim_matches('\n'))
        .collect::<Vec<_>>()
        .join("\n")
}

const OFFER_FEEDBACK: &str = "You will be given two trajectories of an LLM-driven program's execution. Your goal is to help the program's modules
build up experience on how to maximize the reward value assigned to the program's outputs if it were to receive
similar inputs in the future.

The module won't see its own history. It will rely on your advice balancing being concrete and being generalizable.

In your advice:
- Avoid boilerplate. Offer advice that would change the module's behavior for the better in the future.
- Ensure that advice offered to a module M is specific to that M's specific sub-task, not the overall program.
- Rely on contrasting the behavior of the worse trajectory against the better trajectory in making recommendations.
- Ensure each unique module name appears exactly once as a key in the advice dictionary.";

/// DSPy's `OfferFeedback` signature.
fn offer_feedback() -> SignatureSpec {
    const FIELDS: [(&str, &str); 15] = [
        ("program_code", "The code of the program that we are analyzing"),
        ("modules_defn", "The definition of each module in the program, including its I/O"),
        ("program_inputs", "The inputs to the program that we are analyzing"),
        ("oracle_metadata", "Any (hidden) metadata about the training set instance we're analyzing"),
        ("worse_program_trajectory", "The trajectory of the program's execution, showing each module's I/O"),
        ("worse_program_outputs", "The outputs of the program that we are analyzing"),
        ("worse_reward_value", "The reward value assigned to the program's outputs"),
        ("worse_reward_info", "Additional information that might be helpful to understanding the assigned reward value."),
        ("better_program_trajectory", "The trajectory of the program's execution, showing each module's I/O"),
        ("better_program_outputs", "The outputs of the program that we are analyzing"),
        ("better_reward_value", "The reward value assigned to the program's outputs"),
        ("better_reward_info", "Additional information that might be helpful to understanding the assigned reward value."),
        ("module_names", "The names of the modules in the program, for which we seek advice"),
        ("discussion", "Discussing blame of where each module went wrong, if it did"),
        ("module_advice", "For each module, describe very concretely: If the module receives ${description of input or patterns therein}, then it should ${description of content, behavior, or strategies to adopt and/or others to avoid}. Basically, your advice be such that if the module has access to your tip, it would be much more likely to act like the successful trajectory rather than the lower-scoring trajectory."),
    ];
    let mut spec = SignatureSpec::parse(
        "program_code: str, modules_defn: str, program_inputs: str, oracle_metadata: str, \
         worse_program_trajectory: str, worse_program_outputs: str, worse_reward_value: float, \
         worse_reward_info: str, better_program_trajectory: str, better_program_outputs: str, \
         better_reward_value: float, better_reward_info: str, module_names: list[str] \
         -> discussion: str, module_advice: dict[str, str]",
    )
    .expect("a valid signature")
    .with_instructions(OFFER_FEEDBACK);
    for (name, desc) in FIELDS {
        spec = spec.with_updated_field(name, |f| f.desc = Some(desc.to_string()));
    }
    spec
}
