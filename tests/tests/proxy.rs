//! Chat, streaming, tools, embeddings and errors through the real OpenAI adapter
//! against the mock upstream: what the client gets, and what the upstream saw.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly, with the reason; clippy only exempts #[test] bodies"
)]

use std::time::Duration;

use e2e::checks::{chat_body, completion_text, read_error, read_json, read_stream};
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::{MockUpstream, TestConfig, TestGateway};
use serde_json::{Value, json};

/// (public model, upstream model)
const MODELS: &[(&str, &str)] = &[
    ("gpt-test", "mock-echo"),
    ("gpt-tools", "mock-tools"),
    ("gpt-slow", "mock-slow"),
    ("gpt-midstream", "mock-midstream-error"),
    ("gpt-400", "mock-400"),
    ("gpt-404", "mock-404"),
    ("gpt-429", "mock-429"),
    ("gpt-500", "mock-500"),
    ("text-embed", "mock-embed"),
];

async fn setup_with(config: TestConfig) -> (MockUpstream, TestGateway) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let mut config = config;
    for (name, upstream) in MODELS {
        config = config.model(name, "openai", upstream, &mock.base_url());
    }
    let config = config.model_with_key(
        "gpt-badkey",
        "openai",
        "mock-echo",
        &mock.base_url(),
        "sk-wrong-key-0123456789",
    );
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    (mock, gateway)
}

async fn setup() -> (MockUpstream, TestGateway) {
    setup_with(TestConfig::new()).await
}

async fn stream(gateway: &TestGateway, mut body: Value) -> e2e::sse::ChatStream {
    body["stream"] = json!(true);
    let response = gateway.chat(&body).await.expect("the gateway answers");
    read_stream(response).await.expect("a 200 event stream")
}

fn assert_usage_numbers(usage: &Value, context: &str) {
    let prompt = usage["prompt_tokens"].as_u64();
    let completion = usage["completion_tokens"].as_u64();
    let total = usage["total_tokens"].as_u64();
    assert!(
        prompt.is_some_and(|p| p > 0) && completion.is_some_and(|c| c > 0),
        "{context}: usage has token counts: {usage}"
    );
    assert_eq!(
        total,
        prompt.zip(completion).map(|(p, c)| p + c),
        "{context}: total = prompt + completion: {usage}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_chat_answers_in_openai_shape_and_forwards_the_request() {
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

    assert_eq!(
        completion_text(&answer),
        Some("echo: Hello there"),
        "{answer}"
    );
    assert_eq!(answer["object"], "chat.completion", "{answer}");
    // Like OpenAI answering "gpt-5-nano-2025-08-07" to "gpt-5-nano": `model` names the
    // model that answered, as the upstream reported it.
    assert_eq!(
        answer["model"], "mock-echo",
        "the answering model: {answer}"
    );
    assert!(
        answer["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{answer}"
    );
    assert_eq!(
        answer["choices"][0]["message"]["role"], "assistant",
        "{answer}"
    );
    assert_eq!(answer["choices"][0]["finish_reason"], "stop", "{answer}");
    assert_usage_numbers(&answer["usage"], "plain chat");

    let seen = mock.chat_requests();
    assert_eq!(seen.len(), 1, "one upstream call: {seen:?}");
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
async fn stream_without_include_usage_has_no_usage_chunk() {
    let (mock, gateway) = setup().await;
    let stream = stream(&gateway, chat_body("gpt-test", "Stream me please")).await;

    assert!(stream.errors().is_empty(), "{:?}", stream.items);
    assert!(
        stream.ends_with_done(),
        "ends with data: [DONE]: {:?}",
        stream.items
    );
    assert_eq!(stream.done_count(), 1, "{:?}", stream.items);
    assert_eq!(stream.content(), "echo: Stream me please");
    assert_eq!(stream.finish_reason().as_deref(), Some("stop"));

    let chunks = stream.chunks();
    assert!(
        chunks.len() >= 3,
        "role, content and finish chunks: {chunks:?}"
    );
    let id = &chunks[0]["id"];
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk", "{chunk}");
        assert_eq!(&chunk["id"], id, "one id for the whole stream: {chunk}");
        assert_eq!(chunk["model"], "mock-echo", "the answering model: {chunk}");
        assert!(
            chunk["choices"].as_array().is_some_and(|c| c.len() == 1),
            "without include_usage every chunk has its choice: {chunk}"
        );
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(
        stream.usage_chunks().is_empty(),
        "no usage unless stream_options.include_usage: {:?}",
        stream.usage_chunks()
    );

    let seen = mock.chat_requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        seen[0].body["stream"], true,
        "the upstream is asked to stream"
    );
    assert_eq!(seen[0].body["model"], "mock-echo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_with_include_usage_ends_with_a_usage_chunk() {
    let (_mock, gateway) = setup().await;
    let mut body = chat_body("gpt-test", "Count my tokens");
    body["stream_options"] = json!({"include_usage": true});
    let stream = stream(&gateway, body).await;

    assert!(stream.errors().is_empty(), "{:?}", stream.items);
    assert!(stream.ends_with_done(), "{:?}", stream.items);
    assert_eq!(stream.content(), "echo: Count my tokens");
    let chunks = stream.chunks();
    let last = chunks.last().expect("chunks");
    assert_eq!(
        last["choices"],
        json!([]),
        "the usage chunk is last and has no choices: {last}"
    );
    assert_usage_numbers(&last["usage"], "usage chunk");
    assert_eq!(stream.usage_chunks().len(), 1, "exactly one usage chunk");
    for chunk in &chunks[..chunks.len() - 1] {
        assert!(
            chunk["choices"].as_array().is_some_and(|c| !c.is_empty()),
            "only the usage chunk has empty choices: {chunk}"
        );
        assert!(
            chunk.get("usage").is_none_or(Value::is_null),
            "other chunks carry no usage numbers: {chunk}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_midstream_upstream_error_becomes_an_error_event_and_ends_the_stream() {
    let (_mock, gateway) = setup().await;
    let stream = stream(&gateway, chat_body("gpt-midstream", "go")).await;

    assert_eq!(
        stream.content(),
        "Partial answer",
        "content before the error arrives"
    );
    let errors = stream.errors();
    assert_eq!(errors.len(), 1, "one error event: {:?}", stream.items);
    let error = errors[0];
    e2e::checks::check_error_object(error).expect("an OpenAI-shaped error event");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("The server had an error")),
        "the upstream's message reaches the client: {error}"
    );
    let position = stream
        .items
        .iter()
        .position(|i| matches!(i, e2e::sse::StreamItem::Error(_)))
        .expect("error position");
    let after: Vec<_> = stream.items[position + 1..]
        .iter()
        .filter(|i| !matches!(i, e2e::sse::StreamItem::Done))
        .collect();
    assert!(
        after.is_empty(),
        "nothing but [DONE] follows the error: {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_errors_reach_the_client_with_status_and_message() {
    let (_mock, gateway) = setup().await;

    let error = read_error(
        gateway
            .chat(&chat_body("gpt-400", "hi"))
            .await
            .expect("answers"),
    )
    .await
    .expect("an OpenAI error");
    assert_eq!(error.status, 400, "{}", error.body);
    assert_eq!(
        error.message,
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
    );
    assert_eq!(error.kind, "invalid_request_error");
    assert_eq!(error.param, "max_tokens");
    assert_eq!(error.code_str(), Some("unsupported_parameter"));

    let error = read_error(
        gateway
            .chat(&chat_body("gpt-404", "hi"))
            .await
            .expect("answers"),
    )
    .await
    .expect("an OpenAI error");
    assert_eq!(error.status, 404, "{}", error.body);
    assert_eq!(
        error.message,
        "The model `gpt-4.1-nano-wrong` does not exist or you do not have access to it."
    );
    assert_eq!(error.code_str(), Some("model_not_found"));

    let error = read_error(
        gateway
            .chat(&chat_body("gpt-429", "hi"))
            .await
            .expect("answers"),
    )
    .await
    .expect("an OpenAI error");
    assert_eq!(error.status, 429, "{}", error.body);
    assert!(
        error.message.starts_with("Rate limit reached"),
        "{}",
        error.body
    );
    assert_eq!(error.code_str(), Some("rate_limit_exceeded"));
    assert_eq!(
        error.retry_after.as_deref(),
        Some("7"),
        "retry-after from the upstream reaches the client"
    );

    let error = read_error(
        gateway
            .chat(&chat_body("gpt-500", "hi"))
            .await
            .expect("answers"),
    )
    .await
    .expect("an OpenAI error");
    assert!(
        error.status >= 500,
        "an upstream server error is not the client's: {}",
        error.body
    );

    // Asking for a stream does not change a refused request into a stream.
    let mut body = chat_body("gpt-404", "hi");
    body["stream"] = json!(true);
    let error = read_error(gateway.chat(&body).await.expect("answers"))
        .await
        .expect("a JSON error, not an event stream");
    assert_eq!(error.status, 404, "{}", error.body);
    assert_eq!(error.code_str(), Some("model_not_found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_upstream_key_is_an_error_that_does_not_leak_the_key() {
    let (mock, gateway) = setup().await;
    let error = read_error(
        gateway
            .chat(&chat_body("gpt-badkey", "hi"))
            .await
            .expect("answers"),
    )
    .await
    .expect("an OpenAI error");
    assert!(
        error.status == 401 || error.status >= 500,
        "the upstream refused the key: {}",
        error.body
    );
    assert!(
        !error.body.to_string().contains("sk-wrong-key-0123456789"),
        "the configured key never reaches the client: {}",
        error.body
    );
    let seen = mock.chat_requests();
    assert_eq!(
        seen[0].header("authorization"),
        Some("Bearer sk-wrong-key-0123456789"),
        "the model's own key is the one sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_calls_round_trip() {
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
    let first = read_json(
        gateway
            .chat(&json!({"model": "gpt-tools", "messages": messages, "tools": tools, "tool_choice": "auto"}))
            .await
            .expect("answers"),
    )
    .await
    .expect("a 200 completion");
    assert_eq!(
        first["choices"][0]["finish_reason"], "tool_calls",
        "{first}"
    );
    let message = &first["choices"][0]["message"];
    assert!(message["content"].is_null(), "{first}");
    let call = &message["tool_calls"][0];
    assert_eq!(call["type"], "function", "{first}");
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
    let second = read_json(
        gateway
            .chat(&json!({"model": "gpt-tools", "messages": messages, "tools": tools}))
            .await
            .expect("answers"),
    )
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
async fn streamed_tool_calls_reassemble_per_index() {
    let (_mock, gateway) = setup().await;
    let stream = stream(&gateway, chat_body("gpt-tools", "weather and stocks")).await;
    assert!(stream.errors().is_empty(), "{:?}", stream.items);
    assert!(stream.ends_with_done(), "{:?}", stream.items);
    assert_eq!(stream.finish_reason().as_deref(), Some("tool_calls"));
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
    expected.push("gpt-badkey");
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
    let stream = stream(&gateway, chat_body("gpt-slow", "stream slowly")).await;
    assert_eq!(stream.content(), "echo: stream slowly");
    assert!(stream.ends_with_done(), "{:?}", stream.items);
}
