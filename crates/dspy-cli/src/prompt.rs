//! `dspy prompt`: the exact messages a saved predictor sends.

use dspy_adapters::{AdapterKind, Values};
use dspy_core::predict::Predict;
use dspy_core::ModuleExt;
use serde_json::{json, Value};

use crate::error::CliError;
use crate::{saved, AdapterArg, SavedPredictor};

/// What `prompt` takes.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    saved: SavedPredictor,
    /// An input as name=value (a value that is JSON is read as JSON, else as text).
    #[arg(long = "input", short, value_name = "NAME=VALUE")]
    inputs: Vec<String>,
    /// The adapter that formats the messages.
    #[arg(long, value_enum, default_value_t = AdapterArg::Chat)]
    adapter: AdapterArg,
    /// Print the messages as a JSON list of {"role", "content"}.
    #[arg(long)]
    json: bool,
}

/// Prints the messages.
pub(crate) fn run(args: &Args) -> Result<(), CliError> {
    let predict = load(&args.saved)?;
    let inputs = parse_inputs(&args.inputs)?;
    let kind = match args.adapter {
        AdapterArg::Chat => AdapterKind::Chat,
        AdapterArg::Json => AdapterKind::Json,
        AdapterArg::Xml => AdapterKind::Xml,
    };
    let demos: Vec<Values> = predict.demos().iter().map(|d| d.values().clone()).collect();
    let messages = kind.adapter().format(predict.signature(), &demos, &inputs);
    if args.json {
        let list: Vec<Value> = messages
            .iter()
            .map(|m| json!({"role": m.role, "content": m.content}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
    } else {
        for message in &messages {
            println!(
                "--- {} ---",
                serde_json::to_value(message.role)
                    .unwrap_or_default()
                    .as_str()
                    .unwrap_or("?")
            );
            println!("{}", message.content);
        }
    }
    Ok(())
}

/// The saved predictor (the named one, or the only one) as a predictor of its signature.
pub(crate) fn load(args: &SavedPredictor) -> Result<Predict, CliError> {
    let saved = saved::read(&args.file)?;
    let state = pick(&saved, args.predictor.as_deref())?;
    let mut predict = Predict::parse(&args.signature)?;
    predict.load_state(state)?;
    Ok(predict)
}

/// The state of the named predictor, or of the only one.
fn pick<'s>(saved: &'s saved::Saved, name: Option<&str>) -> Result<&'s Value, CliError> {
    let names = || {
        saved
            .predictors
            .iter()
            .map(|(n, _)| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (name, saved.predictors.as_slice()) {
        (None, [(_, state)]) => Ok(state),
        (None, _) => Err(CliError::Predictor(format!(
            "the file has several predictors ({}); choose one with --predictor",
            names()
        ))),
        (Some(name), predictors) => predictors
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, state)| state)
            .ok_or_else(|| {
                CliError::Predictor(format!(
                    "no predictor `{name}` in the file; it has {}",
                    names()
                ))
            }),
    }
}

/// `name=value` pairs; a value that is JSON is read as JSON, else as text.
fn parse_inputs(pairs: &[String]) -> Result<Values, CliError> {
    let mut values = Values::new();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .filter(|(n, _)| !n.trim().is_empty())
            .ok_or_else(|| CliError::Input(pair.clone()))?;
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::from(value));
        values.insert(name.trim().to_string(), value);
    }
    Ok(values)
}
