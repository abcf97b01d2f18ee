//! What only the Gemini adapter does, through the real gateway against the mock Gemini
//! upstream: the request translated (key header, system instruction, generation
//! config, reduced schemas), the recorded CRLF stream cut unevenly, thinking, a tool
//! round trip that needs the thought signature, blocked prompts and malformed calls,
//! images by URL, and embeddings. The shapes every platform shares (plain, stream,
//! usage, tools, errors, byte splits) are in `conformance.rs`.

use e2e::checks::{chat_body, completion_text, read_error, read_json};
use e2e::mock_upstream::MOCK_API_KEY;
use e2e::{MockUpstream, TestConfig, TestGateway};
use serde_json::json;

/// (public model, upstream model)
const MODELS: &[(&str, &str)] = &[
    ("gem", "gemini-echo"),
    ("gem-tools", "gemini-tools"),
    ("gem-thinking", "gemini-thinking"),
    ("gem-max", "gemini-max-tokens"),
    ("gem-blocked", "gemini-blocked"),
    ("gem-malformed", "gemini-malformed"),
    ("gem-bytewise", "gemini-bytewise"),
    ("gem-recorded", "gemini-recorded"),
    ("gem-embed", "gemini-embedding-001"),
];

async fn setup() -> (MockUpstream, TestGateway) {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let base = format!("http://{}", mock.addr());
    let mut config = TestConfig::new();
    for (name, upstream) in MODELS {
        config = config.model(name, "gemini", upstream, &base);
    }
    let config = config
        .model("gem-no-thoughts", "gemini", "gemini-thinking", &base)
        .option("reasoning-content", "false")
        .model("gpt-embed", "openai", "mock-embed", &mock.base_url());
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    (mock, gateway)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_chat_reaches_generate_content_with_the_key_header_and_config() {
    let (mock, gateway) = setup().await;
    let mut body = chat_body("gem", "Hello there");
    body["messages"] = json!([
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "Hello there"}
    ]);
    body["temperature"] = json!(0.2);
    body["max_tokens"] = json!(50);
    let answer = read_json(gateway.chat(&body).await.expect("answers"))
        .await
        .expect("a 200 completion");
    let usage = &answer["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(usage["prompt_tokens"].as_u64().expect("prompt") + 3),
        "{answer}"
    );

    let seen = mock.requests();
    let request = seen.last().expect("the upstream was called");
    assert_eq!(request.path, "/v1beta/models/gemini-echo:generateContent");
    assert_eq!(request.header("x-goog-api-key"), Some(MOCK_API_KEY));
    assert_eq!(
        request.header("authorization"),
        None,
        "the key is not a bearer"
    );
    assert_eq!(
        request.body["systemInstruction"],
        json!({"parts": [{"text": "Be terse."}]})
    );
    assert_eq!(
        request.body["generationConfig"],
        json!({"temperature": 0.2, "maxOutputTokens": 50})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_asks_stream_generate_content_and_counts_the_last_usage() {
    let (mock, gateway) = setup().await;
    let mut body = chat_body("gem", "one two three four five");
    body["stream_options"] = json!({"include_usage": true});
    let events = gateway.stream(&body).await.expect("a 200 event stream");
    let usage = events.usage_chunks();
    assert_eq!(
        usage
            .last()
            .map(|u| u["usage"]["completion_tokens"].clone()),
        Some(json!(6)),
        "the last usageMetadata's count: {:?}",
        events.items
    );
    let path = mock.requests().last().expect("called").path.clone();
    assert_eq!(
        path,
        "/v1beta/models/gemini-echo:streamGenerateContent?alt=sse"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_stream_survives_byte_by_byte_and_uneven_splits() {
    let (_mock, gateway) = setup().await;
    let mut texts = Vec::new();
    for model in ["gem-bytewise", "gem-recorded"] {
        let mut body = chat_body(model, "why is the sky blue?");
        body["stream_options"] = json!({"include_usage": true});
        let events = gateway.stream(&body).await.expect("a 200 event stream");
        assert!(
            events.content().starts_with("The sky is blue"),
            "{model}: {}",
            events.content()
        );
        assert_eq!(events.finish_reason().as_deref(), Some("stop"), "{model}");
        let usage = events.usage_chunks();
        assert_eq!(
            usage.last().map(|u| u["usage"].clone()),
            Some(json!({"prompt_tokens": 6, "completion_tokens": 377, "total_tokens": 383})),
            "{model}: the last usageMetadata, not a sum"
        );
        texts.push(events.content());
    }
    assert_eq!(texts[0], texts[1], "same text however it was split");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_round_trip_restores_the_thought_signature() {
    let (mock, gateway) = setup().await;
    let tools = json!([{"type": "function", "function": {
        "name": "lookup", "description": "Looks things up",
        "parameters": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
            "additionalProperties": false,
            "properties": {"query": {"type": "string"}}, "required": ["query"]}}}]);
    let first = json!({"model": "gem-tools", "tools": tools, "tool_choice": "required",
        "messages": [{"role": "user", "content": "find cats"}]});
    let answer = read_json(gateway.chat(&first).await.expect("answers"))
        .await
        .expect("a 200 completion");
    let call = &answer["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "lookup");
    assert_eq!(call["function"]["arguments"], r#"{"query":"find cats"}"#);
    let sent = mock.requests().last().expect("called").body.clone();
    assert_eq!(
        sent["toolConfig"],
        json!({"functionCallingConfig": {"mode": "ANY"}})
    );
    assert!(
        sent["tools"][0]["functionDeclarations"][0]["parameters"]
            .get("additionalProperties")
            .is_none(),
        "schema reduced: {sent}"
    );

    let id = call["id"].as_str().expect("id");
    let history = |id: &str| {
        json!({"model": "gem-tools", "tools": tools, "messages": [
            {"role": "user", "content": "find cats"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": id, "type": "function",
                "function": {"name": "lookup", "arguments": "{\"query\":\"find cats\"}"}}]},
            {"role": "tool", "tool_call_id": id, "content": "{\"cats\": 3}"}
        ]})
    };
    let answer = read_json(gateway.chat(&history(id)).await.expect("answers"))
        .await
        .expect("the second turn is accepted");
    assert_eq!(
        completion_text(&answer),
        Some(r#"the tool said lookup={"cats":3}"#),
        "{answer}"
    );

    // The same turn without the signature (a call another model made, or one the
    // client wrote) is not refused: it goes with Google's documented bypass value,
    // where the mock, like Gemini 3, refuses a call with no signature at all.
    let plain = id.split("__thought__").next().expect("id");
    let answer = read_json(gateway.chat(&history(plain)).await.expect("answers"))
        .await
        .expect("a history without the signature is accepted");
    assert_eq!(
        completion_text(&answer),
        Some(r#"the tool said lookup={"cats":3}"#)
    );
    let sent = mock.requests().last().expect("called").body.clone();
    assert_eq!(
        sent["contents"][1]["parts"][0]["thoughtSignature"],
        "skip_thought_signature_validator"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_tool_call_arrives_whole_with_its_id() {
    let (_mock, gateway) = setup().await;
    let mut body = chat_body("gem-tools", "weather");
    body["tools"] = json!([{"type": "function", "function": {"name": "weather",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}}]);
    let events = gateway.stream(&body).await.expect("a 200 event stream");
    let calls = events.tool_calls();
    assert_eq!(calls.len(), 1);
    assert!(calls[0].0.contains("__thought__"), "{calls:?}");
    assert_eq!(calls[0].1, "weather");
    assert_eq!(calls[0].2, r#"{"query":"weather"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinking_is_reasoning_content_and_counted_in_completion_tokens() {
    let (_mock, gateway) = setup().await;
    let answer = read_json(
        gateway
            .chat(&chat_body("gem-thinking", "think"))
            .await
            .expect("answers"),
    )
    .await
    .expect("200");
    let message = &answer["choices"][0]["message"];
    assert_eq!(message["reasoning_content"], "Considering what was asked.");
    assert_eq!(message["content"], "echo: think");
    assert_eq!(answer["usage"]["completion_tokens"], 2 + 5, "{answer}");
    assert_eq!(
        answer["usage"]["completion_tokens_details"]["reasoning_tokens"],
        5
    );

    let events = gateway
        .stream(&chat_body("gem-thinking", "think"))
        .await
        .expect("a 200 event stream");
    let reasoning: String = events
        .chunks()
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["reasoning_content"].as_str())
        .collect();
    assert_eq!(reasoning, "Considering what was asked.");
    assert_eq!(events.content(), "echo: think");

    let answer = read_json(
        gateway
            .chat(&chat_body("gem-no-thoughts", "think"))
            .await
            .expect("answers"),
    )
    .await
    .expect("200");
    assert!(
        answer["choices"][0]["message"]
            .get("reasoning_content")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_tokens_without_parts_and_blocked_prompts_finish_visibly() {
    let (_mock, gateway) = setup().await;
    let answer = read_json(
        gateway
            .chat(&chat_body("gem-max", "x"))
            .await
            .expect("answers"),
    )
    .await
    .expect("200");
    assert_eq!(answer["choices"][0]["finish_reason"], "length");
    assert_eq!(answer["choices"][0]["message"]["content"], "");
    let events = gateway
        .stream(&chat_body("gem-max", "x"))
        .await
        .expect("a 200 event stream");
    assert_eq!(events.finish_reason().as_deref(), Some("length"));

    let answer = read_json(
        gateway
            .chat(&chat_body("gem-blocked", "x"))
            .await
            .expect("answers"),
    )
    .await
    .expect("200");
    assert_eq!(answer["choices"][0]["finish_reason"], "content_filter");
    assert!(
        answer["choices"][0]["message"]["refusal"]
            .as_str()
            .is_some_and(|r| r.contains("SAFETY"))
    );
    let events = gateway
        .stream(&chat_body("gem-blocked", "x"))
        .await
        .expect("a 200 event stream");
    assert_eq!(events.finish_reason().as_deref(), Some("content_filter"));
    assert!(events.ends_with_done());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_function_call_is_an_error_in_both_modes() {
    let (_mock, gateway) = setup().await;
    let error = read_error(
        gateway
            .chat(&chat_body("gem-malformed", "x"))
            .await
            .expect("answers"),
    )
    .await
    .expect("an error");
    assert_eq!(error.status, 502);
    assert_eq!(error.code_str(), Some("malformed_function_call"));

    let events = gateway
        .stream(&chat_body("gem-malformed", "x"))
        .await
        .expect("a 200 event stream");
    let errors = events.errors();
    assert_eq!(errors.len(), 1, "{:?}", events.items);
    assert_eq!(errors[0]["error"]["code"], "malformed_function_call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_images_go_by_uri_and_http_images_are_a_clear_400() {
    let (mock, gateway) = setup().await;
    let body = |url: &str| {
        json!({"model": "gem", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is it"},
            {"type": "image_url", "image_url": {"url": url}}]}]})
    };
    read_json(
        gateway
            .chat(&body("https://example.com/cat.png"))
            .await
            .expect("answers"),
    )
    .await
    .expect("Gemini fetches https images itself");
    let sent = mock.requests().pop().expect("sent upstream").body;
    assert_eq!(
        sent["contents"][0]["parts"][1],
        json!({"fileData": {"mimeType": "image/png", "fileUri": "https://example.com/cat.png"}})
    );

    let error = read_error(
        gateway
            .chat(&body("http://example.com/cat.png"))
            .await
            .expect("answers"),
    )
    .await
    .expect("an error");
    assert_eq!(error.status, 400);
    assert!(error.message.contains("https"), "{}", error.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_work_for_gemini_and_openai_models() {
    let (mock, gateway) = setup().await;
    for (model, expected_len) in [
        ("gem-embed", 4),
        ("gpt-embed", e2e::mock_upstream::EMBEDDING_DIMENSIONS),
    ] {
        let mut body = json!({"model": model, "input": ["hello world", "goodbye"]});
        if model == "gem-embed" {
            body["dimensions"] = json!(4);
        }
        let response = gateway
            .client()
            .post(gateway.endpoint("/v1/embeddings"))
            .json(&body)
            .send()
            .await
            .expect("answers");
        let answer = read_json(response).await.expect("a 200 embedding list");
        assert_eq!(answer["object"], "list", "{answer}");
        let data = answer["data"].as_array().expect("data");
        assert_eq!(data.len(), 2, "{answer}");
        for (i, item) in data.iter().enumerate() {
            assert_eq!(item["index"], i);
            assert_eq!(
                item["embedding"].as_array().map(Vec::len),
                Some(expected_len),
                "{model}: {item}"
            );
        }
    }
    let gemini = mock
        .requests()
        .into_iter()
        .find(|r| r.path.contains("batchEmbedContents"))
        .expect("Gemini was called");
    assert_eq!(
        gemini.path,
        "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    );
    assert_eq!(gemini.body["requests"][0]["outputDimensionality"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_gemini_generation_gets_a_request_it_accepts() {
    let mock = MockUpstream::start().await.expect("mock upstream starts");
    let base = format!("http://{}", mock.addr());
    let mut config = TestConfig::new();
    for model in [
        "gemini-3-pro-preview",
        "gemini-3-flash-preview",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
    ] {
        config = config.model(model, "gemini", model, &base);
    }
    let gateway = TestGateway::start(&config.to_toml())
        .await
        .expect("gateway starts");
    // What an OpenAI client sends for a quick answer with its usual penalties.
    for model in [
        "gemini-3-pro-preview",
        "gemini-3-flash-preview",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
    ] {
        for effort in ["none", "minimal", "medium", "xhigh"] {
            let mut body = chat_body(model, "Hi");
            body["reasoning_effort"] = json!(effort);
            body["presence_penalty"] = json!(0.4);
            body["frequency_penalty"] = json!(0.2);
            let answer = read_json(gateway.chat(&body).await.expect("answers"))
                .await
                .unwrap_or_else(|err| panic!("{model} with {effort}: {err:#}"));
            assert_eq!(completion_text(&answer), Some("echo: Hi"), "{model}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_structured_output_schema_reaches_gemini_as_written() {
    let (mock, gateway) = setup().await;
    // Property order is part of what the schema asks for; `$ref` stays a reference.
    let schema = r##"{"type":"object","properties":{"zeta":{"$ref":"#/$defs/item"},"alpha":{"type":"string"}},"required":["zeta","alpha"],"$defs":{"item":{"type":"object","properties":{"name":{"type":"string"}}}}}"##;
    let body = format!(
        r#"{{"model":"gem","messages":[{{"role":"user","content":"hi"}}],"response_format":{{"type":"json_schema","json_schema":{{"name":"x","schema":{schema}}}}}}}"#
    );
    let response = gateway.chat_raw(body).await.expect("answers");
    read_json(response).await.expect("a completion");
    let sent = mock.requests().pop().expect("sent upstream");
    assert!(
        sent.raw
            .contains(&format!(r#""responseJsonSchema":{schema}"#)),
        "the schema, member order and $ref as written: {}",
        sent.raw
    );
}
