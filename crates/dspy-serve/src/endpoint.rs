//! [`Endpoint`]: one program behind a route, with the JSON Schemas of its input and output.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use dspy_adapters::signature::FieldSpec;
use dspy_adapters::value::validate;
use dspy_adapters::{SignatureSpec, Values};
use dspy_core::module::Module;
use dspy_core::predict::Predict;
use dspy_core::signature::Signature;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::ApiError;

/// A boxed, sendable future.
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The type-erased program: request JSON in, response JSON out.
type Run = Arc<dyn Fn(Value) -> BoxFuture<Result<Value, ApiError>> + Send + Sync>;

/// A program served at a route: `POST` runs it, `GET .../schema` publishes its schemas.
#[derive(Clone)]
pub struct Endpoint {
    input_schema: Value,
    output_schema: Value,
    run: Run,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("input_schema", &self.input_schema)
            .field("output_schema", &self.output_schema)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// Any async function from a typed input to a typed output (a typed program's `forward`);
    /// the schemas are the types' `JsonSchema`s.
    pub fn typed<In, Out, F, Fut>(f: F) -> Endpoint
    where
        In: DeserializeOwned + JsonSchema + Send + 'static,
        Out: Serialize + JsonSchema + 'static,
        F: Fn(In) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Out, dspy_core::Error>> + Send + 'static,
    {
        let input = schemars::schema_for!(In).to_value();
        let output = schemars::schema_for!(Out).to_value();
        Endpoint::with_schemas(input, output, f)
    }

    /// An async function over a signature's typed input and output structs (what
    /// `#[derive(Signature)]` generates); the schemas come from the signature's fields.
    pub fn signature<S, F, Fut>(f: F) -> Endpoint
    where
        S: Signature + 'static,
        S::Input: 'static,
        S::Output: 'static,
        F: Fn(S::Input) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<S::Output, dspy_core::Error>> + Send + 'static,
    {
        let (input, output) = spec_schemas(S::spec());
        Endpoint::with_schemas(input, output, f)
    }

    /// A typed predictor.
    pub fn typed_predict<S>(predict: dspy_core::typed::Predict<S>) -> Endpoint
    where
        S: Signature + 'static,
        S::Input: 'static,
        S::Output: 'static,
    {
        let predict = Arc::new(predict);
        Endpoint::signature::<S, _, _>(move |input| {
            let predict = Arc::clone(&predict);
            async move { predict.forward(input).await }
        })
    }

    /// A dynamic predictor: inputs and outputs are JSON objects keyed by field name.
    pub fn predict(predict: Predict) -> Endpoint {
        let spec = predict.signature().clone();
        Endpoint::module(spec, predict)
    }

    /// Any [`Module`] whose inputs and outputs are `spec`'s fields. Inputs are checked against
    /// the fields' types (with pydantic's lax coercions) before the program runs.
    pub fn module<M: Module + 'static>(spec: SignatureSpec, module: M) -> Endpoint {
        let (input_schema, output_schema) = spec_schemas(&spec);
        let spec = Arc::new(spec);
        let module = Arc::new(module);
        let run: Run = Arc::new(move |value| {
            let spec = Arc::clone(&spec);
            let module = Arc::clone(&module);
            Box::pin(async move {
                let inputs = check_inputs(&spec, value)?;
                let prediction = module.forward(inputs).await?;
                Ok(Value::Object(prediction.into_values()))
            })
        });
        Endpoint {
            input_schema,
            output_schema,
            run,
        }
    }

    /// An async function between serde types, with the schemas given.
    pub fn with_schemas<In, Out, F, Fut>(
        input_schema: Value,
        output_schema: Value,
        f: F,
    ) -> Endpoint
    where
        In: DeserializeOwned + Send + 'static,
        Out: Serialize + 'static,
        F: Fn(In) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Out, dspy_core::Error>> + Send + 'static,
    {
        let f = Arc::new(f);
        let run: Run = Arc::new(move |value| {
            let input = serde_json::from_value::<In>(value);
            let f = Arc::clone(&f);
            Box::pin(async move {
                let input = input.map_err(|e| ApiError::invalid_input(e.to_string()))?;
                let output = f(input).await?;
                serde_json::to_value(output)
                    .map_err(|e| ApiError::internal(format!("the output is not JSON: {e}")))
            })
        });
        Endpoint {
            input_schema,
            output_schema,
            run,
        }
    }

    /// `{"input": <JSON Schema>, "output": <JSON Schema>}`.
    pub fn schemas(&self) -> Value {
        json!({"input": self.input_schema, "output": self.output_schema})
    }

    /// Runs the program on a request's JSON.
    pub(crate) fn run(&self, input: Value) -> BoxFuture<Result<Value, ApiError>> {
        (self.run)(input)
    }
}

/// The JSON Schemas of a signature's inputs and outputs, as objects keyed by field name.
///
/// Each property is the field's pydantic schema (`{"type": "string"}` for `str`) with its
/// description; models and enums are hoisted to the object's `$defs`.
pub fn spec_schemas(spec: &SignatureSpec) -> (Value, Value) {
    (
        object_schema(spec.inputs(), true),
        object_schema(spec.outputs(), false),
    )
}

fn object_schema(fields: &[FieldSpec], closed: bool) -> Value {
    let mut properties = Map::new();
    let mut defs = Map::new();
    let mut required = Vec::new();
    for field in fields {
        let mut schema = field
            .schema
            .clone()
            .unwrap_or_else(|| json!({"type": "string"}));
        if let Value::Object(map) = &mut schema {
            if let Some(Value::Object(field_defs)) = map.remove("$defs") {
                defs.extend(field_defs);
            }
            if let Some(desc) = &field.desc {
                map.insert("description".into(), Value::from(desc.clone()));
            }
            if let Some(default) = &field.default {
                map.insert("default".into(), default.clone());
            }
        }
        if field.default.is_none() {
            required.push(Value::from(field.name.clone()));
        }
        properties.insert(field.name.clone(), schema);
    }
    let mut out = Map::new();
    out.insert("type".into(), "object".into());
    out.insert("properties".into(), Value::Object(properties));
    out.insert("required".into(), Value::Array(required));
    if closed {
        out.insert("additionalProperties".into(), false.into());
    }
    if !defs.is_empty() {
        out.insert("$defs".into(), Value::Object(defs));
    }
    Value::Object(out)
}

/// The request's inputs, checked against the signature: an object with every required input
/// field, no others, each value valid for its field's type.
fn check_inputs(spec: &SignatureSpec, value: Value) -> Result<Values, ApiError> {
    let Value::Object(mut given) = value else {
        return Err(ApiError::invalid_input(
            "the body should be a JSON object keyed by input field name",
        ));
    };
    let names = || {
        spec.inputs()
            .iter()
            .map(|f| format!("`{}`", f.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(unknown) = given
        .keys()
        .find(|k| !spec.inputs().iter().any(|f| &f.name == *k))
    {
        return Err(ApiError::invalid_input(format!(
            "unknown input field `{unknown}`; the inputs are {}",
            names()
        )));
    }
    let mut inputs = Values::new();
    for field in spec.inputs() {
        let value = match (given.remove(&field.name), &field.default) {
            (Some(value), _) => value,
            (None, Some(default)) => default.clone(),
            (None, None) => {
                return Err(ApiError::invalid_input(format!(
                    "missing input field `{}`; the inputs are {}",
                    field.name,
                    names()
                )))
            }
        };
        let value = validate(&value, &field.ty)
            .map_err(|e| ApiError::invalid_input(format!("input field `{}`: {e}", field.name)))?;
        inputs.insert(field.name.clone(), value);
    }
    Ok(inputs)
}
