//! What only the Azure OpenAI adapter does, through the real gateway against the mock
//! Azure upstream: both URL shapes and credential placements (the v1 shape also cut
//! at every byte), usage forced upstream and hidden, completions cut by the content
//! filter, and embeddings at the deployment. The shapes every platform shares (plain,
//! stream, usage, tools, errors, byte splits, and Azure's error bodies) are in
//! `conformance.rs`.

use e2e::checks::{chat_body, check_client_safe, completion_text, read_error, read_json};
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::{MockUpstream, TestConfig, TestGateway};
use serde_json::json;

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
        .model("az-filtered", "azure", "azure-filtered", &base)
        .model("az-embed", "azure", "text-embedding-3-small", &base);
    // The v1 shape, and its streams cut differently: `-split` (pseudo-random pieces)
    // and `-bytewise` (one byte per write).
    for suffix in ["", "-split", "-bytewise"] {
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

/// Echo text with multi-byte UTF-8 (2, 3 and 4 bytes), for the splits to cut through.
const UTF8_TEXT: &str = "Grüße aus Zürich, 東京の天気は？ 🚀🌧️ naïve café";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_path_with_api_key_and_api_version() {
    let (mock, gateway) = setup().await;
    gateway
        .complete(&chat_body("az-chat", "Hello, Azure"))
        .await
        .expect("a completion");

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
async fn usage_is_forced_upstream_and_shown_only_when_asked() {
    let (mock, gateway) = setup().await;
    let plain = gateway
        .stream(&chat_body("az-chat", "No usage"))
        .await
        .expect("a 200 event stream");
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
    let filtered = gateway
        .stream(&chat_body("az-filtered", "Sing a song"))
        .await
        .expect("a 200 event stream");
    check_client_safe(&filtered).expect("chunks every client can read");
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
        "/openai/deployments/text-embedding-3-small/embeddings?api-version=2025-04-01-preview"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_v1_shape_streams_the_same_whole_split_and_bytewise() {
    let (_mock, gateway) = setup().await;
    let mut body = json!({"messages": [{"role": "user", "content": UTF8_TEXT}],
                          "stream_options": {"include_usage": true}});
    body["model"] = json!("az-v1");
    let whole = gateway.stream(&body).await.expect("a 200 event stream");
    check_client_safe(&whole).expect("chunks every client can read");
    assert_eq!(
        whole.content(),
        format!("echo: {UTF8_TEXT}"),
        "{:?}",
        whole.items
    );
    assert_eq!(whole.usage_chunks().len(), 1, "{:?}", whole.items);
    for suffix in ["-split", "-bytewise"] {
        let model = format!("az-v1{suffix}");
        body["model"] = json!(model);
        let paced = gateway.stream(&body).await.expect("a 200 event stream");
        check_client_safe(&paced).expect("chunks every client can read");
        assert_eq!(
            paced.observed(),
            whole.observed(),
            "{model} reads differently from az-v1 whole"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_models_work_on_the_default_api_version_and_a_wrong_one_is_named() {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let base = resource(&mock);
    let config = TestConfig::new()
        .model("gpt-5", "azure", "azure-echo", &base)
        .model("gpt-5-old", "azure", "azure-echo", &base)
        .option("api-version", "2024-10-21")
        .model("gpt-5-typo", "azure", "azure-echo", &base)
        .option("api-version", "2025-13-01");
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    // What an OpenAI client sends to a GPT-5 or o-series deployment.
    let ask = |model: &str| {
        let mut body = chat_body(model, "Hi");
        body["max_completion_tokens"] = json!(200);
        body["reasoning_effort"] = json!("low");
        body
    };
    let answer = gateway.complete(&ask("gpt-5")).await.expect("a completion");
    assert_eq!(completion_text(&answer), Some("echo: Hi"));

    // An older api-version refuses the reasoning fields, as Azure does.
    let old = read_error(gateway.chat(&ask("gpt-5-old")).await.expect("answers"))
        .await
        .expect("an error");
    assert_eq!(old.status, 400, "{old:?}");

    // A version the resource does not serve: Azure's bare 404, with what was tried.
    let typo = read_error(gateway.chat(&ask("gpt-5-typo")).await.expect("answers"))
        .await
        .expect("an error");
    assert_eq!(typo.status, 404);
    assert_ne!(typo.code_str(), Some("model_not_found"), "{typo:?}");
    assert!(
        typo.message.contains("azure-echo") && typo.message.contains("api-version=2025-13-01"),
        "{}",
        typo.message
    );
}
