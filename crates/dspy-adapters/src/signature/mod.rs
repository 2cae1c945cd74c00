//! Signature specs: instructions plus ordered, typed input and output fields.
//!
//! A [`SignatureSpec`] is what every adapter formats and parses against. Build one from a
//! DSPy string signature ([`SignatureSpec::parse`]) or field by field ([`SignatureSpec::builder`]).
//! A spec is immutable once built, so adapters may cache text derived from it.

mod parse;
mod prefix;
pub mod rust_types;
mod schema;
mod types;

use std::sync::OnceLock;

use serde_json::Value;

pub use parse::{parse_type, SignatureSyntaxError};
pub use prefix::{default_instructions, infer_prefix};
pub use rust_types::{field_type_from_schema, field_type_of};
pub use schema::pydantic_schema;
pub use types::{EnumDef, EnumMember, FieldType, LiteralValue, ModelDef, ModelField};

/// Whether a field is an input or an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldRole {
    /// Given to the LM.
    Input,
    /// Produced by the LM.
    Output,
}

/// One field of a signature.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    /// Field name (a Python identifier).
    pub name: String,
    /// Description; `None` means "no description" (DSPy's `${name}` placeholder).
    pub desc: Option<String>,
    /// Prefix, e.g. `Question:` (saved with programs, not rendered by the adapters).
    pub prefix: String,
    /// The field's type.
    pub ty: FieldType,
    /// The field's JSON Schema in pydantic's form and key order (`None` for `str`); what
    /// prompts show after "must adhere to the JSON schema".
    pub schema: Option<Value>,
    /// DSPy's text for the field's constraints, e.g. `greater than or equal to: 0`.
    pub constraints: Option<String>,
    /// Default value, for a field that is not required.
    pub default: Option<Value>,
}

impl FieldSpec {
    /// A field with DSPy's defaults: no description, the inferred prefix, and (for types other
    /// than `str`) pydantic's JSON Schema of `ty`.
    pub fn new(name: impl Into<String>, ty: FieldType) -> FieldSpec {
        let name = name.into();
        let prefix = format!("{}:", infer_prefix(&name));
        let schema = (ty != FieldType::Str).then(|| pydantic_schema(&ty));
        FieldSpec {
            name,
            desc: None,
            prefix,
            ty,
            schema,
            constraints: None,
            default: None,
        }
    }

    /// Sets the description (an empty or `${name}` description means none).
    pub fn with_desc(mut self, desc: impl Into<String>) -> FieldSpec {
        let desc = desc.into();
        self.desc = if desc == format!("${{{}}}", self.name) {
            None
        } else {
            Some(desc)
        };
        self
    }

    /// Sets the prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> FieldSpec {
        self.prefix = prefix.into();
        self
    }

    /// Sets the JSON Schema (pydantic form).
    pub fn with_schema(mut self, schema: Value) -> FieldSpec {
        self.schema = Some(schema);
        self
    }

    /// Sets the constraints text.
    pub fn with_constraints(mut self, constraints: impl Into<String>) -> FieldSpec {
        self.constraints = Some(constraints.into());
        self
    }

    /// Sets the default value.
    pub fn with_default(mut self, default: Value) -> FieldSpec {
        self.default = Some(default);
        self
    }

    /// The description as DSPy stores it: the text, or the `${name}` placeholder.
    pub fn stored_desc(&self) -> String {
        match &self.desc {
            Some(d) => d.clone(),
            None => format!("${{{}}}", self.name),
        }
    }
}

/// Text derived from a spec once and reused by every call.
#[derive(Debug, Clone, Default)]
pub(crate) struct SpecCache {
    pub(crate) chat_system: OnceLock<String>,
    pub(crate) json_system: OnceLock<String>,
    pub(crate) xml_system: OnceLock<String>,
    pub(crate) chat_reminder: OnceLock<String>,
    pub(crate) json_reminder: OnceLock<String>,
    pub(crate) xml_reminder: OnceLock<String>,
}

/// A signature: instructions plus ordered input and output fields.
#[derive(Debug, Clone)]
pub struct SignatureSpec {
    instructions: String,
    inputs: Vec<FieldSpec>,
    outputs: Vec<FieldSpec>,
    pub(crate) cache: SpecCache,
}

impl PartialEq for SignatureSpec {
    fn eq(&self, other: &Self) -> bool {
        self.instructions == other.instructions
            && self.inputs == other.inputs
            && self.outputs == other.outputs
    }
}

impl SignatureSpec {
    /// Parses a DSPy string signature such as `"question, context: list[str] -> answer: int"`.
    /// Instructions are DSPy's defaults.
    pub fn parse(text: &str) -> Result<SignatureSpec, SignatureSyntaxError> {
        parse::parse_signature(text)
    }

    /// Starts building a spec field by field.
    pub fn builder() -> SignatureBuilder {
        SignatureBuilder::default()
    }

    /// The instructions (DSPy's defaults when none were given).
    pub fn instructions(&self) -> &str {
        &self.instructions
    }

    /// Input fields in declaration order.
    pub fn inputs(&self) -> &[FieldSpec] {
        &self.inputs
    }

    /// Output fields in declaration order.
    pub fn outputs(&self) -> &[FieldSpec] {
        &self.outputs
    }

    /// The field names as DSPy's `Signature.signature` shows them: `question, context -> answer`.
    pub fn field_names(&self) -> String {
        let names = |fields: &[FieldSpec]| {
            fields
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!("{} -> {}", names(&self.inputs), names(&self.outputs))
    }

    /// All fields: inputs then outputs.
    pub fn fields(&self) -> impl Iterator<Item = &FieldSpec> {
        self.inputs.iter().chain(self.outputs.iter())
    }

    /// Looks up a field by name.
    pub fn field(&self, name: &str) -> Option<(FieldRole, &FieldSpec)> {
        if let Some(f) = self.inputs.iter().find(|f| f.name == name) {
            return Some((FieldRole::Input, f));
        }
        self.outputs
            .iter()
            .find(|f| f.name == name)
            .map(|f| (FieldRole::Output, f))
    }

    /// A copy with new instructions.
    pub fn with_instructions(&self, instructions: impl Into<String>) -> SignatureSpec {
        SignatureSpec::from_parts(
            instructions.into(),
            self.inputs.clone(),
            self.outputs.clone(),
        )
    }

    /// A copy with `field` inserted at the front of the inputs or outputs (DSPy's `prepend`),
    /// keeping the instructions. `ChainOfThought` uses this to add `reasoning`.
    pub fn prepend(&self, role: FieldRole, field: FieldSpec) -> SignatureSpec {
        let (mut inputs, mut outputs) = (self.inputs.clone(), self.outputs.clone());
        match role {
            FieldRole::Input => inputs.insert(0, field),
            FieldRole::Output => outputs.insert(0, field),
        }
        SignatureSpec::from_parts(self.instructions.clone(), inputs, outputs)
    }

    /// A copy where `edit` changed the named field (description, prefix, ...).
    pub fn with_updated_field(
        &self,
        name: &str,
        edit: impl FnOnce(&mut FieldSpec),
    ) -> SignatureSpec {
        let (mut inputs, mut outputs) = (self.inputs.clone(), self.outputs.clone());
        if let Some(f) = inputs
            .iter_mut()
            .chain(outputs.iter_mut())
            .find(|f| f.name == name)
        {
            edit(f);
        }
        SignatureSpec::from_parts(self.instructions.clone(), inputs, outputs)
    }

    /// A copy without the named field (DSPy's `delete`); the same signature when there is none.
    pub fn without(&self, name: &str) -> SignatureSpec {
        let keep = |fields: &[FieldSpec]| -> Vec<FieldSpec> {
            fields.iter().filter(|f| f.name != name).cloned().collect()
        };
        SignatureSpec::from_parts(
            self.instructions.clone(),
            keep(&self.inputs),
            keep(&self.outputs),
        )
    }

    /// The first input of type `list[dspy.Tool]` or `dspy.Tool`: the tools a native
    /// function-calling adapter sends to the LM.
    pub fn tools_field(&self) -> Option<&FieldSpec> {
        self.inputs.iter().find(|f| match &f.ty {
            FieldType::Tool => true,
            FieldType::List(item) => **item == FieldType::Tool,
            _ => false,
        })
    }

    /// The first output of type `dspy.ToolCalls`: where the LM's native tool calls go.
    pub fn tool_calls_field(&self) -> Option<&FieldSpec> {
        self.outputs.iter().find(|f| f.ty == FieldType::ToolCalls)
    }

    /// The input fields whose type is `dspy.History`.
    pub(crate) fn history_field(&self) -> Option<&FieldSpec> {
        self.inputs.iter().find(|f| f.ty == FieldType::History)
    }

    fn from_parts(
        instructions: String,
        inputs: Vec<FieldSpec>,
        outputs: Vec<FieldSpec>,
    ) -> SignatureSpec {
        SignatureSpec {
            instructions,
            inputs,
            outputs,
            cache: SpecCache::default(),
        }
    }
}

/// Builds a [`SignatureSpec`]; see [`SignatureSpec::builder`].
#[derive(Debug, Default, Clone)]
pub struct SignatureBuilder {
    instructions: Option<String>,
    inputs: Vec<FieldSpec>,
    outputs: Vec<FieldSpec>,
}

impl SignatureBuilder {
    /// Sets the instructions (otherwise DSPy's default instructions are used).
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Appends an input field.
    pub fn input(mut self, field: FieldSpec) -> Self {
        self.inputs.push(field);
        self
    }

    /// Appends an output field.
    pub fn output(mut self, field: FieldSpec) -> Self {
        self.outputs.push(field);
        self
    }

    /// Finishes the spec. Fails when a name is used twice.
    pub fn build(self) -> Result<SignatureSpec, SignatureSyntaxError> {
        let mut seen = std::collections::HashSet::new();
        for f in self.inputs.iter().chain(self.outputs.iter()) {
            if !seen.insert(f.name.as_str()) {
                return Err(SignatureSyntaxError::duplicate(&f.name));
            }
        }
        let instructions = self
            .instructions
            .unwrap_or_else(|| default_instructions(&self.inputs, &self.outputs));
        Ok(SignatureSpec::from_parts(
            instructions,
            self.inputs,
            self.outputs,
        ))
    }
}
