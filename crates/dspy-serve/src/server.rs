//! [`Server`]: endpoints plus limits, as an axum [`Router`] or a running server.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dspy_core::predict::Predict;
use dspy_core::signature::Signature;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::endpoint::Endpoint;
use crate::error::{ApiError, ServeError};

/// Default [`Server::max_body_bytes`]: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default [`Server::concurrency_limit`].
pub const DEFAULT_CONCURRENCY_LIMIT: usize = 64;
/// Default [`Server::request_timeout`]: 120 s.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Programs served over HTTP, with limits.
///
/// Routes: `POST /<name>` runs a program on the JSON body, `GET /<name>/schema` returns
/// `{"input": <JSON Schema>, "output": <JSON Schema>}`, `GET /health` returns
/// `{"status": "ok", "endpoints": [...]}`. Failures are `{"error", "kind"}` JSON (see
/// [`ApiError`]).
///
/// Limits: bodies over [`max_body_bytes`](Server::max_body_bytes) get 413; at most
/// [`concurrency_limit`](Server::concurrency_limit) programs run at once (over all endpoints),
/// and a request finding every slot busy waits up to [`queue_timeout`](Server::queue_timeout)
/// (default: not at all) for one, then gets 503 with `Retry-After: 1`; a program running past
/// [`request_timeout`](Server::request_timeout) is dropped and the request gets 504.
#[derive(Debug, Clone)]
pub struct Server {
    endpoints: Vec<(String, Endpoint)>,
    max_body_bytes: usize,
    concurrency_limit: usize,
    queue_timeout: Duration,
    request_timeout: Duration,
}

impl Default for Server {
    fn default() -> Server {
        Server::new()
    }
}

impl Server {
    /// A server with no endpoints and the default limits.
    pub fn new() -> Server {
        Server {
            endpoints: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            concurrency_limit: DEFAULT_CONCURRENCY_LIMIT,
            queue_timeout: Duration::ZERO,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// Largest request body accepted; larger ones get 413.
    pub fn max_body_bytes(mut self, bytes: usize) -> Server {
        self.max_body_bytes = bytes;
        self
    }

    /// Most programs running at once (at least 1); more requests get 503.
    pub fn concurrency_limit(mut self, limit: usize) -> Server {
        self.concurrency_limit = limit.max(1);
        self
    }

    /// How long a request waits for a free slot before its 503 (default zero: none).
    pub fn queue_timeout(mut self, wait: Duration) -> Server {
        self.queue_timeout = wait;
        self
    }

    /// Longest a program may run for one request; then the request gets 504.
    pub fn request_timeout(mut self, timeout: Duration) -> Server {
        self.request_timeout = timeout;
        self
    }

    /// Serves an endpoint at `name` (`"qa"` or `"/qa"`; nested names like `"v1/qa"` work).
    pub fn endpoint(mut self, name: &str, endpoint: Endpoint) -> Server {
        let name = name.trim_matches('/').to_string();
        self.endpoints.push((name, endpoint));
        self
    }

    /// Serves an async function between typed values; see [`Endpoint::typed`].
    pub fn typed<In, Out, F, Fut>(self, name: &str, f: F) -> Server
    where
        In: DeserializeOwned + JsonSchema + Send + 'static,
        Out: Serialize + JsonSchema + 'static,
        F: Fn(In) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Out, dspy_core::Error>> + Send + 'static,
    {
        self.endpoint(name, Endpoint::typed(f))
    }

    /// Serves an async function over a signature's typed structs; see [`Endpoint::signature`].
    pub fn signature<S, F, Fut>(self, name: &str, f: F) -> Server
    where
        S: Signature + 'static,
        S::Input: 'static,
        S::Output: 'static,
        F: Fn(S::Input) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<S::Output, dspy_core::Error>> + Send + 'static,
    {
        self.endpoint(name, Endpoint::signature::<S, F, Fut>(f))
    }

    /// Serves a typed predictor; see [`Endpoint::typed_predict`].
    pub fn typed_predict<S>(self, name: &str, predict: dspy_core::typed::Predict<S>) -> Server
    where
        S: Signature + 'static,
        S::Input: 'static,
        S::Output: 'static,
    {
        self.endpoint(name, Endpoint::typed_predict(predict))
    }

    /// Serves a dynamic predictor; see [`Endpoint::predict`].
    pub fn predict(self, name: &str, predict: Predict) -> Server {
        self.endpoint(name, Endpoint::predict(predict))
    }

    /// The routes as an axum [`Router`], to serve or nest in a larger app.
    pub fn router(self) -> Result<Router, ServeError> {
        let mut names: Vec<&str> = Vec::new();
        for (name, _) in &self.endpoints {
            let valid = !name.is_empty()
                && name != "health"
                && !name.ends_with("/schema")
                && !name.contains("//")
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c));
            if !valid {
                return Err(ServeError::InvalidName(name.clone()));
            }
            if names.contains(&name.as_str()) {
                return Err(ServeError::DuplicateName(name.clone()));
            }
            names.push(name);
        }
        let health = json!({"status": "ok", "endpoints": names});
        let limits = Arc::new(Limits {
            slots: Arc::new(Semaphore::new(self.concurrency_limit)),
            concurrency_limit: self.concurrency_limit,
            queue_timeout: self.queue_timeout,
            request_timeout: self.request_timeout,
        });
        let mut router = Router::new().route("/health", get(move || async move { Json(health) }));
        for (name, endpoint) in self.endpoints {
            let schemas = endpoint.schemas();
            let endpoint = Arc::new(endpoint);
            let limits = Arc::clone(&limits);
            let run = move |body: Result<Bytes, BytesRejection>| {
                let endpoint = Arc::clone(&endpoint);
                let limits = Arc::clone(&limits);
                async move { handle(&endpoint, &limits, body).await }
            };
            router = router.route(&format!("/{name}"), post(run)).route(
                &format!("/{name}/schema"),
                get(move || async move { Json(schemas) }),
            );
        }
        Ok(router
            .fallback(|| async {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
            })
            .method_not_allowed_fallback(|| async {
                ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "use POST to run a program and GET for its /schema",
                )
            })
            .layer(DefaultBodyLimit::max(self.max_body_bytes)))
    }

    /// Serves on `listener` until `shutdown` completes, then stops accepting connections and
    /// waits for the requests in flight to finish.
    pub async fn serve<F>(self, listener: TcpListener, shutdown: F) -> Result<(), ServeError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let router = self.router()?;
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "dspy-serve listening");
        }
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }

    /// Binds `addr` and serves until `shutdown` completes; see [`Server::serve`].
    pub async fn run_until<A, F>(self, addr: A, shutdown: F) -> Result<(), ServeError>
    where
        A: ToSocketAddrs,
        F: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind(addr).await?;
        self.serve(listener, shutdown).await
    }
}

/// Completes on Ctrl-C, or on SIGTERM on Unix: a `shutdown` for [`Server::serve`].
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// The limits every endpoint shares.
#[derive(Debug)]
struct Limits {
    slots: Arc<Semaphore>,
    concurrency_limit: usize,
    queue_timeout: Duration,
    request_timeout: Duration,
}

impl Limits {
    /// A slot, waiting up to the queue timeout.
    async fn acquire(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        let slots = Arc::clone(&self.slots);
        let permit = if self.queue_timeout.is_zero() {
            slots.try_acquire_owned().ok()
        } else {
            tokio::time::timeout(self.queue_timeout, slots.acquire_owned())
                .await
                .ok()
                .and_then(Result::ok)
        };
        permit.ok_or_else(|| ApiError::overloaded(self.concurrency_limit))
    }
}

/// One `POST`: read, parse, wait for a slot, run within the timeout.
async fn handle(
    endpoint: &Endpoint,
    limits: &Limits,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let body = body.map_err(|rejection| {
            let status = rejection.status();
            let kind = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "body_too_large"
            } else {
                "bad_request"
            };
            ApiError::new(status, kind, rejection.body_text())
        })?;
        let input: Value = serde_json::from_slice(&body).map_err(ApiError::bad_json)?;
        let _permit = limits.acquire().await?;
        tokio::time::timeout(limits.request_timeout, endpoint.run(input))
            .await
            .map_err(|_| ApiError::timeout(limits.request_timeout))?
    }
    .await;
    match result {
        Ok(output) => Json(output).into_response(),
        Err(err) => {
            if err.status.is_server_error() {
                tracing::warn!(status = %err.status, kind = err.kind, error = %err.message, "request failed");
            } else {
                tracing::debug!(status = %err.status, kind = err.kind, error = %err.message, "request rejected");
            }
            err.into_response()
        }
    }
}
