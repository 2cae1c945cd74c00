//! `Parallel`: order, error budget and concurrency limit.

use super::*;

// ---------------------------------------------------------------------------------------------
// Parallel

/// Answers after `delay_ms` of (paused) time; fails on inputs starting with `!`; panics on
/// `panic`.
#[derive(Debug)]
struct Slow;

impl Module for Slow {
    fn forward(&self, inputs: Values) -> BoxFuture<'_, Result<Prediction, Error>> {
        Box::pin(async move {
            let q = inputs
                .get("question")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let delay: u64 = q.trim_start_matches('!').parse().unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(delay)).await;
            if q == "panic" {
                panic!("slow panicked");
            }
            if q.starts_with('!') {
                return Err(Error::custom(format!("refused {q}")));
            }
            Ok(Prediction::new(
                json!({"answer": q}).as_object().cloned().unwrap(),
            ))
        })
    }
    fn named_predictors(&self) -> Vec<(String, &Predict)> {
        Vec::new()
    }
    fn named_predictors_mut(&mut self) -> Vec<(String, &mut Predict)> {
        Vec::new()
    }
}

fn answer_of(r: &Result<Prediction, Error>) -> String {
    match r {
        Ok(p) => p.get_str("answer").unwrap_or_default().to_string(),
        Err(e) => format!("error: {e}"),
    }
}

#[tokio::test(start_paused = true)]
async fn parallel_keeps_input_order_and_per_item_errors() {
    let delays = ["30", "10", "!20", "0", "panic", "5"];
    let pairs: Vec<(&Slow, Values)> = delays.iter().map(|d| (&Slow, question(d))).collect();
    let results = Parallel::new()
        .num_threads(6)
        .max_errors(10)
        .run(pairs)
        .await
        .unwrap();
    let got: Vec<String> = results.iter().map(answer_of).collect();
    assert_eq!(got[0..2], ["30", "10"]);
    assert_eq!(got[2], "error: refused !20");
    assert_eq!(got[3], "0");
    assert!(got[4].contains("slow panicked"), "{}", got[4]);
    assert_eq!(got[5], "5");
}

#[tokio::test(start_paused = true)]
async fn parallel_stops_at_the_error_budget_keeping_finished_predictions() {
    let items = ["1", "!2", "3", "!4", "5", "!6"];
    let pairs: Vec<(&dyn Module, Values)> = items
        .iter()
        .map(|q| (&Slow as &dyn Module, question(q)))
        .collect();
    let err = Parallel::new()
        .num_threads(1)
        .max_errors(2)
        .run(pairs)
        .await
        .unwrap_err();
    let Error::TooManyErrors {
        errors: 2,
        max_errors: 2,
        last,
        predictions: Some(predictions),
        ..
    } = err
    else {
        panic!("expected TooManyErrors with predictions: {err}");
    };
    assert_eq!(last.to_string(), "refused !4");
    let finished: Vec<Option<&str>> = predictions
        .iter()
        .map(|p| p.as_ref().and_then(|p| p.get_str("answer")))
        .collect();
    assert_eq!(finished, [Some("1"), None, Some("3"), None, None, None]);

    // Below the budget every item runs and failures stay in their slots.
    let examples: Vec<Example> = items
        .iter()
        .map(|q| {
            Example::new()
                .with("question", *q)
                .with_inputs(["question"])
        })
        .chain([Example::new().with("question", "no inputs set")])
        .collect();
    let results = Parallel::new()
        .max_errors(5)
        .run_examples(&Slow, &examples)
        .await
        .unwrap();
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 4);
    assert!(matches!(results[6], Err(Error::InputsNotSet)));
}

#[tokio::test]
async fn parallel_honours_its_concurrency_limit() {
    for limit in [1, 2, 3] {
        let probe = ConcurrencyProbe::new(Arc::new(
            ScriptedLm::from_outputs([[("answer", "x")]]).cycle(),
        ));
        let p = qa().with_lm(probe.clone());
        let pairs: Vec<(&Predict, Values)> =
            (0..7).map(|i| (&p, question(&i.to_string()))).collect();
        let results = Parallel::new().num_threads(limit).run(pairs).await.unwrap();
        assert_eq!(results.len(), 7);
        assert_eq!((probe.calls(), probe.peak()), (7, limit), "limit {limit}");
    }
}
