//! Errors: [`ApiError`], what a client gets back as JSON, and [`ServeError`], why a server
//! could not start or stopped.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// A failed request, sent as `{"error": "...", "kind": "..."}` with its HTTP status.
///
/// Messages come from the request's own JSON, the program's errors and the LM client's errors,
/// which never include API keys or prompt text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable, machine-readable kind, e.g. `invalid_input`.
    pub kind: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

impl ApiError {
    /// An error with this status, kind and message.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
        }
    }

    /// 400: the body is not JSON.
    pub fn bad_json(message: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not valid JSON: {message}"),
        )
    }

    /// 400: the JSON does not fit the input schema.
    pub fn invalid_input(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }

    /// 503: every slot is busy.
    pub fn overloaded(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            format!("the server is busy ({limit} requests already running); retry later"),
        )
    }

    /// 504: the program ran past the request timeout.
    pub fn timeout(after: std::time::Duration) -> ApiError {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            format!("the program did not finish within {after:?}"),
        )
    }

    /// 500: anything else.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<dspy_core::Error> for ApiError {
    /// 422 for an LM answer that does not parse (or fit the output type), 502 for a failed LM
    /// call, 500 for the rest.
    fn from(err: dspy_core::Error) -> ApiError {
        let message = err.to_string();
        match err {
            dspy_core::Error::Parse(_) | dspy_core::Error::Values(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unparseable_output",
                message,
            ),
            dspy_core::Error::Lm(_) => ApiError::new(StatusCode::BAD_GATEWAY, "lm_error", message),
            _ => ApiError::internal(message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": self.message, "kind": self.kind}));
        let mut response = (self.status, body).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// Why the server could not start, or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// An endpoint name is empty, has characters other than ASCII letters, digits, `_`, `-`,
    /// `.` and `/`, or is taken by `/health` or another endpoint's schema route.
    #[error("invalid endpoint name `{0}`: use ASCII letters, digits, `_`, `-`, `.` and `/`, not `health` or a name ending in `/schema`")]
    InvalidName(String),
    /// Two endpoints have the same name.
    #[error("two endpoints are named `{0}`")]
    DuplicateName(String),
    /// Binding or serving failed.
    #[error("the server failed: {0}")]
    Io(#[from] std::io::Error),
}
