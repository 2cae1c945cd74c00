//! Latency, concurrency, request counts and shutdown.

#![cfg(feature = "server")]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{chat_body, post};
use dspy_testkit::{MockConfig, MockServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn adds_latency_without_serializing_requests() {
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

    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let server = Arc::clone(&server);
        tasks.push(tokio::spawn(async move {
            post(&server.chat_url(), &chat_body(&i.to_string()))
                .await
                .status()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= latency && elapsed < latency * 5, "{elapsed:?}");
    assert_eq!(server.requests(), 21);
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
