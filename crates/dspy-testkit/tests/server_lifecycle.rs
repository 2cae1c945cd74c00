//! Latency, concurrency, request counts and shutdown.

#![cfg(feature = "server")]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{chat_body, post};
use dspy_testkit::{Fault, MockConfig, MockServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Every answer waits the configured latency: a lower bound, so no load can break it.
#[tokio::test]
async fn adds_latency() {
    let latency = Duration::from_millis(200);
    let server = Arc::new(
        MockServer::start(MockConfig::new().latency(latency))
            .await
            .unwrap(),
    );
    let started = Instant::now();
    let response = post(&server.chat_url(), &chat_body("x")).await;
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= latency);

    let client = common::client();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let server = Arc::clone(&server);
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let response = client
                .post(server.chat_url())
                .json(&chat_body(&i.to_string()))
                .send()
                .await
                .unwrap();
            (response.status(), started.elapsed())
        }));
    }
    for task in tasks {
        let (status, elapsed) = task.await.unwrap();
        assert_eq!(status, 200);
        assert!(elapsed >= latency, "{elapsed:?}");
    }
    assert_eq!(server.requests(), 21);
}

/// Requests wait out their latency side by side, not one after another.
///
/// Checked by order, not by a stopwatch. The first attempt of each request is slowed by an hour
/// (`fail_first(1, Slow)`), so 19 requests sit in the server, each counted as a fault the moment
/// its wait starts. A server taking one request at a time would never let the second in (the
/// 10 s guard fails it); one whose waits queue behind each other would hold back a 20th,
/// unslowed request (a repeat, so its second attempt) for hours, past the client's 20 s timeout.
/// Instead the 20th is answered while all 19 are still waiting.
#[tokio::test]
async fn latency_does_not_serialize_requests() {
    let config = MockConfig::new()
        .latency(Duration::from_millis(200))
        .fail_first(1, Fault::Slow(Duration::from_secs(3600)));
    let server = Arc::new(MockServer::start(config).await.unwrap());
    // No client timeout for the slowed requests: they stay in the server until aborted.
    let patient = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut waiting = Vec::new();
    for i in 0..19 {
        let server = Arc::clone(&server);
        let client = patient.clone();
        waiting.push(tokio::spawn(async move {
            client
                .post(server.chat_url())
                .json(&chat_body(&i.to_string()))
                .send()
                .await
        }));
    }
    let all_waiting = tokio::time::timeout(Duration::from_secs(10), async {
        while server.faults_injected() < 19 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(
        all_waiting.is_ok(),
        "only {} of 19 requests got into the server",
        server.faults_injected()
    );

    let again = common::client()
        .post(server.chat_url())
        .json(&chat_body("0"))
        .send()
        .await
        .expect("answered while the others wait");
    assert_eq!(again.status(), 200);
    assert_eq!((server.requests(), server.faults_injected()), (20, 19));
    assert!(
        waiting.iter().all(|task| !task.is_finished()),
        "a slowed request came back early"
    );
    for task in waiting {
        task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_every_request_under_concurrency() {
    let server = Arc::new(MockServer::start(MockConfig::new()).await.unwrap());
    let client = common::client();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let server = Arc::clone(&server);
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..50 {
                let response = client
                    .post(server.chat_url())
                    .json(&chat_body(&format!("{worker}-{i}")))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(server.requests(), 400);
}

#[tokio::test]
async fn drop_stops_the_server() {
    let server = MockServer::start(MockConfig::new()).await.unwrap();
    let addr = server.addr();
    // A kept-alive connection, idle after one answer.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let body = chat_body("x").to_string();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    idle.write_all(request.as_bytes()).await.unwrap();
    let mut buf = [0u8; 4096];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK"));

    drop(server);
    // The idle connection gets closed, and new ones are refused.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "connection still open after drop");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_waits_until_closed() {
    let server = MockServer::start(MockConfig::new()).await.unwrap();
    let url = server.chat_url();
    assert_eq!(post(&url, &chat_body("x")).await.status(), 200);
    let addr = server.addr();
    server.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());
    let failed = common::client()
        .post(&url)
        .json(&chat_body("x"))
        .send()
        .await;
    assert!(failed.is_err());
}

#[tokio::test]
async fn servers_are_independent() {
    let a = MockServer::start(MockConfig::new()).await.unwrap();
    let b = MockServer::start(MockConfig::new()).await.unwrap();
    assert_ne!(a.addr(), b.addr());
    assert!(a.addr().ip().is_loopback());
    post(&a.chat_url(), &chat_body("x")).await;
    assert_eq!((a.requests(), b.requests()), (1, 0));
}
