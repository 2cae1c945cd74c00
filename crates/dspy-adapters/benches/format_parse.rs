//! Format + parse of a 2-input / 2-output signature, with 0 and 4 demos, per adapter.
//!
//! Run: `cargo bench -p dspy-adapters --bench format_parse`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use dspy_adapters::{AdapterKind, SignatureSpec, Values};
use serde_json::json;

fn values(pairs: &[(&str, serde_json::Value)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn demos(n: usize) -> Vec<Values> {
    (0..n)
        .map(|i| {
            values(&[
                (
                    "context",
                    json!(format!("Fact number {i}: the sky is blue on clear days.")),
                ),
                (
                    "question",
                    json!(format!("What colour is the sky in example {i}?")),
                ),
                ("answer", json!("blue")),
                ("confidence", json!(0.9)),
            ])
        })
        .collect()
}

fn completion(kind: AdapterKind) -> &'static str {
    match kind {
        AdapterKind::Chat => {
            "[[ ## answer ## ]]\nParis\n\n[[ ## confidence ## ]]\n0.95\n\n[[ ## completed ## ]]"
        }
        AdapterKind::Json => "{\n  \"answer\": \"Paris\",\n  \"confidence\": 0.95\n}",
        AdapterKind::Xml => "<answer>\nParis\n</answer>\n\n<confidence>\n0.95\n</confidence>",
    }
}

fn bench(c: &mut Criterion) {
    let spec = SignatureSpec::parse("context, question -> answer, confidence: float")
        .expect("valid signature");
    let inputs = values(&[
        (
            "context",
            json!("France is a country in Europe. Its capital is Paris."),
        ),
        ("question", json!("What is the capital of France?")),
    ]);
    let mut group = c.benchmark_group("format_parse");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    for kind in [AdapterKind::Chat, AdapterKind::Json, AdapterKind::Xml] {
        let adapter = kind.adapter();
        for n in [0usize, 4] {
            let demos = demos(n);
            group.bench_with_input(BenchmarkId::new(format!("{kind}/format"), n), &n, |b, _| {
                b.iter(|| black_box(adapter.format(&spec, &demos, black_box(&inputs))))
            });
            group.bench_with_input(
                BenchmarkId::new(format!("{kind}/format+parse"), n),
                &n,
                |b, _| {
                    b.iter(|| {
                        let messages = adapter.format(&spec, &demos, black_box(&inputs));
                        let parsed = adapter.parse(&spec, black_box(completion(kind)));
                        black_box((messages, parsed))
                    })
                },
            );
        }
        group.bench_function(format!("{kind}/parse"), |b| {
            b.iter(|| black_box(adapter.parse(&spec, black_box(completion(kind)))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
