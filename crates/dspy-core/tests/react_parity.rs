//! ReAct against Python DSPy 3.4.1: `scripts/record_module_fixtures.py` ran `dspy.ReAct` with a
//! scripted LM and recorded every message each call received; replaying the same completions,
//! ours must send the same messages and return the same prediction. The one known difference:
//! a failed tool call's observation, where DSPy shows a Python traceback; both sides' error
//! texts are masked before comparing (`Execution error in {tool}: ...` up to the next field).

use std::sync::Arc;

use dspy_core::adapters::{FieldSpec, FieldType, SignatureSpec, Values};
use dspy_core::lm::SharedLm;
use dspy_core::react::ReAct;
use dspy_core::tool::Tool;
use dspy_core::{settings, Module, ModuleExt};
use dspy_testkit::ScriptedLm;
use regex::Regex;
use serde::Deserialize;
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/modules/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let value: Value = serde_json::from_str(&text).expect("fixture is JSON");
    assert_eq!(value["dspy_version"], "3.4.1", "{path}");
    value
}

#[derive(Deserialize, schemars::JsonSchema)]
struct City {
    city: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct AddArgs {
    a: i64,
    #[serde(default = "one")]
    b: i64,
}

fn one() -> i64 {
    1
}

#[derive(Deserialize, schemars::JsonSchema)]
struct Route {
    cities: Vec<String>,
    units: String,
}

/// The recorder's tools, with the same names, descriptions and argument types.
fn tools() -> Vec<Tool> {
    let lookup = Tool::from_fn(
        "lookup",
        "Look up the country of a city in a small table.",
        |a: City| async move {
            match a.city.to_lowercase().as_str() {
                "paris" => Ok("France"),
                "berlin" => Ok("Germany"),
                "rome" => Ok("Italy"),
                other => Err(format!("'{other}'")),
            }
        },
    );
    let add = Tool::from_fn("add", "Add two integers.", |a: AddArgs| async move {
        Ok::<_, String>(a.a + a.b)
    });
    vec![lookup, add]
}

fn route_tool() -> Tool {
    Tool::from_fn(
        "route_length",
        // Python's docstring, indentation included (DSPy does not clean it).
        "Length of a route through the given cities.\n    Cities are visited in the order given.",
        |r: Route| async move {
            let km = 300 * r.cities.len().saturating_sub(1);
            Ok::<_, String>(if r.units == "metric" {
                format!("{km} km")
            } else {
                format!("{} miles", (km as f64 * 0.621).round())
            })
        },
    )
}

/// Masks the text of failed tool calls, which differs by design.
fn mask(text: &str) -> String {
    let error = Regex::new(r"(?s)Execution error in (\w+): .*?(\n\n\[\[ ## |\z)").unwrap();
    error
        .replace_all(text, "Execution error in $1: <error>$2")
        .into_owned()
}

fn masked_messages(messages: &Value) -> Vec<(String, String)> {
    messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_string(),
                mask(m["content"].as_str().unwrap()),
            )
        })
        .collect()
}

fn masked_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(mask(s)),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), masked_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Replays the recorded completions through `agent` and compares every call and the result.
async fn replay(agent: &ReAct, want: &Value, inputs: Values) {
    let outputs: Vec<String> = want["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["output"].as_str().unwrap().to_string())
        .collect();
    let lm = Arc::new(ScriptedLm::new(outputs));
    let pred = settings::with_lm(lm.clone() as SharedLm, agent.forward(inputs))
        .await
        .unwrap();
    let requests = lm.requests();
    let calls = want["calls"].as_array().unwrap();
    assert_eq!(requests.len(), calls.len(), "LM calls");
    for (i, (ours, python)) in requests.iter().zip(calls).enumerate() {
        let ours: Vec<(String, String)> = ours
            .messages
            .iter()
            .map(|m| (m.role.as_str().to_string(), mask(&m.content)))
            .collect();
        let python = masked_messages(&python["messages"]);
        assert_eq!(ours.len(), python.len(), "call {i}: messages");
        for (j, (a, b)) in ours.iter().zip(&python).enumerate() {
            assert_eq!(a, b, "call {i}, message {j} differs");
        }
    }
    let ours = masked_value(&Value::Object(pred.values().clone()));
    assert_eq!(ours, masked_value(&want["prediction"]), "prediction");
}

#[tokio::test]
async fn react_matches_python() {
    let want = fixture("react");
    let agent = ReAct::new(
        &SignatureSpec::parse("question -> answer").unwrap(),
        tools(),
    )
    .max_iters(6);
    assert_eq!(
        agent.react().signature().instructions(),
        want["react_instructions"]
    );
    let shown: Vec<String> = agent.tools().iter().map(|t| t.to_string()).collect();
    assert_eq!(json!(shown), want["tools_str"]);
    let inputs = Values::from_iter([(
        "question".to_string(),
        want["config"]["inputs"]["question"].clone(),
    )]);
    replay(&agent, &want, inputs).await;
}

#[tokio::test]
async fn react_on_a_class_signature_stops_at_max_iters_like_python() {
    let want = fixture("react-class-signature");
    let spec = SignatureSpec::builder()
        .instructions("Answer travel questions using the tools.")
        .input(FieldSpec::new("question", FieldType::Str))
        .input(FieldSpec::new("units", FieldType::Str).with_desc("metric or imperial"))
        .output(FieldSpec::new("answer", FieldType::Str))
        .output(FieldSpec::new("confidence", FieldType::Float))
        .build()
        .unwrap();
    let agent = ReAct::new(&spec, vec![route_tool()]).max_iters(2);
    let shown: Vec<String> = agent.tools().iter().map(|t| t.to_string()).collect();
    assert_eq!(json!(shown), want["tools_str"]);
    let inputs: Values = want["config"]["inputs"].as_object().unwrap().clone();
    replay(&agent, &want, inputs).await;
}

#[tokio::test]
async fn a_react_program_saved_by_python_loads_and_sends_the_same_prompts() {
    let want = fixture("react-saved");
    let mut agent = ReAct::new(
        &SignatureSpec::parse("question -> answer").unwrap(),
        tools(),
    )
    .max_iters(6);
    agent.load_state(&want["saved"]).unwrap();
    assert_eq!(agent.react().demos().len(), 1);
    assert_eq!(agent.extract().predict().demos().len(), 1);
    let inputs = Values::from_iter([(
        "question".to_string(),
        want["config"]["inputs"]["question"].clone(),
    )]);
    replay(&agent, &want, inputs).await;
    // And what we save is what Python saved (metadata aside).
    let mut saved = want["saved"].clone();
    saved.as_object_mut().unwrap().remove("metadata");
    let mut ours = agent.dump_state();
    ours.as_object_mut().unwrap().remove("metadata");
    assert_eq!(ours, saved);
}
