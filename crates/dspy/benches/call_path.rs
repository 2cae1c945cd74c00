//! The whole in-process call path of typed programs: typed input to values, prompt formatting,
//! the LM call, parsing, values to typed output. The LM answers a fixed completion at once,
//! so the figures are this crate's own overhead.
//!
//! Run with `cargo bench -p dspy --bench call_path`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use dspy::core::lm::{BoxFuture, LanguageModel, LmError, LmRequest, LmResponse};
use dspy::prelude::*;
use dspy_testkit::chat_completion;

/// Answers every request with the same completion, with no latency and no bookkeeping.
#[derive(Debug)]
struct FixedLm {
    completion: String,
}

impl FixedLm {
    fn shared<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Arc<FixedLm> {
        Arc::new(FixedLm {
            completion: chat_completion(fields),
        })
    }
}

impl LanguageModel for FixedLm {
    fn call(&self, _request: LmRequest) -> BoxFuture<'_, Result<LmResponse, LmError>> {
        let response = LmResponse::text("fixed", self.completion.clone());
        Box::pin(async move { Ok(response) })
    }

    fn model(&self) -> &str {
        "fixed"
    }
}

/// Answer questions with short factoid answers.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

/// Improve the text.
#[derive(Signature)]
struct Step {
    #[input]
    text: String,
    #[output]
    improved: String,
}

/// Ten predictors, each fed the previous one's output.
#[module]
#[derive(Debug)]
struct Chain {
    stages: Vec<Predict<Step>>,
}

impl Chain {
    async fn forward(&self, input: StepInput) -> Result<StepOutput, Error> {
        let mut text = input.text;
        for stage in &self.stages {
            text = stage.forward(StepInput { text }).await?.improved;
        }
        Ok(StepOutput { improved: text })
    }
}

fn demo(i: usize) -> Example {
    Example::new()
        .with("question", format!("What is {i} + {i}?"))
        .with("answer", (2 * i).to_string())
}

fn question() -> QAInput {
    QAInput {
        question: "What is the capital of France?".into(),
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let qa_lm = FixedLm::shared([("answer", "Paris")]);

    let mut group = c.benchmark_group("call_path");
    for demos in [0, 4] {
        let predict = Predict::<QA>::new()
            .with_lm(qa_lm.clone())
            .with_demos((0..demos).map(demo).collect());
        group.bench_function(format!("predict_{demos}_demos"), |b| {
            b.iter(|| rt.block_on(predict.forward(black_box(question()))))
        });
    }

    let mut cot = ChainOfThought::<QA>::new();
    cot.predict_mut().set_lm(Some(FixedLm::shared([
        ("reasoning", "The capital of France is Paris."),
        ("answer", "Paris"),
    ])));
    group.bench_function("chain_of_thought", |b| {
        b.iter(|| rt.block_on(cot.forward(black_box(question()))))
    });

    let mut chain = Chain {
        stages: (0..10).map(|_| Predict::new()).collect(),
    };
    chain.set_lm(FixedLm::shared([("improved", "A better text.")]));
    group.bench_function("chain_10_stages", |b| {
        b.iter(|| {
            rt.block_on(chain.forward(black_box(StepInput {
                text: "A text.".into(),
            })))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
