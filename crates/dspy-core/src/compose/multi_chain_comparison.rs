//! [`MultiChainComparison`]: compare `M` reasoning attempts and write a corrected one.

use serde_json::Value;

use dspy_adapters::render::py_repr::py_str;
use dspy_adapters::signature::SignatureSyntaxError;
use dspy_adapters::{FieldSpec, FieldType, SignatureSpec, Values};

use crate::example::Prediction;
use crate::lm::BoxFuture;
use crate::module::Module;
use crate::predict::{LmConfig, Predict};
use crate::Error;

/// The prefix of DSPy's `rationale` output field.
pub const RATIONALE_PREFIX: &str = "Accurate Reasoning: Thank you everyone. Let's now holistically";

/// DSPy's `dspy.MultiChainComparison`: shows the LM `M` earlier reasoning attempts (each
/// completion's rationale and answer) and asks for a holistic `rationale` and the outputs.
///
/// The signature is DSPy's extension of yours: inputs `reasoning_attempt_1` ..
/// `reasoning_attempt_M` appended (prefix `Student Attempt #i:`, description
/// `${reasoning attempt}`), the output `rationale` prepended (prefix [`RATIONALE_PREFIX`],
/// description `${corrected reasoning}`), your instructions. Its predictor runs at temperature
/// 0.7 unless [`with_config`](MultiChainComparison::with_config) says otherwise, and is named
/// `predict`, as in DSPy.
///
/// Each attempt is written as DSPy writes it: `«I'm trying to {rationale} I'm not sure but my
/// prediction is {answer}»`, where the rationale is the completion's `rationale` (else its
/// `reasoning`) and the answer its value of the signature's last output field (Python's
/// `str()` of it), each stripped and cut at the first line break.
///
/// As a [`Module`], `forward` reads the completions from an input named `completions` (a list
/// of objects); [`compare`](MultiChainComparison::compare) takes them directly.
///
/// ```
/// use std::sync::Arc;
/// use dspy_core::compose::MultiChainComparison;
/// use dspy_core::adapters::Values;
/// use dspy_testkit::ScriptedLm;
/// use serde_json::json;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let lm = Arc::new(ScriptedLm::from_outputs([[("rationale", "both say 4"), ("answer", "4")]]));
/// let mut mcc = MultiChainComparison::parse("question -> answer", 2).unwrap();
/// mcc.predict_mut().set_lm(Some(lm.clone()));
/// let attempt = |r: &str, a: &str| json!({"reasoning": r, "answer": a}).as_object().cloned().unwrap();
/// let completions = [attempt("add 2 and 2.\nThen stop.", "4"), attempt(" count.", " 4 ")];
/// let question: Values = [("question".to_string(), "2 + 2?".into())].into_iter().collect();
/// let pred = mcc.compare(&completions, question).await.unwrap();
/// assert_eq!(pred.get_str("answer"), Some("4"));
/// let request = lm.last_request().unwrap();
/// assert!(request.messages[1].content.contains(
///     "[[ ## reasoning_attempt_1 ## ]]\n«I'm trying to add 2 and 2. I'm not sure but my prediction is 4»"
/// ));
/// assert_eq!(request.temperature, Some(0.7));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct MultiChainComparison {
    m: usize,
    last_key: Option<String>,
    predict: Predict,
}

impl MultiChainComparison {
    /// Compares `m` attempts at `spec` (DSPy's `MultiChainComparison(signature, M=m)`).
    pub fn new(
        spec: &SignatureSpec,
        m: usize,
    ) -> Result<MultiChainComparison, SignatureSyntaxError> {
        let mut builder = SignatureSpec::builder().instructions(spec.instructions());
        for field in spec.inputs() {
            builder = builder.input(field.clone());
        }
        for i in 1..=m {
            builder = builder.input(
                FieldSpec::new(format!("reasoning_attempt_{i}"), FieldType::Str)
                    .with_prefix(format!("Student Attempt #{i}:"))
                    .with_desc("${reasoning attempt}"),
            );
        }
        builder = builder.output(
            FieldSpec::new("rationale", FieldType::Str)
                .with_prefix(RATIONALE_PREFIX)
                .with_desc("${corrected reasoning}"),
        );
        for field in spec.outputs() {
            builder = builder.output(field.clone());
        }
        let predict =
            Predict::new(builder.build()?).with_config(LmConfig::default().temperature(0.7));
        Ok(MultiChainComparison {
            m,
            last_key: spec.outputs().last().map(|f| f.name.clone()),
            predict,
        })
    }

    /// Compares `m` attempts at a DSPy string signature.
    pub fn parse(signature: &str, m: usize) -> Result<MultiChainComparison, SignatureSyntaxError> {
        MultiChainComparison::new(&SignatureSpec::parse(signature)?, m)
    }

    /// Merges `config` over the predictor's settings (DSPy's `temperature=` and `**config`).
    pub fn with_config(mut self, config: LmConfig) -> MultiChainComparison {
        let merged = self.predict.config().merged(&config);
        *self.predict.config_mut() = merged;
        self
    }

    /// The number of attempts it compares.
    pub fn m(&self) -> usize {
        self.m
    }

    /// The inner predictor.
    pub fn predict(&self) -> &Predict {
        &self.predict
    }

    /// Mutable access to the inner predictor (LM, demos, instructions, ...).
    pub fn predict_mut(&mut self) -> &mut Predict {
        &mut self.predict
    }

    /// The attempt texts DSPy builds from `completions`, in order.
    ///
    /// ```
    /// use dspy_core::compose::MultiChainComparison;
    /// use serde_json::json;
    ///
    /// let mcc = MultiChainComparison::parse("question -> answer: int", 1).unwrap();
    /// let c = json!({"rationale": "  count the legs\n...", "answer": 4}).as_object().cloned().unwrap();
    /// assert_eq!(mcc.attempts(&[c]).unwrap(), ["«I'm trying to count the legs I'm not sure but my prediction is 4»"]);
    /// ```
    pub fn attempts(&self, completions: &[Values]) -> Result<Vec<String>, Error> {
        let missing = |index: usize, field: &str| Error::MissingCompletionField {
            index,
            field: field.to_string(),
        };
        let Some(last_key) = &self.last_key else {
            return Err(missing(0, "(none: the signature has no output field)"));
        };
        let attempts = completions
            .iter()
            .enumerate()
            .map(|(index, c)| {
                let rationale = c
                    .get("rationale")
                    .or_else(|| c.get("reasoning"))
                    .filter(|v| !v.is_null())
                    .ok_or_else(|| missing(index, "rationale"))?;
                let answer = c.get(last_key).ok_or_else(|| missing(index, last_key))?;
                Ok(format!(
                    "«I'm trying to {} I'm not sure but my prediction is {}»",
                    first_line(rationale),
                    first_line(answer)
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        if attempts.len() != self.m {
            return Err(Error::WrongAttemptCount {
                expected: self.m,
                got: attempts.len(),
            });
        }
        Ok(attempts)
    }

    /// Compares `completions` (exactly `M` of them) for `inputs` (DSPy's
    /// `forward(completions, **kwargs)`); inputs of the same name as an attempt field win.
    pub async fn compare(
        &self,
        completions: &[Values],
        inputs: Values,
    ) -> Result<Prediction, Error> {
        let mut all = Values::new();
        for (i, attempt) in self.attempts(completions)?.into_iter().enumerate() {
            all.insert(format!("reasoning_attempt_{}", i + 1), attempt.into());
        }
        all.extend(inputs);
        self.predict.forward(all).await
    }
}

/// Python's `str(v).strip().split("\n")[0].strip()`.
fn first_line(value: &Value) -> String {
    let text = py_str(value);
    let stripped = dspy_pytext::strip(&text);
    let first = stripped.split('\n').next().unwrap_or("");
    dspy_pytext::strip(first).to_string()
}

impl Module for MultiChainComparison {
    /// Compares the completions in the input `completions` (a list of objects) for the other
    /// inputs.
    fn forward(&self, mut inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        Box::pin(async move {
            let completions: Vec<Values> = match inputs.remove("completions") {
                Some(Value::Array(items)) => items
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| match item {
                        Value::Object(c) => Ok(c),
                        _ => Err(Error::MissingCompletionField {
                            index,
                            field: "rationale".to_string(),
                        }),
                    })
                    .collect::<Result<_, _>>()?,
                _ => Vec::new(),
            };
            self.compare(&completions, inputs).await
        })
    }

    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        vec![("predict".to_string(), &self.predict)]
    }

    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        vec![("predict".to_string(), &mut self.predict)]
    }
}
