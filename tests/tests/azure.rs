//! The Azure OpenAI adapter through the real gateway against the mock Azure upstream:
//! both URL shapes, both credential placements, the content-filter annotations in
//! streams, content-filter refusals, Azure error bodies and embeddings.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly, with the reason; clippy only exempts #[test] bodies"
)]

use e2e::checks::{chat_body, completion_text, read_error, read_json, read_stream};
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::sse::{ChatStream, StreamItem};
use e2e::{MockUpstream, TestConfig, TestGateway};
use serde_json::{Value, json};

/// The resource endpoint of the mock (no `/v1`).
fn resource(mock: &MockUpstream) -> String {
    format!("http://{}", mock.addr())
}

async fn setup() -> (MockUpstream, TestGateway) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let base = resource(&mock);
    let mut config = TestConfig::new()
        .model("az-chat", "azure", "azure-echo", &base)
        .option("api-version", "2024-12-01-preview")
        .model("az-v1", "azure", "azure-echo", &base)
        .option("api-style", "v1")
        .option("auth", "bearer")
        .model("az-filtered", "azure", "azure-filtered", &base)
        .model("az-tools", "azure", "azure-tools", &base)
        .model("az-blocked", "azure", "azure-blocked", &base)
        .model("az-429", "azure", "azure-429", &base)
        .model("az-missing", "azure", "azure-missing", &base)
        .model("az-embed", "azure", "text-embedding-3-small", &base)
        .model_with_key("az-badkey", "azure", "azure-echo", &base, "wrong-key");
    // The same streams cut differently: `-split` (pseudo-random pieces) and
    // `-bytewise` (one byte per write), on the deployments path and the v1 path.
    for (name, deployment) in REPLAYED {
        for suffix in PACINGS {
            config = config.model(
                &format!("{name}{suffix}"),
                "azure",
                &format!("{deployment}{suffix}"),
                &base,
            );
        }
    }
    for suffix in PACINGS {
        config = config
            .model(
                &format!("az-v1{suffix}"),
                "azure",
                &format!("azure-echo{suffix}"),
                &base,
            )
            .option("api-style", "v1")
            .option("auth", "bearer");
    }
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    (mock, gateway)
}

/// Public models (and their deployments) that are also configured with each suffix of
/// [`PACINGS`].
const REPLAYED: &[(&str, &str)] = &[
    ("az-chat", "azure-echo"),
    ("az-filtered", "azure-filtered"),
    ("az-tools", "azure-tools"),
];

/// The mock's deployment suffixes that cut a stream into other writes.
const PACINGS: [&str; 2] = ["-split", "-bytewise"];

/// Echo text with multi-byte UTF-8 (2, 3 and 4 bytes), for the splits to cut through.
const UTF8_TEXT: &str = "Grüße aus Zürich, 東京の天気は？ 🚀🌧️ naïve café";

async fn stream(gateway: &TestGateway, mut body: Value) -> e2e::sse::ChatStream {
    body["stream"] = json!(true);
    let response = gateway.chat(&body).await.expect("the gateway answers");
    read_stream(response).await.expect("a 200 event stream")
}

/// What a client reads from a stream: content, tool calls, finish reason, usage, and
/// how it ended. Chunk ids and timestamps are left out (the echo's differ per request).
fn observed(stream: &ChatStream) -> Value {
    let garbage = stream
        .items
        .iter()
        .filter(|i| matches!(i, StreamItem::Garbage(_)))
        .count();
    json!({
        "content": stream.content(),
        "tool_calls": stream.tool_calls(),
        "finish_reason": stream.finish_reason(),
        "usage": stream.usage_chunks().iter().map(|c| c["usage"].clone()).collect::<Vec<_>>(),
        "errors": stream.errors().len(),
        "garbage": garbage,
        "done": stream.done_count(),
        "ends_with_done": stream.ends_with_done(),
    })
}

/// What every OpenAI client needs: choices with a delta, except the usage chunk.
fn assert_client_safe(stream: &e2e::sse::ChatStream) {
    for chunk in stream.chunks() {
        let choices = chunk["choices"].as_array().expect("choices is an array");
        if choices.is_empty() {
            assert!(
                chunk["usage"].is_object(),
                "an empty-choices chunk that is not usage: {chunk}"
            );
        } else {
            assert!(
                choices.iter().all(|c| c["delta"].is_object()),
                "a choice without delta: {chunk}"
            );
            assert!(
                !chunk["id"].as_str().unwrap_or("").is_empty(),
                "a chunk without id: {chunk}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_path_with_api_key_and_api_version() {
    let (mock, gateway) = setup().await;
    let response = gateway
        .chat(&chat_body("az-chat", "Hello, Azure"))
        .await
        .expect("answers");
    let body = read_json(response).await.expect("a completion");
    assert_eq!(completion_text(&body), Some("echo: Hello, Azure"));
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert!(
        body["usage"]["prompt_tokens"]
            .as_u64()
            .is_some_and(|p| p > 0)
    );

    let sent = mock.requests().pop().expect("one upstream request");
    assert_eq!(
        sent.path,
        "/openai/deployments/azure-echo/chat/completions?api-version=2024-12-01-preview"
    );
    assert_eq!(sent.header("api-key"), Some(MOCK_API_KEY));
    assert_eq!(
        sent.header("authorization"),
        None,
        "no bearer on the api-key path"
    );
    assert_eq!(sent.body["model"], "azure-echo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_path_with_bearer() {
    let (mock, gateway) = setup().await;
    let response = gateway
        .chat(&chat_body("az-v1", "Hi v1"))
        .await
        .expect("answers");
    let body = read_json(response).await.expect("a completion");
    assert_eq!(completion_text(&body), Some("echo: Hi v1"));
    let sent = mock.requests().pop().expect("one upstream request");
    assert_eq!(sent.path, "/openai/v1/chat/completions");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {MOCK_API_KEY}").as_str())
    );
    assert_eq!(sent.header("api-key"), None);
    assert_eq!(
        sent.body["model"], "azure-echo",
        "the deployment goes in the body"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_hide_filter_annotations_and_keep_requested_usage() {
    let (mock, gateway) = setup().await;
    let mut body = chat_body("az-chat", "Stream me please");
    body["stream_options"] = json!({"include_usage": true});
    let with_usage = stream(&gateway, body).await;
    assert_client_safe(&with_usage);
    assert!(with_usage.ends_with_done());
    assert_eq!(with_usage.content(), "echo: Stream me please");
    assert_eq!(with_usage.finish_reason().as_deref(), Some("stop"));
    assert_eq!(with_usage.usage_chunks().len(), 1);
    let finishes = with_usage
        .chunks()
        .iter()
        .filter(|c| {
            !c["choices"][0]["finish_reason"].is_null()
                && c["choices"].as_array().is_some_and(|a| !a.is_empty())
        })
        .count();
    assert_eq!(
        finishes, 1,
        "one finish chunk, the trailing annotation is dropped"
    );

    let plain = stream(&gateway, chat_body("az-chat", "No usage")).await;
    assert_client_safe(&plain);
    assert!(
        plain.usage_chunks().is_empty(),
        "usage forced upstream is hidden"
    );
    let sent = mock.requests().pop().expect("request");
    assert_eq!(
        sent.body["stream_options"]["include_usage"], true,
        "forced on upstream"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_completions_end_in_content_filter() {
    let (_mock, gateway) = setup().await;
    let filtered = stream(&gateway, chat_body("az-filtered", "Sing a song")).await;
    assert_client_safe(&filtered);
    assert!(filtered.ends_with_done());
    assert_eq!(filtered.content(), "Hey Jude, better");
    assert_eq!(filtered.finish_reason().as_deref(), Some("content_filter"));

    let response = gateway
        .chat(&chat_body("az-filtered", "Sing a song"))
        .await
        .expect("answers");
    let body = read_json(response).await.expect("a completion");
    assert_eq!(body["choices"][0]["finish_reason"], "content_filter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_errors_become_openai_errors() {
    let (_mock, gateway) = setup().await;
    let blocked = read_error(
        gateway
            .chat(&chat_body("az-blocked", "bad"))
            .await
            .expect("answers"),
    )
    .await
    .expect("an OpenAI error");
    assert_eq!(blocked.status, 400);
    assert_eq!(blocked.code_str(), Some("content_filter"));
    assert!(blocked.message.contains("sexual"), "{}", blocked.message);

    // A blocked prompt on a stream request is an HTTP error too: nothing was streamed.
    let mut body = chat_body("az-blocked", "bad");
    body["stream"] = json!(true);
    let blocked = read_error(gateway.chat(&body).await.expect("answers"))
        .await
        .expect("error");
    assert_eq!(blocked.code_str(), Some("content_filter"));

    let limited = read_error(
        gateway
            .chat(&chat_body("az-429", "x"))
            .await
            .expect("answers"),
    )
    .await
    .expect("error");
    assert_eq!(limited.status, 429);
    assert_eq!(limited.code_str(), Some("rate_limit_exceeded"));
    assert_eq!(limited.retry_after.as_deref(), Some("86400"));

    let missing = read_error(
        gateway
            .chat(&chat_body("az-missing", "x"))
            .await
            .expect("answers"),
    )
    .await
    .expect("error");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.code_str(), Some("model_not_found"));

    let badkey = read_error(
        gateway
            .chat(&chat_body("az-badkey", "x"))
            .await
            .expect("answers"),
    )
    .await
    .expect("error");
    assert_eq!(badkey.status, 401);
    assert_eq!(badkey.code_str(), Some("invalid_api_key"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_go_to_the_deployment() {
    let (mock, gateway) = setup().await;
    let response = gateway
        .client()
        .post(gateway.endpoint("/v1/embeddings"))
        .json(&json!({"model": "az-embed", "input": ["one", "two"]}))
        .send()
        .await
        .expect("answers");
    let body = read_json(response).await.expect("embeddings");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
    let sent = mock.requests().pop().expect("request");
    assert_eq!(
        sent.path,
        "/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_and_bytewise_streams_read_exactly_like_whole_ones() {
    let (_mock, gateway) = setup().await;
    let tools = json!([{"type": "function", "function": {
        "name": "get_current_weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}
    }}]);
    // (public model, body without `model`): the echo with UTF-8 and usage, the
    // recorded asynchronous-filter stream, the recorded parallel tool call stream.
    let cases = [
        (
            "az-chat",
            json!({"messages": [{"role": "user", "content": UTF8_TEXT}],
                   "stream_options": {"include_usage": true}}),
        ),
        (
            "az-filtered",
            json!({"messages": [{"role": "user", "content": "Sing a song"}]}),
        ),
        (
            "az-tools",
            json!({"messages": [{"role": "user", "content": "Weather in SF, NYC and LA?"}],
                   "tools": tools, "stream_options": {"include_usage": true}}),
        ),
        (
            "az-v1",
            json!({"messages": [{"role": "user", "content": UTF8_TEXT}],
                   "stream_options": {"include_usage": true}}),
        ),
    ];
    for (model, mut body) in cases {
        let whole_model = if model == "az-v1" { "az-chat" } else { model };
        body["model"] = json!(whole_model);
        let whole_stream = stream(&gateway, body.clone()).await;
        assert_client_safe(&whole_stream);
        let whole = observed(&whole_stream);
        // The reference must say something, or equal results prove nothing.
        assert!(
            !whole_stream.content().is_empty() || !whole_stream.tool_calls().is_empty(),
            "{model}: the whole stream carries content or tool calls: {whole}"
        );
        assert!(whole_stream.finish_reason().is_some(), "{model}: {whole}");
        assert_eq!(whole["done"], 1, "{model}: {whole}");
        assert_eq!(whole["errors"], 0, "{model}: {whole}");
        assert_eq!(whole["garbage"], 0, "{model}: {whole}");
        if body["stream_options"]["include_usage"] == true {
            assert_eq!(
                whole["usage"].as_array().map(Vec::len),
                Some(1),
                "{model}: {whole}"
            );
        }
        if whole_model == "az-chat" {
            assert_eq!(whole_stream.content(), format!("echo: {UTF8_TEXT}"));
        }
        for suffix in PACINGS {
            let paced_model = format!("{model}{suffix}");
            body["model"] = json!(paced_model);
            let paced_stream = stream(&gateway, body.clone()).await;
            assert_client_safe(&paced_stream);
            assert_eq!(
                observed(&paced_stream),
                whole,
                "{paced_model} reads differently from {whole_model} whole"
            );
        }
    }
}
