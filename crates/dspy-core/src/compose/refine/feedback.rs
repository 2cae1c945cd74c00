//! DSPy's `OfferFeedback` signature and the inputs `Refine` gives it: `inspect_modules`'s
//! description of the predictors, and the run as orjson-indented JSON.

use std::sync::OnceLock;

use serde_json::Value;

use dspy_adapters::{FieldSpec, FieldType, SignatureSpec, Values};

use super::orjson;
use crate::module::Module;

/// DSPy's `OfferFeedback` instructions (the class docstring, cleaned).
const INSTRUCTIONS: &str = "In the discussion, assign blame to each module that contributed to the final reward being below the threshold, if
any. Then, prescribe concrete advice of how the module should act on its future input when we retry the process, if
it were to receive the same or similar inputs. If a module is not to blame, the advice should be N/A.
The module will not see its own history, so it needs to rely on entirely concrete and actionable advice from you
to avoid the same mistake on the same or similar inputs.";

/// DSPy's `OfferFeedback` signature, which `Refine` asks for advice after a failed attempt:
/// nine inputs (the program, its run and its reward) and two outputs, `discussion` and
/// `advice: dict[str, str]` (per predictor name).
///
/// ```
/// let spec = dspy_core::compose::offer_feedback();
/// let names: Vec<&str> = spec.fields().map(|f| f.name.as_str()).collect();
/// assert_eq!(names[8..], ["module_names", "discussion", "advice"]);
/// assert_eq!(spec.outputs()[1].ty.dspy_name(), "dict[str, str]");
/// ```
pub fn offer_feedback() -> &'static SignatureSpec {
    static SPEC: OnceLock<SignatureSpec> = OnceLock::new();
    SPEC.get_or_init(build)
}

fn build() -> SignatureSpec {
    let field = |name: &str, ty: FieldType, desc: &str| FieldSpec::new(name, ty).with_desc(desc);
    let str_list = FieldType::List(Box::new(FieldType::Str));
    let str_dict = FieldType::Dict(Box::new(FieldType::Str), Box::new(FieldType::Str));
    let mut fields = vec![
        (false, field("program_code", FieldType::Str, "The code of the program that we are analyzing")),
        (false, field("modules_defn", FieldType::Str, "The definition of each module in the program, including its I/O")),
        (false, field("program_inputs", FieldType::Str, "The inputs to the program that we are analyzing")),
        (false, field("program_trajectory", FieldType::Str, "The trajectory of the program's execution, showing each module's I/O")),
        (false, field("program_outputs", FieldType::Str, "The outputs of the program that we are analyzing")),
        (false, field("reward_code", FieldType::Str, "The code of the reward function that we are analyzing")),
        (false, field("target_threshold", FieldType::Float, "The target threshold for the reward function")),
        (false, field("reward_value", FieldType::Float, "The reward value assigned to the program's outputs")),
        (false, field("module_names", str_list, "The names of the modules in the program, for which we seek advice")),
        (true, field("discussion", FieldType::Str, "Discussing blame of where each module went wrong, if it did")),
        // DSPy's description lacks a space in "kind ofscenario" (two string literals joined).
        (true, field("advice", str_dict, "For each module, describe very concretely, in this order: the specific scenarios in which it has made mistakes in the past and what each mistake was, followed by what it should do differently in that kind ofscenario in the future. If the module is not to blame, write N/A.")),
    ];
    // `build` fails only on a repeated name, so this returns on the first pass; dropping
    // fields from the end keeps it total without a panic.
    loop {
        let mut builder = SignatureSpec::builder().instructions(INSTRUCTIONS);
        for (output, f) in &fields {
            builder = if *output {
                builder.output(f.clone())
            } else {
                builder.input(f.clone())
            };
        }
        match builder.build() {
            Ok(spec) => return spec,
            Err(_) => {
                fields.pop();
            }
        }
    }
}

/// One predictor call of the attempt, as the trajectory shows it.
pub(crate) struct Step<'a> {
    pub(crate) module_name: &'a str,
    pub(crate) inputs: Values,
    pub(crate) outputs: &'a Values,
}

/// What `Refine` tells the feedback LM about one attempt.
pub(crate) struct Report<'a> {
    pub(crate) program_code: &'a str,
    pub(crate) modules_defn: String,
    pub(crate) program_inputs: &'a Values,
    pub(crate) trajectory: Vec<Step<'a>>,
    pub(crate) program_outputs: &'a Values,
    pub(crate) reward_code: &'a str,
    pub(crate) target_threshold: f64,
    pub(crate) reward_value: f64,
    pub(crate) module_names: &'a [String],
}

impl Report<'_> {
    /// The `OfferFeedback` inputs, all strings: text as it is, everything else as
    /// `orjson.dumps(v, option=OPT_INDENT_2)` (DSPy's `advise_kwargs`).
    pub(crate) fn into_inputs(self) -> Values {
        let trajectory: Vec<Value> = self
            .trajectory
            .into_iter()
            .map(|step| {
                let mut entry = Values::new();
                entry.insert("module_name".into(), step.module_name.into());
                entry.insert("inputs".into(), Value::Object(step.inputs));
                entry.insert("outputs".into(), Value::Object(step.outputs.clone()));
                Value::Object(entry)
            })
            .collect();
        let dump = orjson::dumps_indent2;
        let names: Vec<Value> = self
            .module_names
            .iter()
            .map(|n| n.as_str().into())
            .collect();
        let mut inputs = Values::new();
        inputs.insert("program_code".into(), self.program_code.into());
        inputs.insert("modules_defn".into(), self.modules_defn.into());
        let program_inputs = Value::Object(self.program_inputs.clone());
        inputs.insert("program_inputs".into(), dump(&program_inputs).into());
        inputs.insert(
            "program_trajectory".into(),
            dump(&Value::Array(trajectory)).into(),
        );
        let program_outputs = Value::Object(self.program_outputs.clone());
        inputs.insert("program_outputs".into(), dump(&program_outputs).into());
        inputs.insert("reward_code".into(), self.reward_code.into());
        inputs.insert(
            "target_threshold".into(),
            orjson::float(self.target_threshold).into(),
        );
        inputs.insert(
            "reward_value".into(),
            orjson::float(self.reward_value).into(),
        );
        inputs.insert("module_names".into(), dump(&Value::Array(names)).into());
        inputs
    }
}

/// DSPy's `inspect_modules(program)`: per predictor its name, input and output fields (as the
/// adapters list them) and instructions, tab-indented between lines of 80 dashes.
pub(crate) fn inspect_modules<M: Module + ?Sized>(program: &M) -> String {
    let separator = "-".repeat(80);
    let mut output = vec![separator.clone()];
    for (name, predictor) in program.named_predictors() {
        let spec = predictor.signature();
        let instructions = dspy_pytext::dedent(spec.instructions());
        output.push(format!("Module {name}"));
        output.push("\n\tInput Fields:".to_string());
        output.push(indented(&field_descriptions(spec.inputs())));
        output.push("\tOutput Fields:".to_string());
        output.push(indented(&field_descriptions(spec.outputs())));
        output.push(format!(
            "\tOriginal Instructions: {}",
            indented(&instructions)
        ));
        output.push(separator.clone());
    }
    let parts: Vec<&str> = output.iter().map(|o| o.trim_matches('\n')).collect();
    parts.join("\n")
}

/// Python's `("\n" + "\t" * 2).join([""] + text.splitlines())`.
fn indented(text: &str) -> String {
    dspy_pytext::splitlines(text)
        .map(|line| format!("\n\t\t{line}"))
        .collect()
}

/// DSPy's `get_field_description_string`: ``1. `name` (type): desc`` per field, a
/// `Constraints:` line when the field has some, joined by newlines and stripped.
fn field_descriptions(fields: &[FieldSpec]) -> String {
    let lines: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let mut line = format!(
                "{}. `{}` ({}): {}",
                i + 1,
                field.name,
                field.ty.dspy_name(),
                field.desc.as_deref().unwrap_or("")
            );
            if let Some(c) = field.constraints.as_deref().filter(|c| !c.is_empty()) {
                line.push_str("\nConstraints: ");
                line.push_str(c);
            }
            line
        })
        .collect();
    dspy_pytext::strip(&lines.join("\n")).to_string()
}
