//! The signatures DSPy 3.4.1's instruction proposers call, field for field: their instructions,
//! descriptions and order make the prompts byte-identical to Python's.

use dspy_adapters::{FieldSpec, FieldType, SignatureSpec};

/// A `str` field with DSPy's `desc=` (or none: DSPy's `${name}` placeholder).
fn field(name: &str, desc: Option<&str>) -> FieldSpec {
    let field = FieldSpec::new(name, FieldType::Str);
    match desc {
        Some(desc) => field.with_desc(desc),
        None => field,
    }
}

/// Builds a signature from `(name, desc)` inputs and outputs.
fn signature(
    instructions: &str,
    inputs: &[(&str, Option<&str>)],
    outputs: &[(&str, Option<&str>)],
) -> SignatureSpec {
    let mut builder = SignatureSpec::builder().instructions(instructions);
    for (name, desc) in inputs {
        builder = builder.input(field(name, *desc));
    }
    for (name, desc) in outputs {
        builder = builder.output(field(name, *desc));
    }
    builder
        .build()
        .expect("the proposer signatures have distinct field names")
}

const OBSERVATIONS_OUT: &str =
    "Somethings that holds true for most or all of the data you observed";
const EXAMPLES: &str = "Sample data points from the dataset";

/// DSPy's `DatasetDescriptor`: first observations over a batch of examples.
pub(crate) fn dataset_descriptor() -> SignatureSpec {
    signature(
        "Given several examples from a dataset please write observations about trends that hold for most or all of the samples. Some areas you may consider in your observations: topics, content, syntax, conciseness, etc. It will be useful to make an educated guess as to the nature of the task this dataset will enable. Don't be afraid to be creative",
        &[("examples", Some(EXAMPLES))],
        &[("observations", Some(OBSERVATIONS_OUT))],
    )
}

/// DSPy's `DatasetDescriptorWithPriorObservations`: more observations, or `COMPLETE`.
pub(crate) fn dataset_descriptor_with_prior() -> SignatureSpec {
    signature(
        "Given several examples from a dataset please write observations about trends that hold for most or all of the samples. I will also provide you with a few observations I have already made.  Please add your own observations or if you feel the observations are comprehensive say 'COMPLETE' Some areas you may consider in your observations: topics, content, syntax, conciceness, etc. It will be useful to make an educated guess as to the nature of the task this dataset will enable. Don't be afraid to be creative",
        &[
            ("examples", Some(EXAMPLES)),
            (
                "prior_observations",
                Some("Some prior observations I made about the data"),
            ),
        ],
        &[(
            "observations",
            Some("Somethings that holds true for most or all of the data you observed or COMPLETE if you have nothing to add"),
        )],
    )
}

/// DSPy's `ObservationSummarizer`: the observations in two or three sentences.
pub(crate) fn observation_summarizer() -> SignatureSpec {
    signature(
        "Given a series of observations I have made about my dataset, please summarize them into a brief 2-3 sentence summary which highlights only the most important details.",
        &[("observations", Some("Observations I have made about my dataset"))],
        &[(
            "summary",
            Some("Two to Three sentence summary of only the most significant highlights of my observations"),
        )],
    )
}

const PIPELINE: &str =
    "Below is some pseudo-code for a pipeline that solves tasks with calls to language models.";
const PSEUDOCODE: &str =
    "Pseudocode for a language model program designed to solve a particular task.";
const EXAMPLE_IN_USE: &str = "An example of the program in use.";
const SUMMARY_OF_PROGRAM: &str =
    "Summary of the task the program is designed to solve, and how it goes about solving it.";

/// DSPy's `DescribeProgram`.
pub(crate) fn describe_program() -> SignatureSpec {
    signature(
        &format!("{PIPELINE} Please describe what type of task this program appears to be designed to solve, and how it appears to work."),
        &[
            ("program_code", Some(PSEUDOCODE)),
            ("program_example", Some(EXAMPLE_IN_USE)),
        ],
        &[(
            "program_description",
            Some("Describe what task the program is designed to solve, and how it goes about solving this task."),
        )],
    )
}

/// DSPy's `DescribeModule`.
pub(crate) fn describe_module() -> SignatureSpec {
    signature(
        &format!("{PIPELINE} Please describe the purpose of one of the specified module in this pipeline."),
        &[
            ("program_code", Some(PSEUDOCODE)),
            ("program_example", Some(EXAMPLE_IN_USE)),
            ("program_description", Some(SUMMARY_OF_PROGRAM)),
            (
                "module",
                Some("The module in the program that we want to describe."),
            ),
        ],
        &[(
            "module_description",
            Some("Description of the module's role in the broader program."),
        )],
    )
}

/// Which optional inputs DSPy's `GenerateSingleModuleInstruction` has for one proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InstructionInputs {
    pub(crate) dataset_summary: bool,
    pub(crate) program_aware: bool,
    pub(crate) history: bool,
    pub(crate) tip: bool,
}

/// DSPy's `GenerateSingleModuleInstruction` with the inputs `with` selects.
pub(crate) fn generate_instruction(with: InstructionInputs) -> SignatureSpec {
    let mut inputs: Vec<(&str, Option<&str>)> = Vec::new();
    if with.dataset_summary {
        inputs.push((
            "dataset_description",
            Some("A description of the dataset that we are using."),
        ));
    }
    if with.program_aware {
        inputs.push((
            "program_code",
            Some("Language model program designed to solve a particular task."),
        ));
        inputs.push(("program_description", Some(SUMMARY_OF_PROGRAM)));
        inputs.push(("module", Some("The module to create an instruction for.")));
        inputs.push((
            "module_description",
            Some("Description of the module to create an instruction for."),
        ));
    }
    inputs.push(("task_demos", Some("Example inputs/outputs of our module.")));
    if with.history {
        inputs.push((
            "previous_instructions",
            Some("Previous instructions we've attempted, along with their associated scores."),
        ));
    }
    inputs.push(("basic_instruction", Some("Basic instruction.")));
    if with.tip {
        inputs.push((
            "tip",
            Some("A suggestion for how to go about generating the new instruction."),
        ));
    }
    signature(
        "Use the information below to learn about a task that we are trying to solve using calls to an LM, then generate a new instruction that will be used to prompt a Language Model to better solve the task.",
        &inputs,
        &[(
            "proposed_instruction",
            Some("Propose an instruction that will be used to prompt a Language Model to perform this task."),
        )],
    )
}

const IMPROVED: &str = "The improved instructions for the language model";
const PREFIX_OUT: &str =
    "The string at the end of the prompt, which will help the model start solving the task";

/// COPRO's `BasicGenerateInstruction`: new (instruction, prefix) pairs from the first one.
pub(crate) fn basic_generate_instruction() -> SignatureSpec {
    signature(
        "You are an instruction optimizer for large language models. I will give you a ``signature`` of fields (inputs and outputs) in English. Your task is to propose an instruction that will lead a good language model to perform the task well. Don't be afraid to be creative.",
        &[(
            "basic_instruction",
            Some("The initial instructions before optimization"),
        )],
        &[
            ("proposed_instruction", Some(IMPROVED)),
            ("proposed_prefix_for_output_field", Some(PREFIX_OUT)),
        ],
    )
}

/// COPRO's `GenerateInstructionGivenAttempts`: a better pair from scored attempts.
pub(crate) fn generate_instruction_given_attempts() -> SignatureSpec {
    signature(
        "You are an instruction optimizer for large language models. I will give some task instructions I've tried, along with their corresponding validation scores. The instructions are arranged in increasing order based on their scores, where higher scores indicate better quality.\n\nYour task is to propose a new instruction that will lead a good language model to perform the task even better. Don't be afraid to be creative.",
        &[("attempted_instructions", None)],
        &[
            ("proposed_instruction", Some(IMPROVED)),
            ("proposed_prefix_for_output_field", Some(PREFIX_OUT)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_inputs_come_and_go_in_dspy_order() {
        let all = generate_instruction(InstructionInputs {
            dataset_summary: true,
            program_aware: true,
            history: true,
            tip: true,
        });
        let names: Vec<&str> = all.inputs().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "dataset_description",
                "program_code",
                "program_description",
                "module",
                "module_description",
                "task_demos",
                "previous_instructions",
                "basic_instruction",
                "tip"
            ]
        );
        let bare = generate_instruction(InstructionInputs {
            dataset_summary: false,
            program_aware: false,
            history: false,
            tip: false,
        });
        let names: Vec<&str> = bare.inputs().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["task_demos", "basic_instruction"]);
        assert_eq!(bare.outputs()[0].prefix, "Proposed Instruction:");
    }
}
