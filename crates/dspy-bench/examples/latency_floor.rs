//! What this machine allows under `lm_stack_bench`: the same calls without our code.
//!
//! ```text
//! cargo run --release -p dspy-bench --example latency_floor -- [--calls N]
//!     [--latency-ms L] [--concurrency C] [--runs R]
//! ```
//!
//! `N` calls of latency `L`, at most `C` at a time (default 256, 20 ms, 16, as in
//! `lm_stack_bench`), four ways, none touching dspy-core or the test kit's mock:
//!
//! - `tcp`: `C` OS threads, each sending its share of 64-byte pings one after another over its
//!   own loopback connection; a server thread per connection sleeps until the ping's arrival +
//!   `L` (1 ns timer slack) and echoes it. No HTTP, no async: the operating system's floor.
//! - `tokio`: the same pings from `C` tokio tasks on a multi-thread runtime (one connection
//!   each) to the same echo server: what async I/O adds, without HTTP.
//! - `reqwest`: bare `reqwest` POSTs on a tokio multi-thread runtime, at most `C` at a time,
//!   against a minimal thread-per-connection HTTP/1.1 server answering a fixed chat completion
//!   at arrival + `L`: the floor of the HTTP client the LM stack is built on.
//! - `hyper`: `C` tasks, each driving its own hyper HTTP/1.1 connection inside the task (no
//!   pool, no connection task to hand responses over), against the same server: HTTP with the
//!   fewest hand-overs tokio allows.
//!
//! Each way runs `R` times after a warm-up; best and median wall times are printed with the
//! overhead against the ideal `ceil(N / C) × L`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const ANSWER: &str = r#"{"id":"chatcmpl-floor","object":"chat.completion","created":0,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#;

fn usage() -> ! {
    eprintln!("usage: latency_floor [--calls N] [--latency-ms L] [--concurrency C] [--runs R]");
    std::process::exit(2)
}

fn main() -> Result<(), BoxError> {
    let (mut calls, mut latency_ms, mut concurrency, mut runs) = (256usize, 20.0f64, 16usize, 15);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value: f64 = args
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| usage());
        match flag.as_str() {
            "--calls" | "-n" if value <= 1e7 => calls = (value as usize).max(1),
            "--latency-ms" | "-l" if (0.0..=60_000.0).contains(&value) => latency_ms = value,
            "--concurrency" | "-c" => concurrency = (value as usize).max(1),
            "--runs" | "-r" => runs = (value as usize).max(1),
            _ => usage(),
        }
    }
    let latency = Duration::from_secs_f64(latency_ms / 1000.0);
    let ideal = latency * calls.div_ceil(concurrency) as u32;
    println!(
        "latency_floor: {calls} calls, latency {latency:?}, concurrency {concurrency}: ideal {:.1} ms; \
         {runs} runs after a warm-up",
        ms(ideal)
    );
    println!(
        "  {:<8} {:>10} {:>10} {:>14}",
        "way", "best ms", "median ms", "best - ideal"
    );

    let echo_server = serve(latency, echo)?;
    let times = repeat(runs, || tcp_run(echo_server, calls, concurrency))?;
    report("tcp", &times, ideal);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let times = repeat(runs, || {
        runtime.block_on(tokio_run(echo_server, calls, concurrency))
    })?;
    report("tokio", &times, ideal);

    let http_server = serve(latency, http)?;
    let client = reqwest::Client::builder().tcp_nodelay(true).build()?;
    let url = format!("http://{http_server}/v1/chat/completions");
    let times = repeat(runs, || {
        runtime.block_on(reqwest_run(&client, &url, calls, concurrency))
    })?;
    report("reqwest", &times, ideal);

    let times = repeat(runs, || {
        runtime.block_on(hyper_run(http_server, calls, concurrency))
    })?;
    report("hyper", &times, ideal);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A warm-up and then `runs` timed runs, sorted.
fn repeat(
    runs: usize,
    mut run: impl FnMut() -> Result<Duration, BoxError>,
) -> Result<Vec<Duration>, BoxError> {
    run()?;
    let mut times = (0..runs).map(|_| run()).collect::<Result<Vec<_>, _>>()?;
    times.sort();
    Ok(times)
}

fn report(way: &str, times: &[Duration], ideal: Duration) {
    let (best, median) = (times[0], times[times.len() / 2]);
    println!(
        "  {way:<8} {:>10.1} {:>10.1} {:>+11.1} ms",
        ms(best),
        ms(median),
        ms(best) - ms(ideal)
    );
}

/// Listens on 127.0.0.1 and answers each connection on a thread of its own.
fn serve(
    latency: Duration,
    answer: fn(TcpStream, Duration) -> std::io::Result<()>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                exact_timeouts();
                let _ = stream.set_nodelay(true);
                let _ = answer(stream, latency); // the client hung up
            });
        }
    });
    Ok(addr)
}

/// Sleeps until `deadline` (the OS's high-resolution timeout).
fn sleep_until(deadline: Instant) {
    let now = Instant::now();
    if deadline > now {
        std::thread::sleep(deadline - now);
    }
}

/// Echoes each 64-byte ping `latency` after it arrived.
fn echo(mut stream: TcpStream, latency: Duration) -> std::io::Result<()> {
    let mut ping = [0u8; 64];
    loop {
        stream.read_exact(&mut ping)?;
        sleep_until(Instant::now() + latency);
        stream.write_all(&ping)?;
    }
}

/// Answers each HTTP/1.1 request with [`ANSWER`] `latency` after its first line arrived.
fn http(stream: TcpStream, latency: Duration) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{ANSWER}",
        ANSWER.len()
    );
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let arrived = Instant::now();
        let mut length = 0usize;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 || line == "\r\n" {
                break;
            }
            let header = line.to_ascii_lowercase();
            if let Some(value) = header.strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        reader.read_exact(&mut vec![0u8; length])?;
        sleep_until(arrived + latency);
        writer.write_all(response.as_bytes())?;
    }
}

/// `concurrency` threads, each with one connection, share the calls.
fn tcp_run(server: SocketAddr, calls: usize, concurrency: usize) -> Result<Duration, BoxError> {
    let lanes = concurrency.min(calls);
    let connections = (0..lanes)
        .map(|_| {
            let stream = TcpStream::connect(server)?;
            stream.set_nodelay(true)?;
            Ok(stream)
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    let started = Instant::now();
    let threads: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(lane, mut stream)| {
            let share = calls / lanes + usize::from(lane < calls % lanes);
            std::thread::spawn(move || -> std::io::Result<()> {
                let mut ping = [7u8; 64];
                for _ in 0..share {
                    stream.write_all(&ping)?;
                    stream.read_exact(&mut ping)?;
                }
                Ok(())
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| "a client thread panicked")??;
    }
    Ok(started.elapsed())
}

/// `concurrency` tokio tasks, each with one connection, share the calls.
async fn tokio_run(
    server: SocketAddr,
    calls: usize,
    concurrency: usize,
) -> Result<Duration, BoxError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let lanes = concurrency.min(calls);
    let mut connections = Vec::with_capacity(lanes);
    for _ in 0..lanes {
        let stream = tokio::net::TcpStream::connect(server).await?;
        stream.set_nodelay(true)?;
        connections.push(stream);
    }
    let started = Instant::now();
    let mut tasks: JoinSet<std::io::Result<()>> = JoinSet::new();
    for (lane, mut stream) in connections.into_iter().enumerate() {
        let share = calls / lanes + usize::from(lane < calls % lanes);
        tasks.spawn(async move {
            let mut ping = [7u8; 64];
            for _ in 0..share {
                stream.write_all(&ping).await?;
                stream.read_exact(&mut ping).await?;
            }
            Ok(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined??;
    }
    Ok(started.elapsed())
}

/// `calls` POSTs spawned at once, at most `concurrency` in flight.
async fn reqwest_run(
    client: &reqwest::Client,
    url: &str,
    calls: usize,
    concurrency: usize,
) -> Result<Duration, BoxError> {
    let limit = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks: JoinSet<Result<(), BoxError>> = JoinSet::new();
    for i in 0..calls {
        let (client, url, limit) = (client.clone(), url.to_owned(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await?;
            let response = client
                .post(url)
                .header("content-type", "application/json")
                .body(body(i))
                .send()
                .await?
                .error_for_status()?;
            let _: serde_json::Value = serde_json::from_slice(&response.bytes().await?)?;
            Ok(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined??;
    }
    Ok(started.elapsed())
}

/// `concurrency` tasks, each driving one hyper connection itself, share the calls.
async fn hyper_run(
    server: SocketAddr,
    calls: usize,
    concurrency: usize,
) -> Result<Duration, BoxError> {
    use http_body_util::{BodyExt, Full};
    use hyper::client::conn::http1;
    use hyper_util::rt::TokioIo;

    let lanes = concurrency.min(calls);
    let mut connections = Vec::with_capacity(lanes);
    for _ in 0..lanes {
        let stream = tokio::net::TcpStream::connect(server).await?;
        stream.set_nodelay(true)?;
        connections.push(http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await?);
    }
    let started = Instant::now();
    let mut tasks: JoinSet<Result<(), BoxError>> = JoinSet::new();
    for (lane, (mut sender, connection)) in connections.into_iter().enumerate() {
        let share = calls / lanes + usize::from(lane < calls % lanes);
        tasks.spawn(async move {
            // The connection makes progress only while this task polls it beside each call.
            let mut connection = std::pin::pin!(connection);
            for i in 0..share {
                let request = hyper::Request::post("/v1/chat/completions")
                    .header("host", server.to_string())
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(body(i))))?;
                let response = tokio::select! {
                    response = sender.send_request(request) => response?,
                    _ = &mut connection => return Err("the server closed the connection".into()),
                };
                let bytes = tokio::select! {
                    collected = response.into_body().collect() => collected?.to_bytes(),
                    _ = &mut connection => return Err("the server closed the connection".into()),
                };
                let _: serde_json::Value = serde_json::from_slice(&bytes)?;
            }
            Ok(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined??;
    }
    Ok(started.elapsed())
}

/// A chat-completion request body.
fn body(i: usize) -> String {
    format!(r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"question {i}"}}]}}"#)
}

/// 1 ns timer slack, as the mock's clock thread asks for (Linux allows 50 µs late by default).
#[cfg(target_os = "linux")]
fn exact_timeouts() {
    let _ = nix::sys::prctl::set_timerslack(1);
}

#[cfg(not(target_os = "linux"))]
fn exact_timeouts() {}
