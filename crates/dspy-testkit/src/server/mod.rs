//! [`MockServer`]: an in-process, OpenAI-compatible chat-completion server on 127.0.0.1.
//!
//! It serves `POST /v1/chat/completions`: plain JSON answers (with `n` choices, `usage` and
//! `model`) and, for `"stream": true`, server-sent events `data: {...}` ending with
//! `data: [DONE]`. Answers come from a [`Responder`]; faults (HTTP 500, 429 with `Retry-After`,
//! other statuses, slow answers, truncated bodies, dropped connections) are injected as a
//! [`MockConfig`] says. Other paths get a 404 and bad requests a 400, both with OpenAI-style JSON
//! error bodies.
//!
//! The server runs on the tokio runtime that started it (HTTP/1.1 with keep-alive, one task per
//! connection) and stops when the [`MockServer`] is dropped: the listener closes and open
//! connections are cut.

mod clock;
mod config;
mod faults;
mod openai;
mod recorded;
mod responder;
mod service;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

pub use config::{Fault, MockConfig};
pub use openai::{ChatMessage, ChatRequest};
pub use recorded::RecordedRequest;
pub use responder::Responder;

use service::State;

/// An OpenAI-compatible mock server on `127.0.0.1`, stopped on drop.
///
/// ```
/// use dspy_testkit::{MockConfig, MockServer, Responder};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let server = MockServer::start(MockConfig::new().responder(Responder::fixed("hi"))).await?;
/// assert_eq!(server.base_url(), format!("http://127.0.0.1:{}/v1", server.addr().port()));
/// assert_eq!(server.requests(), 0);
/// drop(server); // stops it
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept_task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Binds a free port on 127.0.0.1 and starts serving on the current tokio runtime.
    ///
    /// Fails only when the port cannot be bound. Must be called inside a tokio runtime.
    pub async fn start(config: MockConfig) -> io::Result<MockServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::new(config));
        let accept_task = tokio::spawn(accept_loop(listener, Arc::clone(&state)));
        Ok(MockServer {
            addr,
            state,
            accept_task: Some(accept_task),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The OpenAI base URL, `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The full chat-completion URL, `http://127.0.0.1:PORT/v1/chat/completions`.
    pub fn chat_url(&self) -> String {
        format!("http://{}{}", self.addr, service::CHAT_PATH)
    }

    /// How many HTTP requests arrived so far, whatever their outcome (faults and errors too).
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// How many requests got an injected fault.
    pub fn faults_injected(&self) -> u64 {
        self.state.faults_injected.load(Ordering::SeqCst)
    }

    /// The requests received so far, oldest first (empty unless
    /// [`MockConfig::record_requests`] is on).
    pub fn recorded(&self) -> Vec<RecordedRequest> {
        self.state.recorded().clone()
    }

    /// Stops the server and waits until its listener and connections are closed.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.accept_task.take() {
            task.abort();
            // The task's only outcome now is "cancelled"; it has dropped everything by then.
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(task) = self.accept_task.take() {
            task.abort();
        }
    }
}

/// Accepts connections until aborted; aborting it drops the listener and every connection.
async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors or a connection reset before accept: back off briefly.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        // Small answers must not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        while connections.try_join_next().is_some() {}
        let state = Arc::clone(&state);
        connections.spawn(async move {
            let service = service_fn(move |request| service::handle(Arc::clone(&state), request));
            // Connection errors (a client hanging up, a dropped-connection fault) end just
            // this connection.
            // No header-read timeout: idle keep-alive connections stay open until the client
            // or the server closes them, so pooled clients never race a server-side close.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(None)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
