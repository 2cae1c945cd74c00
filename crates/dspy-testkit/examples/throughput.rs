//! Measures how many chat completions per second the mock server answers on this machine.
//!
//! `cargo run --release -p dspy-testkit --example throughput -- [connections] [seconds]`
//!
//! Keep-alive connections on 127.0.0.1 each send one DSPy-style request after another for a
//! bounded time; the client side is a minimal raw HTTP/1.1 loop so the server dominates.

use std::time::{Duration, Instant};

use dspy_testkit::{MockConfig, MockServer};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const SYSTEM: &str = "Your input fields are:\n1. `question` (str): \nYour output fields are:\n1. `reasoning` (str): \n2. `answer` (str): \nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## reasoning ## ]]\n{reasoning}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `question`, produce the fields `reasoning`, `answer`.";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let connections: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let server = MockServer::start(MockConfig::new()).await?;
    let body = serde_json::json!({
        "model": "openai/gpt-4o-mini",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "[[ ## question ## ]]\nWhat is the capital of France?\n\nRespond with the corresponding output fields, starting with the field `[[ ## reasoning ## ]]`, then `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`."},
        ],
        "temperature": 0.0,
    })
    .to_string();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let request = request.clone();
        let addr = server.addr();
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let mut stream = BufReader::new(stream);
            let mut done = 0u64;
            let mut line = String::new();
            let mut sink = Vec::new();
            while Instant::now() < deadline {
                stream.get_mut().write_all(request.as_bytes()).await?;
                let mut length = 0usize;
                loop {
                    line.clear();
                    stream.read_line(&mut line).await?;
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                sink.resize(length, 0);
                stream.read_exact(&mut sink).await?;
                done += 1;
            }
            std::io::Result::Ok(done)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.map_err(std::io::Error::other)??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{total} requests in {elapsed:.2}s over {connections} connections: {:.0} requests/s (server saw {})",
        total as f64 / elapsed,
        server.requests()
    );
    Ok(())
}
