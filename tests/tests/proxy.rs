//! What only the OpenAI adapter does, through the real gateway against the mock
//! upstream: the request passes through unchanged, the answering model is named, the
//! upstream's own error text and recorded tool calls reach the client, and models,
//! embeddings and a slow upstream. The shapes every platform shares (plain, stream,
//! usage, tools, errors, byte splits) are in `conformance.rs`.

use std::time::Duration;

use e2e::checks::{chat_body, completion_text, read_json};
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::{MockUpstream, TestConfig, TestGateway};
use serde_json::{Value, json};

/// (public model, upstream model)
const MODELS: &[(&str, &str)] = &[
    ("gpt-test", "mock-echo"),
    ("gpt-tools", "mock-tools"),
    ("gpt-slow", "mock-slow"),
    ("gpt-400", "mock-400"),
    ("gpt-404", "mock-404"),
    ("text-embed", "mock-embed"),
];

async fn setup_with(config: TestConfig) -> (MockUpstream, TestGateway) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let mut config = config;
    for (name, upstream) in MODELS {
        config = config.model(name, "openai", upstream, &mock.base_url());
    }
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    (mock, gateway)
}

async fn setup() -> (MockUpstream, TestGateway) {
    setup_with(TestConfig::new()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_passes_through_and_the_answer_names_the_answering_model() {
    let (mock, gateway) = setup().await;
    let request = json!({
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hello there"}
        ],
        "temperature": 0.25,
        "user": "user-1234",
        "x_vendor_extension": {"keep": ["me", 1]}
    });
    let response = gateway
        .client()
        .post(gateway.endpoint("/v1/chat/completions"))
        .bearer_auth("sk-client-key-not-for-upstream")
        .json(&request)
        .send()
        .await
        .expect("the gateway answers");
    let answer = read_json(response).await.expect("a 200 completion");
    // Like OpenAI answering "gpt-5-nano-2025-08-07" to "gpt-5-nano": `model` names the
    // model that answered, as the upstream reported it.
    assert_eq!(
        answer["model"], "mock-echo",
        "the answering model: {answer}"
    );

    let seen = mock.chat_requests();
    let upstream = &seen[0];
    assert_eq!(
        upstream.body["model"], "mock-echo",
        "model replaced by upstream_model"
    );
    assert_eq!(
        upstream.header("authorization"),
        Some(format!("Bearer {MOCK_API_KEY}").as_str()),
        "the host places the configured key, never the client's"
    );
    assert_eq!(
        upstream.body["messages"], request["messages"],
        "messages pass unchanged"
    );
    assert_eq!(upstream.body["temperature"], json!(0.25));
    assert_eq!(upstream.body["user"], "user-1234");
    assert_eq!(
        upstream.body["x_vendor_extension"], request["x_vendor_extension"],
        "unknown request fields pass through: {}",
        upstream.body
    );
    assert!(
        upstream
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json")),
        "{upstream:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_is_asked_upstream_and_its_chunks_name_the_answering_model() {
    let (mock, gateway) = setup().await;
    let stream = gateway
        .stream(&chat_body("gpt-test", "Stream me please"))
        .await
        .expect("a 200 event stream");
    let chunks = stream.chunks();
    assert!(
        chunks.len() >= 3,
        "role, content and finish chunks: {chunks:?}"
    );
    for chunk in &chunks {
        assert_eq!(chunk["model"], "mock-echo", "the answering model: {chunk}");
    }
    let seen = mock.chat_requests();
    assert_eq!(
        seen[0].body["stream"], true,
        "the upstream is asked to stream"
    );
    assert_eq!(seen[0].body["model"], "mock-echo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upstreams_own_error_text_and_param_reach_the_client() {
    let (_mock, gateway) = setup().await;
    let error = gateway
        .chat_error(&chat_body("gpt-400", "hi"))
        .await
        .expect("an OpenAI error");
    assert_eq!(
        error.message,
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        "the upstream's message, unchanged"
    );
    assert_eq!(
        error.param, "max_tokens",
        "the upstream's param: {}",
        error.body
    );

    let error = gateway
        .chat_error(&chat_body("gpt-404", "hi"))
        .await
        .expect("an OpenAI error");
    assert_eq!(
        error.message,
        "The model `gpt-4.1-nano-wrong` does not exist or you do not have access to it.",
        "the upstream's message, unchanged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_calls_and_their_results_pass_through() {
    let (mock, gateway) = setup().await;
    let tools = json!([{
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {
                "type": "object",
                "properties": {"location": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                "required": ["location"]
            }
        }
    }]);
    let mut messages =
        vec![json!({"role": "user", "content": "What is the weather like in Boston today?"})];
    let first = gateway
        .complete(&json!({"model": "gpt-tools", "messages": messages, "tools": tools, "tool_choice": "auto"}))
        .await
        .expect("a 200 completion");
    let message = &first["choices"][0]["message"];
    assert!(message["content"].is_null(), "{first}");
    let call = &message["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_current_weather", "{first}");
    let arguments: Value = serde_json::from_str(
        call["function"]["arguments"]
            .as_str()
            .expect("arguments string"),
    )
    .expect("arguments are JSON text");
    assert_eq!(arguments["location"], "Boston, MA");
    assert_eq!(
        mock.chat_requests()[0].body["tools"],
        tools,
        "tools pass through"
    );

    messages.push(message.clone());
    messages.push(
        json!({"role": "tool", "tool_call_id": call["id"], "content": "72 degrees and sunny"}),
    );
    let second = gateway
        .complete(&json!({"model": "gpt-tools", "messages": messages, "tools": tools}))
        .await
        .expect("a 200 completion");
    assert!(
        completion_text(&second).is_some_and(|t| t.contains("72 degrees and sunny")),
        "the answer uses the tool result: {second}"
    );
    let sent = &mock.chat_requests()[1].body["messages"];
    assert_eq!(
        sent[2]["tool_call_id"], call["id"],
        "the tool message reaches the upstream: {sent}"
    );
    assert_eq!(sent[1]["tool_calls"][0]["id"], call["id"], "{sent}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_parallel_tool_calls_reassemble_per_index() {
    let (_mock, gateway) = setup().await;
    let stream = gateway
        .stream(&chat_body("gpt-tools", "weather and stocks"))
        .await
        .expect("a 200 event stream");
    let calls = stream.tool_calls();
    assert_eq!(calls.len(), 2, "two parallel calls: {calls:?}");
    assert_eq!(calls[0].1, "get_current_weather");
    assert_eq!(calls[1].1, "get_stock_price");
    assert!(calls.iter().all(|c| c.0.starts_with("call_")), "{calls:?}");
    let weather: Value =
        serde_json::from_str(&calls[0].2).expect("first call's arguments are JSON");
    assert_eq!(
        weather,
        json!({"city": "Edinburgh", "country": "GB", "units": "c"})
    );
    let stock: Value = serde_json::from_str(&calls[1].2).expect("second call's arguments are JSON");
    assert_eq!(stock, json!({"ticker": "AAPL", "exchange": "NASDAQ"}));
    assert!(stream.usage_chunks().is_empty(), "usage was not asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_lists_every_configured_model() {
    let (_mock, gateway) = setup().await;
    let list = read_json(
        gateway
            .client()
            .get(gateway.endpoint("/v1/models"))
            .send()
            .await
            .expect("answers"),
    )
    .await
    .expect("a 200 list");
    assert_eq!(list["object"], "list", "{list}");
    let mut ids: Vec<&str> = list["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(|m| {
            assert_eq!(m["object"], "model", "{m}");
            m["id"].as_str().expect("model id")
        })
        .collect();
    ids.sort_unstable();
    let mut expected: Vec<&str> = MODELS.iter().map(|(name, _)| *name).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_pass_through_in_openai_shape() {
    let (mock, gateway) = setup().await;
    let response = gateway
        .client()
        .post(gateway.endpoint("/v1/embeddings"))
        .json(&json!({"model": "text-embed", "input": ["hello world", "goodbye"]}))
        .send()
        .await
        .expect("answers");
    let answer = read_json(response).await.expect("a 200 embedding list");
    assert_eq!(answer["object"], "list", "{answer}");
    let data = answer["data"].as_array().expect("data array");
    assert_eq!(data.len(), 2, "{answer}");
    for (i, item) in data.iter().enumerate() {
        assert_eq!(item["object"], "embedding", "{item}");
        assert_eq!(item["index"], i, "{item}");
        assert_eq!(
            item["embedding"].as_array().map(Vec::len),
            Some(e2e::mock_upstream::EMBEDDING_DIMENSIONS),
            "{item}"
        );
    }
    assert!(
        answer["usage"]["prompt_tokens"]
            .as_u64()
            .is_some_and(|t| t > 0),
        "{answer}"
    );
    let seen: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1/embeddings"))
        .collect();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].body["model"], "mock-embed");
    assert_eq!(seen[0].body["input"], json!(["hello world", "goodbye"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_upstream_is_not_cut_by_the_adapter_deadline() {
    // The adapter deadline bounds translation work, not the wait for the upstream.
    let (_mock, gateway) = setup_with(TestConfig::new().call_timeout_ms(250)).await;
    let started = std::time::Instant::now();
    let answer = read_json(
        gateway
            .chat(&chat_body("gpt-slow", "take your time"))
            .await
            .expect("answers"),
    )
    .await
    .expect("a 200 completion");
    assert_eq!(completion_text(&answer), Some("echo: take your time"));
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the mock did wait"
    );
    let stream = gateway
        .stream(&chat_body("gpt-slow", "stream slowly"))
        .await
        .expect("a 200 event stream");
    assert_eq!(stream.content(), "echo: stream slowly");
    assert!(stream.ends_with_done(), "{:?}", stream.items);
}
