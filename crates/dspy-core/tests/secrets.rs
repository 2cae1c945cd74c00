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
