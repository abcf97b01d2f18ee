//! The Anthropic adapter through the real host against the mock Messages API: what
//! the client gets, and what the upstream saw.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly, with the reason; clippy only exempts #[test] bodies"
)]

use e2e::checks::{chat_body, completion_text, read_error, read_json, read_stream};
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::sse::ChatStream;
use e2e::{MockUpstream, TestConfig, TestGateway};
use serde_json::{Value, json};

/// (public model, upstream model)
const MODELS: &[(&str, &str)] = &[
    ("claude", "claude-echo"),
    ("claude-tools", "claude-tools"),
    ("claude-text-tool", "claude-text-tool"),
    ("claude-thinking", "claude-thinking"),
    ("claude-midstream", "claude-midstream-error"),
    ("claude-400", "claude-400"),
    ("claude-401", "claude-401"),
    ("claude-403", "claude-403"),
    ("claude-404", "claude-404"),
    ("claude-413", "claude-413"),
    ("claude-429", "claude-429"),
    ("claude-500", "claude-500"),
    ("claude-529", "claude-529"),
];

/// Stream fixtures replayed whole, split at odd byte boundaries and byte by byte.
const REPLAYED: &[&str] = &["claude-tools", "claude-text-tool", "claude-thinking"];

async fn setup() -> (MockUpstream, TestGateway) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let base = format!("http://{}", mock.addr());
    let mut config = TestConfig::new();
    for (name, upstream) in MODELS {
        config = config.model(name, "anthropic", upstream, &base);
    }
    for name in REPLAYED {
        for suffix in ["-split", "-bytewise"] {
            let model = format!("{name}{suffix}");
            config = config.model(&model, "anthropic", &model, &base);
        }
    }
    let config = config
        .model(
            "claude-midstream-bytewise",
            "anthropic",
            "claude-midstream-error-bytewise",
            &base,
        )
        .model("claude-opts", "anthropic", "claude-echo", &base)
        .option("default-max-tokens", "321")
        .option("anthropic-beta", "beta-1,beta-2")
        .model_with_key(
            "claude-badkey",
            "anthropic",
            "claude-echo",
            &base,
            "sk-wrong",
        );
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    (mock, gateway)
}

async fn stream(gateway: &TestGateway, mut body: Value) -> ChatStream {
    body["stream"] = json!(true);
    let response = gateway.chat(&body).await.expect("the gateway answers");
    read_stream(response).await.expect("a 200 event stream")
}

fn messages_requests(mock: &MockUpstream) -> Vec<e2e::RecordedRequest> {
    mock.requests()
        .into_iter()
        .filter(|r| r.path == "/v1/messages")
        .collect()
}

fn weather_request(model: &str) -> Value {
    json!({
        "model": model,
        "messages": [{"role": "user", "content": "What is the weather in SF?"}],
        "tools": [{"type": "function", "function": {
            "name": "get_weather",
            "description": "Lookup the weather",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}, "units": {"type": "string"}}}
        }}]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_chat_is_translated_both_ways() {
    let (mock, gateway) = setup().await;
    let request = json!({
        "model": "claude",
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hello"},
            {"role": "user", "content": "there"}
        ],
        "temperature": 1.5,
        "stop": "END",
        "user": "user-7"
    });
    let answer = read_json(gateway.chat(&request).await.expect("answers"))
        .await
        .expect("a 200 completion");
    assert_eq!(
        completion_text(&answer),
        Some("echo: Hello there"),
        "{answer}"
    );
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    let usage = &answer["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["prompt_tokens"].as_u64().unwrap_or(0)
                + usage["completion_tokens"].as_u64().unwrap_or(0)
        ),
        "{usage}"
    );

    let seen = messages_requests(&mock);
    assert_eq!(seen.len(), 1);
    let upstream = &seen[0];
    assert_eq!(upstream.header("x-api-key"), Some(MOCK_API_KEY));
    assert_eq!(upstream.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        upstream.header("authorization"),
        None,
        "the key goes in x-api-key only"
    );
    assert_eq!(upstream.body["model"], "claude-echo");
    assert_eq!(
        upstream.body["system"],
        json!([{"type": "text", "text": "Be terse."}])
    );
    assert_eq!(upstream.body["max_tokens"], 4096);
    assert_eq!(upstream.body["temperature"], 1.0);
    assert_eq!(upstream.body["stop_sequences"], json!(["END"]));
    assert_eq!(upstream.body["metadata"], json!({"user_id": "user-7"}));
    assert_eq!(
        upstream.body["messages"].as_array().map(Vec::len),
        Some(1),
        "merged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_options_reach_the_upstream() {
    let (mock, gateway) = setup().await;
    let answer = read_json(
        gateway
            .chat(&chat_body("claude-opts", "Hi"))
            .await
            .expect("answers"),
    )
    .await
    .expect("a 200 completion");
    assert_eq!(completion_text(&answer), Some("echo: Hi"));
    let seen = messages_requests(&mock);
    assert_eq!(seen[0].body["max_tokens"], 321);
    assert_eq!(seen[0].header("anthropic-beta"), Some("beta-1,beta-2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_text_has_role_first_and_usage_last() {
    let (_mock, gateway) = setup().await;
    let mut body = chat_body("claude", "Tell me a story");
    body["stream_options"] = json!({"include_usage": true});
    let events = stream(&gateway, body).await;
    assert!(events.ends_with_done() && events.done_count() == 1);
    assert!(events.errors().is_empty());
    assert_eq!(events.content(), "echo: Tell me a story");
    assert_eq!(events.finish_reason().as_deref(), Some("stop"));
    let chunks = events.chunks();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let usage = events.usage_chunks();
    assert_eq!(usage.len(), 1);
    assert_eq!(chunks.last().map(|c| c["choices"].clone()), Some(json!([])));

    let plain = stream(&gateway, chat_body("claude", "Short")).await;
    assert!(plain.usage_chunks().is_empty(), "no usage unless asked for");
    assert_eq!(plain.content(), "echo: Short");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_call_round_trip_streamed_and_not() {
    let (mock, gateway) = setup().await;
    let answer = read_json(
        gateway
            .chat(&weather_request("claude-tools"))
            .await
            .expect("answers"),
    )
    .await
    .expect("a 200 completion");
    let choice = &answer["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls", "{answer}");
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap_or(""))
            .expect("arguments are JSON");
    assert_eq!(
        arguments,
        json!({"location": "San Francisco, CA", "units": "f"})
    );

    let events = stream(&gateway, weather_request("claude-tools")).await;
    let calls = events.tool_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let streamed: Value = serde_json::from_str(&calls[0].2).expect("assembled arguments are JSON");
    assert_eq!(streamed, arguments, "streamed equals non-streamed");
    assert_eq!(events.finish_reason().as_deref(), Some("tool_calls"));

    // Send the result back: one user turn with the tool_result.
    let mut follow_up = weather_request("claude-tools");
    let messages = follow_up["messages"].as_array_mut().expect("messages");
    messages.push(json!({"role": "assistant", "content": null, "tool_calls": [call]}));
    messages.push(json!({"role": "tool", "tool_call_id": call["id"], "content": "68F and sunny"}));
    let answer = read_json(gateway.chat(&follow_up).await.expect("answers"))
        .await
        .expect("the mock accepted the tool_result turn");
    assert_eq!(
        completion_text(&answer),
        Some("The tool returned: 68F and sunny")
    );
    let last = messages_requests(&mock).pop().expect("recorded");
    assert_eq!(
        last.body["messages"][2]["content"][0]["type"],
        "tool_result"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_before_a_tool_does_not_shift_the_tool_index() {
    let (_mock, gateway) = setup().await;
    for model in [
        "claude-text-tool",
        "claude-text-tool-split",
        "claude-text-tool-bytewise",
    ] {
        let events = stream(&gateway, weather_request(model)).await;
        let indexes: Vec<u64> = events
            .chunks()
            .iter()
            .filter_map(|c| c.pointer("/choices/0/delta/tool_calls/0/index"))
            .filter_map(Value::as_u64)
            .collect();
        assert!(
            !indexes.is_empty() && indexes.iter().all(|i| *i == 0),
            "{model}: {indexes:?}"
        );
        let ids = events
            .chunks()
            .iter()
            .filter(|c| c.pointer("/choices/0/delta/tool_calls/0/id").is_some())
            .count();
        assert_eq!(ids, 1, "{model}: id only in the first delta");
        assert_eq!(
            events.tool_calls(),
            vec![(
                "toolu_01NRLabsLyVHZPKxbKvkfSMn".to_owned(),
                "get_weather".to_owned(),
                r#"{"location": "Paris"}"#.to_owned()
            )],
            "{model}"
        );
        assert_eq!(
            events.content(),
            "I'll check the current weather in Paris for you."
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_fixtures_survive_any_byte_split() {
    let (_mock, gateway) = setup().await;
    for name in REPLAYED {
        let whole = stream(&gateway, weather_request(name)).await;
        for suffix in ["-split", "-bytewise"] {
            let model = format!("{name}{suffix}");
            let cut = stream(&gateway, weather_request(&model)).await;
            assert!(cut.ends_with_done(), "{model}");
            assert_eq!(cut.content(), whole.content(), "{model}");
            assert_eq!(cut.tool_calls(), whole.tool_calls(), "{model}");
            assert_eq!(cut.finish_reason(), whole.finish_reason(), "{model}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinking_arrives_as_reasoning_content() {
    let (_mock, gateway) = setup().await;
    let events = stream(&gateway, chat_body("claude-thinking", "Weather?")).await;
    let reasoning: String = events
        .chunks()
        .iter()
        .filter_map(|c| c.pointer("/choices/0/delta/reasoning_content"))
        .filter_map(Value::as_str)
        .collect();
    assert!(
        reasoning.starts_with("The user is asking me"),
        "{reasoning}"
    );
    assert!(events.content().starts_with("I don't have access"));

    let answer = read_json(
        gateway
            .chat(&chat_body("claude-thinking", "Weather?"))
            .await
            .expect("answers"),
    )
    .await
    .expect("a 200 completion");
    assert_eq!(
        answer["choices"][0]["message"]["reasoning_content"],
        "The user is asking about the weather."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mid_stream_error_becomes_an_error_event_after_the_text() {
    let (_mock, gateway) = setup().await;
    for model in ["claude-midstream", "claude-midstream-bytewise"] {
        let events = stream(&gateway, chat_body(model, "Hi")).await;
        assert_eq!(events.content(), "Partial answer", "{model}");
        let errors = events.errors();
        assert_eq!(errors.len(), 1, "{model}: {:?}", events.items);
        assert_eq!(errors[0]["error"]["message"], "Overloaded");
        assert_eq!(errors[0]["error"]["type"], "server_error");
        assert_eq!(errors[0]["error"]["code"], "overloaded");
        assert!(
            !events.ends_with_done(),
            "{model}: the error ends the stream"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_errors_map_to_openai_statuses() {
    let (_mock, gateway) = setup().await;
    let cases: &[(&str, u16, &str, Option<&str>)] = &[
        ("claude-400", 400, "invalid_request_error", None),
        (
            "claude-401",
            401,
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        (
            "claude-badkey",
            401,
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        ("claude-403", 403, "permission_error", None),
        (
            "claude-404",
            404,
            "invalid_request_error",
            Some("model_not_found"),
        ),
        (
            "claude-413",
            413,
            "invalid_request_error",
            Some("request_too_large"),
        ),
        (
            "claude-429",
            429,
            "rate_limit_exceeded",
            Some("rate_limit_exceeded"),
        ),
        ("claude-500", 500, "server_error", None),
        ("claude-529", 503, "server_error", Some("overloaded")),
    ];
    for (model, status, kind, code) in cases {
        for streamed in [false, true] {
            let mut body = chat_body(model, "Hi");
            body["stream"] = json!(streamed);
            let response = gateway.chat(&body).await.expect("answers");
            let error = read_error(response).await.expect("an OpenAI error");
            assert_eq!(error.status, *status, "{model}: {}", error.body);
            assert_eq!(error.kind, *kind, "{model}");
            assert_eq!(error.code_str(), *code, "{model}");
            if *model == "claude-429" {
                assert_eq!(error.retry_after.as_deref(), Some("7"));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n_above_one_is_refused_before_any_upstream_call() {
    let (mock, gateway) = setup().await;
    let mut body = chat_body("claude", "Hi");
    body["n"] = json!(3);
    let error = read_error(gateway.chat(&body).await.expect("answers"))
        .await
        .expect("an OpenAI error");
    assert_eq!((error.status, error.param.as_str()), (400, Some("n")));
    assert!(messages_requests(&mock).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_headers_reach_the_client() {
    let (_mock, gateway) = setup().await;
    let response = gateway
        .chat(&chat_body("claude", "hello"))
        .await
        .expect("the gateway answers");
    assert_eq!(response.status(), 200);
    let limits: Vec<&str> = response
        .headers()
        .keys()
        .map(|name| name.as_str())
        .filter(|name| name.starts_with("anthropic-ratelimit-"))
        .collect();
    assert!(
        limits.contains(&"anthropic-ratelimit-requests-remaining"),
        "{limits:?}"
    );
}
