//! Every error a program meets converts into `dspy::Error` with `?`, keeping its source.

use std::error::Error as _;

use dspy::core::predict::Predict as DynPredict;
use dspy::core::tool::ToolError;
use dspy::prelude::*;
use dspy::ToolCalls;
use serde_json::json;

/// Answer.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

fn signature() -> Result<(), Error> {
    DynPredict::parse("question answer")?;
    Ok(())
}

fn lm() -> Result<(), Error> {
    dspy::from_model("nosuchprovider/model")?;
    Ok(())
}

fn load() -> Result<(), Error> {
    let mut program = Predict::<QA>::new();
    program.load("/nonexistent/dir/program.json")?;
    Ok(())
}

fn optimize() -> Result<(), Error> {
    Err(dspy::optimize::OptimizeError::EmptyTrainset)?;
    Ok(())
}

fn values() -> Result<(), Error> {
    dspy::core::signature::from_values::<QAOutput>(Values::new())?;
    Ok(())
}

async fn tool() -> Result<(), Error> {
    let calls: ToolCalls =
        serde_json::from_value(json!([{"name": "missing", "args": {}}])).expect("calls");
    Tool::execute(&[], &calls.tool_calls[0]).await?;
    Ok(())
}

#[tokio::test]
async fn each_error_converts_with_its_message() {
    let cases: Vec<(&str, Error)> = vec![
        ("signature", signature().unwrap_err()),
        ("lm", lm().unwrap_err()),
        ("load", load().unwrap_err()),
        ("optimize", optimize().unwrap_err()),
        ("values", values().unwrap_err()),
        ("tool", tool().await.unwrap_err()),
    ];
    for (name, err) in &cases {
        assert!(!err.to_string().is_empty(), "{name}");
    }
    assert!(matches!(cases[0].1, Error::Signature(_)));
    assert!(matches!(cases[1].1, Error::Lm(_)));
    assert!(
        cases[1].1.to_string().contains("nosuchprovider"),
        "{}",
        cases[1].1
    );
    assert!(matches!(cases[2].1, Error::State(_)));
    assert!(matches!(cases[3].1, Error::Optimize(_)));
    assert!(matches!(cases[4].1, Error::Values(_)));
    assert!(matches!(&cases[5].1, Error::Tool(ToolError::NoSuchTool(n)) if n == "missing"));
    // Transparent wrappers keep the inner error's source chain.
    let io_backed = &cases[2].1;
    assert!(
        io_backed.source().is_some() || io_backed.to_string().contains("program.json"),
        "{io_backed}"
    );
}
