//! Typed signatures: a Rust type that names its input and output structs and describes itself
//! as a [`SignatureSpec`].
//!
//! Implement [`Signature`] with `#[derive(Signature)]` (the `dspy` crate's `derive` feature),
//! or by hand as below. [`to_values`] and [`from_values`] move typed inputs and outputs in and
//! out of the [`Values`] maps the adapters format and parse; a value of the wrong type is a
//! [`ValuesError`] that names its field.

use std::fmt;

use dspy_adapters::signature::{FieldSpec, FieldType, SignatureSpec};
use dspy_adapters::Values;
use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::Serialize;
use serde_json::Value;

/// A signature with typed inputs and outputs.
///
/// `Input` and `Output` are structs whose fields are the signature's input and output fields
/// (serialized under the fields' names); [`spec`](Signature::spec) describes the same fields
/// for the adapters. `#[derive(Signature)]` writes all three from one struct. A hand-written
/// implementation:
///
/// ```
/// use std::sync::OnceLock;
///
/// use dspy_core::adapters::signature::{field_type_of, FieldSpec, SignatureSpec};
/// use dspy_core::signature::{from_values, to_values, Signature};
/// use serde::{Deserialize, Serialize};
///
/// /// Answer questions with a number.
/// struct Count;
///
/// #[derive(Serialize, Deserialize)]
/// struct CountInput {
///     question: String,
/// }
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct CountOutput {
///     answer: i64,
/// }
///
/// impl Signature for Count {
///     type Input = CountInput;
///     type Output = CountOutput;
///
///     fn spec() -> &'static SignatureSpec {
///         static SPEC: OnceLock<SignatureSpec> = OnceLock::new();
///         SPEC.get_or_init(|| {
///             SignatureSpec::builder()
///                 .instructions("Answer questions with a number.")
///                 .input(FieldSpec::new("question", field_type_of::<String>()))
///                 .output(FieldSpec::new("answer", field_type_of::<i64>()))
///                 .build()
///                 .expect("distinct field names")
///         })
///     }
/// }
///
/// let spec = Count::spec();
/// assert_eq!(spec.outputs()[0].ty.dspy_name(), "int");
///
/// let inputs = to_values(&CountInput { question: "How many legs has a cat?".into() })?;
/// assert_eq!(inputs["question"], "How many legs has a cat?");
///
/// let mut parsed = dspy_core::adapters::Values::new();
/// parsed.insert("answer".into(), serde_json::json!(4));
/// let output: CountOutput = from_values(parsed)?;
/// assert_eq!(output, CountOutput { answer: 4 });
/// # Ok::<(), dspy_core::signature::ValuesError>(())
/// ```
pub trait Signature {
    /// The input fields, as a struct.
    type Input: Serialize + DeserializeOwned + Send + Sync;
    /// The output fields, as a struct.
    type Output: Serialize + DeserializeOwned + Send + Sync;

    /// The signature's instructions and fields, built once.
    fn spec() -> &'static SignatureSpec;
}

/// A typed value that could not be turned into [`Values`], or [`Values`] that do not fit a
/// typed struct.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValuesError {
    /// A field's value has the wrong type.
    ///
    /// ```
    /// # use dspy_core::signature::{from_values, ValuesError};
    /// #[derive(serde::Deserialize, Debug)]
    /// struct Out { answer: i64 }
    ///
    /// let mut values = dspy_core::adapters::Values::new();
    /// values.insert("answer".into(), serde_json::json!("four"));
    /// let err = from_values::<Out>(values).unwrap_err();
    /// assert!(matches!(&err, ValuesError::WrongType { field, .. } if field == "answer"));
    /// assert_eq!(err.to_string(), r#"field `answer`: invalid type: string "four", expected i64"#);
    /// ```
    #[error("field `{field}`: {source}")]
    WrongType {
        /// The field's name.
        field: String,
        /// What serde found wrong with the value.
        source: serde_json::Error,
    },
    /// A required field is absent.
    ///
    /// ```
    /// # use dspy_core::signature::{from_values, ValuesError};
    /// #[derive(serde::Deserialize, Debug)]
    /// struct Out { answer: i64 }
    ///
    /// let err = from_values::<Out>(dspy_core::adapters::Values::new()).unwrap_err();
    /// assert_eq!(err.to_string(), "missing field `answer`");
    /// ```
    #[error("missing field `{field}`")]
    MissingField {
        /// The field's name.
        field: String,
    },
    /// A field the struct does not have (only for `#[serde(deny_unknown_fields)]` structs).
    ///
    /// ```
    /// # use dspy_core::signature::{from_values, ValuesError};
    /// #[derive(serde::Deserialize, Debug)]
    /// #[serde(deny_unknown_fields)]
    /// struct Out { answer: i64 }
    ///
    /// let mut values = dspy_core::adapters::Values::new();
    /// values.insert("answer".into(), serde_json::json!(4));
    /// values.insert("extra".into(), serde_json::json!(5));
    /// let err = from_values::<Out>(values).unwrap_err();
    /// assert_eq!(err.to_string(), "unknown field `extra`");
    /// ```
    #[error("unknown field `{field}`")]
    UnknownField {
        /// The field's name.
        field: String,
    },
    /// A typed value that does not serialize to a JSON object of fields.
    ///
    /// ```
    /// # use dspy_core::signature::{to_values, ValuesError};
    /// let err = to_values(&vec![1, 2]).unwrap_err();
    /// assert_eq!(err.to_string(), "expected a struct of fields, found a JSON array");
    /// ```
    #[error("expected a struct of fields, found a JSON {found}")]
    NotAnObject {
        /// The JSON type found instead (`array`, `string`, ...).
        found: &'static str,
    },
    /// A typed value that serde could not serialize.
    ///
    /// ```
    /// # use std::collections::HashMap;
    /// # use dspy_core::signature::{to_values, ValuesError};
    /// #[derive(serde::Serialize)]
    /// struct In { scores: HashMap<(i32, i32), f64> }
    ///
    /// let err = to_values(&In { scores: HashMap::from([((1, 2), 0.5)]) }).unwrap_err();
    /// assert!(matches!(err, ValuesError::Serialize(_)));
    /// ```
    #[error("could not serialize the fields: {0}")]
    Serialize(#[source] serde_json::Error),
    /// Any other complaint from a type's `Deserialize` implementation.
    ///
    /// ```
    /// # use dspy_core::signature::{from_values, ValuesError};
    /// let err = from_values::<(i64, i64)>(dspy_core::adapters::Values::new()).unwrap_err();
    /// assert!(matches!(err, ValuesError::Invalid { .. }));
    /// ```
    #[error("{message}")]
    Invalid {
        /// serde's message.
        message: String,
    },
}

impl de::Error for ValuesError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValuesError::Invalid {
            message: msg.to_string(),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        ValuesError::MissingField {
            field: field.to_string(),
        }
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        ValuesError::UnknownField {
            field: field.to_string(),
        }
    }
}

/// A typed input or output struct as [`Values`] (its JSON object form).
pub fn to_values<T: Serialize + ?Sized>(value: &T) -> Result<Values, ValuesError> {
    match serde_json::to_value(value).map_err(ValuesError::Serialize)? {
        Value::Object(map) => Ok(map),
        other => Err(ValuesError::NotAnObject {
            found: json_type(&other),
        }),
    }
}

/// [`Values`] as a typed input or output struct. A value that does not fit its field's type
/// is a [`ValuesError::WrongType`] naming the field.
pub fn from_values<T: DeserializeOwned>(values: Values) -> Result<T, ValuesError> {
    T::deserialize(ValuesDeserializer { values })
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Deserializes a struct from [`Values`], remembering which field each value belongs to.
struct ValuesDeserializer {
    values: Values,
}

impl<'de> de::Deserializer<'de> for ValuesDeserializer {
    type Error = ValuesError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValuesError> {
        visitor.visit_map(FieldAccess {
            fields: self.values.into_iter(),
            pending: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct FieldAccess {
    fields: serde_json::map::IntoIter,
    /// The field whose key was handed out and whose value is next.
    pending: Option<(String, Value)>,
}

impl<'de> MapAccess<'de> for FieldAccess {
    type Error = ValuesError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValuesError> {
        let Some((name, value)) = self.fields.next() else {
            return Ok(None);
        };
        let key: StrDeserializer<'_, ValuesError> = name.as_str().into_deserializer();
        let key = seed.deserialize(key)?;
        self.pending = Some((name, value));
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ValuesError> {
        let Some((field, value)) = self.pending.take() else {
            return Err(de::Error::custom("a field value was read before its name"));
        };
        seed.deserialize(value)
            .map_err(|source| ValuesError::WrongType { field, source })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// What `#[derive(Signature)]` expands to. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use std::sync::OnceLock;

    pub use dspy_adapters::signature::{FieldType, SignatureSpec};
    pub use schemars;
    pub use serde;

    pub use dspy_adapters::Values;

    pub use super::Signature;
    use super::{FieldSpec, FieldTypeOf};
    pub use crate::example::Prediction;
    pub use crate::lm::BoxFuture;
    pub use crate::module::{Module, ModuleField, ModuleInput};
    pub use crate::predict::Predict;
    pub use crate::spans::traced_module;
    pub use crate::tool::Tool;
    pub use crate::Error;

    /// `#[module]`: the typed input of the struct's `forward`, read from `values`.
    pub fn module_input<I: ModuleInput>(values: Values) -> Result<I, Error> {
        Ok(super::from_values(values)?)
    }

    /// `#[module]`: the typed output of the struct's `forward` as a [`Prediction`].
    pub fn module_output<O: super::Serialize + ?Sized>(output: &O) -> Result<Prediction, Error> {
        Ok(Prediction::new(super::to_values(output)?))
    }

    /// One field as the derive describes it.
    #[derive(Debug, Clone, Copy)]
    pub struct FieldDecl {
        /// The field's name.
        pub name: &'static str,
        /// `true` for an output field.
        pub output: bool,
        /// `#[input(desc = "...")]`.
        pub desc: Option<&'static str>,
        /// `#[input(prefix = "...")]`.
        pub prefix: Option<&'static str>,
        /// The field's type.
        pub ty: fn() -> FieldType,
    }

    /// The field type of `T`; a type without `JsonSchema` fails here, at the field's type.
    pub fn field_type<T: FieldTypeOf + ?Sized>() -> FieldType {
        T::field_type()
    }

    /// The spec of a derived signature: `instructions` (the cleaned doc comment; DSPy's
    /// default instructions when `None`) and the fields in declaration order.
    pub fn build_spec(instructions: Option<&str>, fields: &[FieldDecl]) -> SignatureSpec {
        let mut kept: Vec<&FieldDecl> = Vec::with_capacity(fields.len());
        for field in fields {
            // The derive rejects repeated names; keep the first one regardless.
            if !kept.iter().any(|k| k.name == field.name) {
                kept.push(field);
            }
        }
        // `build` fails only on a repeated name, so this returns on the first pass; dropping
        // fields from the end keeps it total without a panic.
        loop {
            let mut builder = SignatureSpec::builder();
            if let Some(instructions) = instructions {
                builder = builder.instructions(instructions);
            }
            for field in &kept {
                let mut spec = FieldSpec::new(field.name, (field.ty)());
                if let Some(desc) = field.desc {
                    spec = spec.with_desc(desc);
                }
                if let Some(prefix) = field.prefix {
                    spec = spec.with_prefix(prefix);
                }
                builder = if field.output {
                    builder.output(spec)
                } else {
                    builder.input(spec)
                };
            }
            match builder.build() {
                Ok(spec) => return spec,
                Err(_) => {
                    kept.pop();
                }
            }
        }
    }
}

/// Types that can be the type of a signature field: those with a JSON Schema.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the type of a signature field: it does not implement `schemars::JsonSchema`",
    label = "this type has no JSON Schema",
    note = "add `#[derive(schemars::JsonSchema)]` to the type (next to serde's `Serialize` and `Deserialize`)"
)]
#[doc(hidden)]
pub trait FieldTypeOf {
    /// The DSPy field type.
    fn field_type() -> FieldType;
}

impl<T: schemars::JsonSchema + ?Sized> FieldTypeOf for T {
    fn field_type() -> FieldType {
        dspy_adapters::signature::field_type_of::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Out {
        answer: String,
        score: Option<u8>,
        tags: Vec<String>,
    }

    #[test]
    fn round_trip() {
        let out = Out {
            answer: "yes".into(),
            score: Some(3),
            tags: vec!["a".into()],
        };
        let values = to_values(&out).unwrap();
        assert_eq!(
            values.keys().collect::<Vec<_>>(),
            ["answer", "score", "tags"]
        );
        assert_eq!(from_values::<Out>(values).unwrap(), out);
    }

    #[test]
    fn missing_option_is_none_and_wrong_type_names_the_field() {
        let mut values = Values::new();
        values.insert("answer".into(), Value::from("yes"));
        values.insert("tags".into(), Value::from(vec!["a"]));
        assert_eq!(from_values::<Out>(values.clone()).unwrap().score, None);

        values.insert("score".into(), Value::from(300));
        match from_values::<Out>(values) {
            Err(ValuesError::WrongType { field, .. }) => assert_eq!(field, "score"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn build_spec_keeps_declaration_order() {
        use __private::{build_spec, field_type, FieldDecl};
        let spec = build_spec(
            None,
            &[
                FieldDecl {
                    name: "question",
                    output: false,
                    desc: Some("A question"),
                    prefix: None,
                    ty: field_type::<String>,
                },
                FieldDecl {
                    name: "answer",
                    output: true,
                    desc: None,
                    prefix: Some("Result:"),
                    ty: field_type::<Vec<i32>>,
                },
                FieldDecl {
                    name: "answer",
                    output: true,
                    desc: None,
                    prefix: None,
                    ty: field_type::<bool>,
                },
            ],
        );
        assert_eq!(
            spec.instructions(),
            "Given the fields `question`, produce the fields `answer`."
        );
        assert_eq!(spec.inputs()[0].desc.as_deref(), Some("A question"));
        assert_eq!(spec.outputs().len(), 1);
        assert_eq!(spec.outputs()[0].prefix, "Result:");
        assert_eq!(spec.outputs()[0].ty.dspy_name(), "list[int]");
    }
}
