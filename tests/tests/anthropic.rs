//! What only the Anthropic adapter does, through the real host against the mock
//! Messages API: the request translated (system, merged turns, limits, options, tool
//! results), tool indexes after text, thinking, the mid-stream error event, `n`, and
//! the rate-limit headers. The shapes every platform shares (plain, stream, usage,
//! tools, errors, byte splits) are in `conformance.rs`.

use e2e::checks::{chat_body, completion_text, read_error, read_json};
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::{MockUpstream, TestConfig, TestGateway};
use serde_json::{Value, json};

/// (public model, upstream model)
const MODELS: &[(&str, &str)] = &[
    ("claude", "claude-echo"),
    ("claude-tools", "claude-tools"),
    ("claude-text-tool", "claude-text-tool"),
    ("claude-text-tool-split", "claude-text-tool-split"),
    ("claude-text-tool-bytewise", "claude-text-tool-bytewise"),
    ("claude-thinking", "claude-thinking"),
    ("claude-midstream", "claude-midstream-error"),
    (
        "claude-midstream-bytewise",
        "claude-midstream-error-bytewise",
    ),
];

async fn setup() -> (MockUpstream, TestGateway) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let base = format!("http://{}", mock.addr());
    let mut config = TestConfig::new();
    for (name, upstream) in MODELS {
        config = config.model(name, "anthropic", upstream, &base);
    }
    let config = config
        .model("claude-opts", "anthropic", "claude-echo", &base)
        .option("default-max-tokens", "321")
        .option("anthropic-beta", "beta-1,beta-2");
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    (mock, gateway)
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
        "the two user turns were merged into one: {answer}"
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
    let call = &answer["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap_or(""))
            .expect("arguments are JSON");
    assert_eq!(
        arguments,
        json!({"location": "San Francisco, CA", "units": "f"})
    );

    let events = gateway
        .stream(&weather_request("claude-tools"))
        .await
        .expect("a 200 event stream");
    let calls = events.tool_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let streamed: Value = serde_json::from_str(&calls[0].2).expect("assembled arguments are JSON");
    assert_eq!(streamed, arguments, "streamed equals non-streamed");

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
        let events = gateway
            .stream(&weather_request(model))
            .await
            .expect("a 200 event stream");
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
async fn thinking_arrives_as_reasoning_content() {
    let (_mock, gateway) = setup().await;
    let events = gateway
        .stream(&chat_body("claude-thinking", "Weather?"))
        .await
        .expect("a 200 event stream");
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
        let events = gateway
            .stream(&chat_body(model, "Hi"))
            .await
            .expect("a 200 event stream");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_claude_generation_gets_a_request_it_accepts() {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let base = format!("http://{}", mock.addr());
    let config = TestConfig::new()
        .model("opus-4-7", "anthropic", "claude-opus-4-7", &base)
        .model("sonnet-4-6", "anthropic", "claude-sonnet-4-6", &base)
        .model("sonnet-4-5", "anthropic", "claude-sonnet-4-5", &base);
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    // What an OpenAI client sends when asked to think hard with its default sampling.
    let ask = |model: &str| {
        let mut body = chat_body(model, "Hi");
        body["reasoning_effort"] = json!("xhigh");
        body["temperature"] = json!(0.7);
        body
    };
    for model in ["opus-4-7", "sonnet-4-6", "sonnet-4-5"] {
        let answer = read_json(gateway.chat(&ask(model)).await.expect("answers"))
            .await
            .unwrap_or_else(|err| panic!("{model} accepts the request: {err:#}"));
        assert_eq!(completion_text(&answer), Some("echo: Hi"), "{model}");
    }
    let sent = messages_requests(&mock);
    assert_eq!(sent[0].body["thinking"], json!({"type": "adaptive"}));
    assert_eq!(sent[0].body["output_config"], json!({"effort": "xhigh"}));
    assert_eq!(sent[1].body["output_config"], json!({"effort": "high"}));
    assert_eq!(sent[2].body["thinking"]["type"], "enabled");

    // Without thinking, Opus 4.7 still gets no temperature; Sonnet 4.6 keeps it.
    for (model, temperature) in [("opus-4-7", None), ("sonnet-4-6", Some(0.7))] {
        let mut body = chat_body(model, "Hi");
        body["temperature"] = json!(0.7);
        read_json(gateway.chat(&body).await.expect("answers"))
            .await
            .unwrap_or_else(|err| panic!("{model} accepts the request: {err:#}"));
        let sent = messages_requests(&mock);
        let last = &sent[sent.len() - 1].body;
        assert_eq!(last["temperature"].as_f64(), temperature, "{model}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_loop_with_thinking_round_trips_the_thinking_block() {
    let (_mock, gateway) = setup().await;
    // The answer a client got (thinking and a tool call), echoed back with the result.
    let history = |thinking_blocks: Option<Value>| {
        let mut assistant = json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"location\":\"SF\"}"}}]});
        if let Some(blocks) = thinking_blocks {
            assistant["thinking_blocks"] = blocks;
        }
        let mut body = weather_request("claude-tools");
        body["reasoning_effort"] = json!("low");
        body["messages"] = json!([
            {"role": "user", "content": "What is the weather in SF?"},
            assistant,
            {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"}
        ]);
        body
    };
    let blocks = json!([{"type": "thinking", "thinking": "I should look it up.", "signature": "EsgDCkYIBxgC"}]);
    let answer = read_json(gateway.chat(&history(Some(blocks))).await.expect("answers"))
        .await
        .expect("the echoed thinking block lets the loop continue");
    assert_eq!(completion_text(&answer), Some("The tool returned: sunny"));

    // Without it, Anthropic refuses the turn: the client sees why.
    let error = read_error(gateway.chat(&history(None)).await.expect("answers"))
        .await
        .expect("an error");
    assert_eq!(error.status, 400);
    assert!(error.message.contains("thinking"), "{}", error.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_schemas_and_arguments_reach_anthropic_in_the_order_written() {
    let (mock, gateway) = setup().await;
    let schema = r#"{"type":"object","properties":{"zeta":{"type":"string"},"alpha":{"type":"integer"}},"required":["zeta","alpha"]}"#;
    let arguments = r#"{\"zeta\":\"z\",\"alpha\":1}"#;
    let body = format!(
        r#"{{"model":"claude-tools","tools":[{{"type":"function","function":{{"name":"get_weather","parameters":{schema}}}}}],"messages":[{{"role":"user","content":"hi"}},{{"role":"assistant","content":null,"tool_calls":[{{"id":"toolu_1","type":"function","function":{{"name":"get_weather","arguments":"{arguments}"}}}}]}},{{"role":"tool","tool_call_id":"toolu_1","content":"ok"}}]}}"#
    );
    let response = gateway.chat_raw(body).await.expect("answers");
    read_json(response).await.expect("a completion");
    let sent = messages_requests(&mock).pop().expect("sent upstream");
    assert!(
        sent.raw.contains(&format!(r#""input_schema":{schema}"#)),
        "the schema as written: {}",
        sent.raw
    );
    assert!(
        sent.raw.contains(r#""input":{"zeta":"z","alpha":1}"#),
        "the arguments as written: {}",
        sent.raw
    );
}
