//! API keys never appear in `Debug`/`Display` output of clients, builders or errors.

mod http_server;

use dspy_core::adapters::Message;
use dspy_core::client::{AnthropicClient, ApiKey, ClientBuilder, Fleet, OpenAiClient};
use dspy_core::lm::{LanguageModel, LmError, LmRequest, SharedLm};
use futures_util::StreamExt;
use http_server::{closed_port_url, Reply, Server};
use serde_json::json;
use std::sync::Arc;

const KEY: &str = "sk-FAKE-0123456789-do-not-print";

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(KEY), "{what} leaks the key: {text}");
    assert!(
        !text.contains("0123456789-do-not"),
        "{what} leaks part of the key: {text}"
    );
}

fn check_debug(what: &str, value: &dyn std::fmt::Debug) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

fn check_error(what: &str, err: &LmError) {
    check_debug(what, err);
    assert_clean(what, &err.to_string());
}

/// Echoes every request header (including the key) back in the error message.
async fn echo_server(status: u16) -> Server {
    Server::start(move |_, req| {
        let echoed: Vec<String> = req.headers.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let message = format!("you sent {} and {}", echoed.join(", "), KEY);
        Reply::Json(
            status,
            json!({"type": "error", "error": {"type": "invalid_request_error", "message": message}}),
        )
    })
    .await
}

fn hi() -> LmRequest {
    LmRequest::new(vec![Message::user("hi")])
}

#[test]
fn keys_are_redacted() {
    let key = ApiKey::new(KEY);
    check_debug("ApiKey", &key);
    assert_clean("ApiKey Display", &key.to_string());
    assert_eq!(key.expose(), KEY);
}

#[tokio::test]
async fn clients_and_builders_never_print_the_key() {
    let openai_builder = OpenAiClient::builder("m")
        .base_url("http://127.0.0.1:9/v1")
        .api_key(KEY)
        .header("x-proxy-token", KEY);
    check_debug("OpenAiBuilder", &openai_builder);
    let openai = openai_builder.build().unwrap();
    check_debug("OpenAiClient", &openai);

    let anthropic_builder = AnthropicClient::builder("c")
        .base_url("http://127.0.0.1:9")
        .api_key(KEY)
        .header("anthropic-beta", KEY);
    check_debug("AnthropicBuilder", &anthropic_builder);
    let anthropic = anthropic_builder.build().unwrap();
    check_debug("AnthropicClient", &anthropic);

    let lm_builder = ClientBuilder::new("openai/m")
        .api_key(KEY)
        .base_urls(["http://127.0.0.1:9/v1", "http://127.0.0.1:10/v1"]);
    check_debug("ClientBuilder", &lm_builder);
    let fleet_from_builder = lm_builder.build().unwrap();
    check_debug("Fleet from ClientBuilder", &fleet_from_builder);

    let members: Vec<SharedLm> = vec![Arc::new(openai), Arc::new(anthropic)];
    let fleet = Fleet::new(members).unwrap();
    check_debug("Fleet", &fleet);
}

#[tokio::test]
async fn errors_never_carry_the_key() {
    for status in [400, 401, 403, 404, 429, 500, 503] {
        let server = echo_server(status).await;
        let openai = OpenAiClient::builder("m")
            .base_url(server.base())
            .api_key(KEY)
            .build()
            .unwrap();
        let err = openai.call(hi()).await.unwrap_err();
        check_error(&format!("OpenAI HTTP {status}"), &err);
        assert_eq!(
            server.last().header("authorization"),
            Some(format!("Bearer {KEY}").as_str()),
            "the key is still sent"
        );

        let items: Vec<_> = openai.stream(hi()).collect().await;
        check_error(
            &format!("OpenAI stream HTTP {status}"),
            items[0].as_ref().unwrap_err(),
        );

        let anthropic = AnthropicClient::builder("c")
            .base_url(&server.url)
            .api_key(KEY)
            .build()
            .unwrap();
        let err = anthropic.call(hi()).await.unwrap_err();
        check_error(&format!("Anthropic HTTP {status}"), &err);
    }

    // An error event inside a stream that quotes the key.
    let server = Server::start(|_, _| {
        Reply::Sse(vec![format!(
            "data: {}\n\n",
            json!({"error": {"message": format!("bad key {KEY}"), "code": 401}})
        )])
    })
    .await;
    let openai = OpenAiClient::builder("m")
        .base_url(server.base())
        .api_key(KEY)
        .build()
        .unwrap();
    let items: Vec<_> = openai.stream(hi()).collect().await;
    let err = items[0].as_ref().unwrap_err();
    assert!(matches!(err, LmError::Auth { .. }), "{err:?}");
    check_error("stream error event", err);

    // Transport errors.
    let openai = OpenAiClient::builder("m")
        .base_url(closed_port_url().await)
        .api_key(KEY)
        .build()
        .unwrap();
    check_error("transport", &openai.call(hi()).await.unwrap_err());
}

// ---- header values, base URLs and short keys (hardening item 7) ----

mod layer_support;

use dspy_core::layer::trace::Trace;
use layer_support::LogCapture;

const AZURE_KEY: &str = "azure-FAKE-4242424242-header";
const PROXY_TOKEN: &str = "proxy-FAKE-7373737373-token";
const PASSWORD: &str = "pw-FAKE-5151515151";
const QUERY_KEY: &str = "query-FAKE-6262626262";
/// `bob:PASSWORD` in base64: reqwest sends URL credentials as `Authorization: Basic` this.
const BASIC: &str = "Ym9iOnB3LUZBS0UtNTE1MTUxNTE1MQ==";

fn assert_no_secret(what: &str, text: &str) {
    for secret in [
        KEY,
        AZURE_KEY,
        PROXY_TOKEN,
        PASSWORD,
        QUERY_KEY,
        BASIC,
        "4242424242",
        "7373737373",
        "5151515151",
        "6262626262",
    ] {
        assert!(!text.contains(secret), "{what} leaks {secret}: {text}");
    }
}

fn check_error_clean(what: &str, err: &LmError) {
    assert_no_secret(what, &format!("{err:?}"));
    assert_no_secret(what, &err.to_string());
}

/// Answers `status` with a message quoting the request's path and every header it got.
async fn echo_everything(status: u16) -> Server {
    Server::start(move |_, req| {
        let echoed: Vec<String> = req
            .headers
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let message = format!("you asked {} with {}", req.path, echoed.join(", "));
        Reply::Json(status, json!({"error": {"message": message}}))
    })
    .await
}

#[tokio::test]
async fn header_values_never_reach_errors_or_spans() {
    let logs = LogCapture::default();
    let _guard = logs.install(tracing::Level::TRACE);
    for status in [400, 401, 404, 500] {
        let server = echo_everything(status).await;
        // No API key at all: the secrets are the headers (Azure-style `api-key`, a proxy token).
        let openai = OpenAiClient::builder("m")
            .base_url(server.base())
            .header("api-key", AZURE_KEY)
            .header("Proxy-Authorization", format!("Bearer {PROXY_TOKEN}"))
            .build()
            .unwrap();
        let traced = Trace::new(openai.clone());
        let err = traced.call(hi()).await.unwrap_err();
        check_error_clean(&format!("OpenAI HTTP {status}"), &err);
        assert_eq!(
            server.last().header("api-key"),
            Some(AZURE_KEY),
            "still sent"
        );
        let items: Vec<_> = openai.stream(hi()).collect().await;
        check_error_clean("OpenAI stream", items[0].as_ref().unwrap_err());

        let anthropic = AnthropicClient::builder("c")
            .base_url(&server.url)
            .api_key(KEY)
            .header("x-proxy-token", PROXY_TOKEN)
            .build()
            .unwrap();
        let err = Trace::new(anthropic).call(hi()).await.unwrap_err();
        check_error_clean(&format!("Anthropic HTTP {status}"), &err);
    }
    let text = logs.text();
    assert!(text.contains("lm.call"), "no span was logged: {text}");
    assert!(text.contains("[redacted]"), "{text}");
    assert_no_secret("the trace log", &text);
}

#[tokio::test]
async fn base_urls_with_credentials_are_redacted_in_debug_and_errors() {
    let server = echo_everything(400).await;
    let addr = server.url.trim_start_matches("http://").to_owned();
    let base =
        format!("http://bob:{PASSWORD}@{addr}/v1?api-version=2024-06-01&api-key={QUERY_KEY}");

    let builder = OpenAiClient::builder("m").base_url(&base);
    check_clean_debug("OpenAiBuilder", &builder);
    let client = builder.build().unwrap();
    check_clean_debug("OpenAiClient", &client);
    let anthropic = AnthropicClient::builder("c").base_url(&base);
    check_clean_debug("AnthropicBuilder", &anthropic);
    let lm_builder = ClientBuilder::new("openai/m").base_urls([base.clone(), base.clone()]);
    check_clean_debug("ClientBuilder", &lm_builder);
    let debug = format!("{lm_builder:?}");
    assert!(debug.contains("api-version=2024-06-01"), "{debug}");
    assert!(
        !debug.contains("bob") && debug.contains("[redacted]"),
        "{debug}"
    );
    check_clean_debug("Fleet", &lm_builder.build().unwrap());

    // The server quotes the URL it was asked for (with the query) in its error.
    let err = client.call(hi()).await.unwrap_err();
    check_error_clean("HTTP 400 quoting the URL", &err);
    assert!(err.to_string().contains("api-key=[redacted]"), "{err}");

    for bad in [
        format!("ftp://bob:{PASSWORD}@example.com/v1?key={QUERY_KEY}"),
        format!("http://bob:{PASSWORD}@[::1/v1?token={QUERY_KEY}"),
        format!("http://bob:{PASSWORD}@host:99999/v1?access_token={QUERY_KEY}"),
    ] {
        let err = OpenAiClient::builder("m")
            .base_url(&bad)
            .build()
            .unwrap_err();
        assert!(matches!(err, LmError::Config { .. }), "{err:?}");
        check_error_clean(&format!("config error for {bad}"), &err);
        assert!(err.to_string().contains("[redacted]"), "{err}");
        let err = ClientBuilder::new("openai/m")
            .base_url(&bad)
            .build()
            .unwrap_err();
        check_error_clean(&format!("ClientBuilder error for {bad}"), &err);
    }
}

fn check_clean_debug(what: &str, value: &dyn std::fmt::Debug) {
    assert_no_secret(what, &format!("{value:?}"));
    assert_no_secret(what, &format!("{value:#?}"));
}

#[tokio::test]
async fn a_short_key_does_not_garble_messages() {
    let message = "This model's maximum context length is 4096 tokens. Please reduce the length.";
    let server = Server::json(
        400,
        json!({"error": {"message": message, "code": "context_length_exceeded"}}),
    )
    .await;
    for key in ["x", "e", "EMPTY", "none", "sk-1234"] {
        let client = OpenAiClient::builder("m")
            .base_url(server.base())
            .api_key(key)
            .header("x-short", "t")
            .build()
            .unwrap();
        let err = client.call(hi()).await.unwrap_err();
        assert!(matches!(err, LmError::ContextLength { .. }), "{err:?}");
        assert!(err.to_string().contains(message), "key {key:?}: {err}");
        assert!(
            !err.to_string().contains("[redacted]"),
            "key {key:?}: {err}"
        );
    }
}

#[tokio::test]
async fn a_response_without_choices_is_an_error() {
    for body in [
        json!({"choices": []}),
        json!({"id": "x", "choices": [], "usage": {}}),
    ] {
        let server = Server::json(200, body).await;
        let client = OpenAiClient::builder("m")
            .base_url(server.base())
            .build()
            .unwrap();
        let err = client.call(hi()).await.unwrap_err();
        assert!(matches!(err, LmError::Decode { .. }), "{err:?}");
        assert!(err.to_string().contains("no completions"), "{err}");
        assert!(err.is_retryable());
    }
}
