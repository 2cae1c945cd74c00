//! DSPy's data-set summary (`create_dataset_summary`): observations over batches of training
//! examples, then a two-to-three sentence summary of them.

use dspy_adapters::{SignatureSpec, Values};
use serde_json::Value;

use super::signatures;
use super::text::{examples_repr, strip_prefix};
use dspy_core::example::Example;
use dspy_core::lm::SharedLm;
use dspy_core::predict::{LmConfig, Predict};
use dspy_core::Error;

/// At most this many observation calls in all (DSPy's `max_calls`).
const MAX_CALLS: usize = 10;
/// Stop after this many `COMPLETE` answers.
const MAX_SKIPS: usize = 5;

/// One call of `spec` on the prompt LM with `n=1, temperature=1.0`, as DSPy makes it, returning
/// the text of `output`.
async fn ask(
    lm: &SharedLm,
    spec: SignatureSpec,
    inputs: &[(&str, &str)],
    output: &str,
) -> Result<String, Error> {
    let predict = Predict::new(spec)
        .with_lm(lm.clone())
        .with_config(LmConfig::default().n(1).temperature(1.0));
    let mut values = Values::new();
    for (k, v) in inputs {
        values.insert((*k).to_string(), Value::String((*v).to_string()));
    }
    let prediction = predict.forward(values).await?;
    Ok(prediction.get_str(output).unwrap_or_default().to_string())
}

/// Summarizes `trainset` in batches of `batch_size` on `lm`, as DSPy does: the first batch gets
/// observations, each later batch (up to ten calls in all) adds to them unless it answers
/// `COMPLETE` (five of those stop early), and a last call summarizes. A failed call after the
/// first keeps the observations so far; a failed first or last call is returned.
pub(crate) async fn dataset_summary(
    trainset: &[Example],
    batch_size: usize,
    lm: &SharedLm,
) -> Result<String, Error> {
    let batch_size = batch_size.max(1);
    let first = &trainset[..trainset.len().min(batch_size)];
    let mut observations = ask(
        lm,
        signatures::dataset_descriptor(),
        &[("examples", &examples_repr(first))],
        "observations",
    )
    .await?;

    let mut skips = 0;
    for (calls, start) in (batch_size..trainset.len()).step_by(batch_size).enumerate() {
        if calls + 1 >= MAX_CALLS {
            break;
        }
        let batch = &trainset[start..trainset.len().min(start + batch_size)];
        let more = match ask(
            lm,
            signatures::dataset_descriptor_with_prior(),
            &[
                ("prior_observations", &observations),
                ("examples", &examples_repr(batch)),
            ],
            "observations",
        )
        .await
        {
            Ok(more) => more,
            Err(error) => {
                tracing::warn!(%error, "a data-set observation call failed; summarizing the observations so far");
                break;
            }
        };
        if more.chars().take(8).collect::<String>().to_uppercase() == "COMPLETE" {
            skips += 1;
            if skips >= MAX_SKIPS {
                break;
            }
            continue;
        }
        observations.push_str(&more);
    }

    let summary = ask(
        lm,
        signatures::observation_summarizer(),
        &[("observations", &observations)],
        "summary",
    )
    .await?;
    Ok(strip_prefix(&summary))
}
