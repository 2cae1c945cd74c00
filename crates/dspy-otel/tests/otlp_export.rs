//! `dspy_otel::init` exports over real OTLP/HTTP: an in-process receiver gets the protobuf
//! batch at `/v1/traces` with the service name and the GenAI attributes, and no prompt text.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use dspy::core::layer::LmBuilder;
use dspy::prelude::*;
use dspy_testkit::ScriptedLm;

/// Answer questions with short factoid answers.
#[derive(Signature)]
struct QA {
    #[input]
    question: String,
    #[output]
    answer: String,
}

/// One HTTP request: (request line, body). Answers 200 with an empty body.
fn receive_one(listener: &TcpListener) -> (String, Vec<u8>) {
    let (stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let mut stream = stream;
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .unwrap();
    (request_line, body)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn init_exports_spans_over_otlp_http() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (sent, received) = mpsc::channel();
    thread::spawn(move || {
        let _ = sent.send(receive_one(&listener));
    });

    let guard = dspy_otel::init(dspy_otel::OtelConfig::new("dspy-otel-test").endpoint(endpoint))
        .expect("the first init in this process succeeds");
    let lm = LmBuilder::new(
        ScriptedLm::new(["[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"])
            .with_model("openai/gpt-test"),
    )
    .build();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let qa = Predict::<QA>::new().with_lm(lm);
            let input = QAInput {
                question: "What is the capital of France?".into(),
            };
            qa.forward(input).await.unwrap();
        });
    // A second init fails with a clear error instead of replacing the subscriber.
    let again = dspy_otel::init(dspy_otel::OtelConfig::new("again")).unwrap_err();
    assert!(again.to_string().contains("dspy_otel::layer"), "{again}");
    drop(guard); // flushes the batch

    let (request_line, body) = received
        .recv_timeout(Duration::from_secs(30))
        .expect("the collector got a request");
    assert!(
        request_line.starts_with("POST /v1/traces "),
        "{request_line}"
    );
    for needle in [
        "dspy-otel-test",
        "chat gpt-test",
        "dspy.predict",
        "gen_ai.request.model",
        "gen_ai.usage.input_tokens",
    ] {
        assert!(
            contains(&body, needle),
            "{needle} missing from the OTLP batch"
        );
    }
    assert!(
        !contains(&body, "capital of France"),
        "prompt text exported"
    );
}
