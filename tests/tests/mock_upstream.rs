//! The mock upstream itself speaks the recorded OpenAI wire format: same fields as the
//! recordings, same event order, same errors. The other suites rely on this.

mod search;

use std::collections::BTreeSet;

use e2e::MockUpstream;
use e2e::checks::read_error;
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::sse::ChatStream;
use serde_json::{Value, json};

const CHAT_RESPONSE: &str = include_str!("../fixtures/openai/openai-chat.response.json");
const STREAM_TEXT: &str = include_str!("../fixtures/openai/openai-stream-text.sse");
const STREAM_USAGE: &str = include_str!("../fixtures/openai/openai-stream-usage.sse");

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

async fn post(mock: &MockUpstream, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/chat/completions", mock.base_url()))
        .bearer_auth(MOCK_API_KEY)
        .json(&body)
        .send()
        .await
        .expect("the mock answers")
}

fn echo_request(stream: bool, include_usage: bool) -> Value {
    let mut body =
        json!({"model": "mock-echo", "messages": [{"role": "user", "content": "Hello there"}]});
    if stream {
        body["stream"] = json!(true);
    }
    if include_usage {
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

#[tokio::test]
async fn plain_answer_has_the_recorded_fields() {
    let mock = MockUpstream::start().await.expect("mock starts");
    let answer: Value = post(&mock, echo_request(false, false))
        .await
        .json()
        .await
        .expect("JSON");
    let recorded: Value = serde_json::from_str(CHAT_RESPONSE).expect("fixture");
    assert_eq!(keys(&answer), keys(&recorded));
    assert_eq!(keys(&answer["choices"][0]), keys(&recorded["choices"][0]));
    assert_eq!(
        keys(&answer["choices"][0]["message"]),
        keys(&recorded["choices"][0]["message"])
    );
    assert_eq!(keys(&answer["usage"]), keys(&recorded["usage"]));
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "echo: Hello there"
    );
    assert_eq!(answer["model"], "mock-echo");
    let seen = mock.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body["messages"][0]["content"], "Hello there");
    assert_eq!(
        seen[0].header("Authorization"),
        Some(format!("Bearer {MOCK_API_KEY}").as_str())
    );
}

#[tokio::test]
async fn stream_has_the_recorded_fields_and_order() {
    let mock = MockUpstream::start().await.expect("mock starts");
    for (include_usage, fixture) in [(false, STREAM_TEXT), (true, STREAM_USAGE)] {
        let text = post(&mock, echo_request(true, include_usage))
            .await
            .text()
            .await
            .expect("body");
        let got = ChatStream::parse(&text);
        let recorded = ChatStream::parse(fixture);
        assert!(got.ends_with_done() && recorded.ends_with_done());
        let recorded_keys = keys(recorded.chunks()[0]);
        for chunk in got.chunks() {
            if chunk["choices"] == json!([]) {
                assert_eq!(
                    keys(chunk),
                    keys(recorded.chunks().last().expect("usage chunk"))
                );
            } else {
                assert_eq!(keys(chunk), recorded_keys, "{chunk}");
            }
        }
        assert_eq!(got.content(), "echo: Hello there");
        assert_eq!(got.finish_reason().as_deref(), Some("stop"));
        assert_eq!(got.usage_chunks().len(), usize::from(include_usage));
        assert_eq!(
            got.chunks()[0]["choices"][0]["delta"],
            recorded.chunks()[0]["choices"][0]["delta"],
            "the role chunk is the recorded one"
        );
    }
}

#[tokio::test]
async fn wrong_key_is_the_recorded_401() {
    let mock = MockUpstream::start().await.expect("mock starts");
    let response = reqwest::Client::new()
        .post(format!("{}/chat/completions", mock.base_url()))
        .bearer_auth("sk-nope")
        .json(&echo_request(false, false))
        .send()
        .await
        .expect("the mock answers");
    let error = read_error(response).await.expect("an OpenAI error");
    assert_eq!(error.status, 401);
    assert_eq!(error.code_str(), Some("invalid_api_key"));
}

#[tokio::test]
async fn error_models_answer_the_recorded_errors() {
    let mock = MockUpstream::start().await.expect("mock starts");
    for (model, status, code) in [
        ("mock-400", 400, Some("unsupported_parameter")),
        ("mock-404", 404, Some("model_not_found")),
        ("mock-429", 429, Some("rate_limit_exceeded")),
        ("mock-500", 500, None),
    ] {
        let response = post(&mock, json!({"model": model, "messages": []})).await;
        let error = read_error(response).await.expect("an OpenAI error");
        assert_eq!(error.status, status, "{model}");
        assert_eq!(error.code_str(), code, "{model}");
        if model == "mock-429" {
            assert_eq!(error.retry_after.as_deref(), Some("7"));
        }
    }
}

#[tokio::test]
async fn tool_stream_and_midstream_error_have_the_recorded_shape() {
    let mock = MockUpstream::start().await.expect("mock starts");
    let text = post(
        &mock,
        json!({"model": "mock-tools", "stream": true, "messages": [{"role": "user", "content": "x"}]}),
    )
    .await
    .text()
    .await
    .expect("body");
    let tools = ChatStream::parse(&text);
    let names: Vec<String> = tools.tool_calls().into_iter().map(|c| c.1).collect();
    assert_eq!(names, ["get_current_weather", "get_stock_price"]);
    assert!(tools.usage_chunks().is_empty());

    let text = post(
        &mock,
        json!({"model": "mock-midstream-error", "stream": true, "messages": []}),
    )
    .await
    .text()
    .await
    .expect("body");
    let broken = ChatStream::parse(&text);
    assert_eq!(broken.content(), "Partial answer");
    assert_eq!(broken.errors().len(), 1);
    assert!(!broken.ends_with_done());
}

#[tokio::test]
async fn embeddings_answer_floats_or_base64() {
    let mock = MockUpstream::start().await.expect("mock starts");
    let client = reqwest::Client::new();
    let url = format!("{}/embeddings", mock.base_url());
    let floats: Value = client
        .post(&url)
        .bearer_auth(MOCK_API_KEY)
        .json(&json!({"model": "m", "input": "hello"}))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(floats["object"], "list");
    assert_eq!(
        floats["data"][0]["embedding"].as_array().map(Vec::len),
        Some(e2e::mock_upstream::EMBEDDING_DIMENSIONS)
    );
    let encoded: Value = client
        .post(&url)
        .bearer_auth(MOCK_API_KEY)
        .json(&json!({"model": "m", "input": ["hello"], "encoding_format": "base64"}))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    let b64 = encoded["data"][0]["embedding"]
        .as_str()
        .expect("base64 string");
    let bytes = e2e::mock_upstream::EMBEDDING_DIMENSIONS * 4;
    assert_eq!(b64.len(), bytes.div_ceil(3) * 4, "{b64}");
}
