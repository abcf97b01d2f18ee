use serde_json::{Value, json};

use super::*;
use crate::test_ctx;

fn translate(streaming: bool, body: Value) -> Result<(UpstreamRequest, Value), ApiError> {
    let request = from_openai(&test_ctx(streaming, false), body.to_string().as_bytes())?;
    let sent = serde_json::from_slice(&request.body).map_err(|e| bad_gateway(e.to_string()))?;
    Ok((request, sent))
}

#[test]
fn a_plain_request_maps_field_by_field() {
    let (request, sent) = translate(
        false,
        json!({
            "model": "my-model",
            "messages": [
                {"role": "developer", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Hello"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}
            ],
            "temperature": 0.5,
            "max_tokens": 10,
            "max_completion_tokens": 20,
            "stop": "END",
            "seed": 7,
            "user": "not sent"
        }),
    )
    .expect("translates");
    assert_eq!(request.path_and_query, CHAT_PATH);
    assert!(request.response_framing.is_none());
    assert_eq!(
        sent,
        json!({
            "model": "upstream-model",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Hello"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}
            ],
            "temperature": 0.5,
            "max_tokens": 20,
            "stop": ["END"],
            "seed": 7,
            "stream": false
        })
    );
}

#[test]
fn tools_and_a_tool_turn_go_up_as_the_platform_wants_them() {
    let (_, sent) = translate(
        true,
        json!({
            "messages": [
                {"role": "user", "content": "Weather in Oslo?"},
                {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "12 C"}
            ],
            "tools": [{"type": "function", "function": {"name": "get_weather",
                "description": "Weather by city", "parameters": {"type": "object"}, "strict": true}}],
            "tool_choice": "required",
            "response_format": {"type": "json_object"}
        }),
    )
    .expect("translates");
    assert_eq!(
        sent["messages"][1],
        json!({"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]})
    );
    assert_eq!(
        sent["messages"][2],
        json!({"role": "tool", "content": "12 C", "tool_call_id": "call_1"})
    );
    assert_eq!(
        sent["tools"],
        json!([{"type": "function", "function": {"name": "get_weather",
            "description": "Weather by city", "parameters": {"type": "object"}}}])
    );
    assert_eq!(sent["tool_choice"], "required");
    assert_eq!(sent["response_format"], json!({"type": "json_object"}));
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
}

#[test]
fn what_the_platform_cannot_do_is_a_400_naming_the_field() {
    let audio = json!({"messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}]});
    let e = translate(false, audio).expect_err("audio is refused");
    assert_eq!(
        (e.status, e.param.as_deref()),
        (400, Some("messages[0].content[0]"))
    );
    assert!(e.message.contains("input_audio"), "{}", e.message);

    let hosted =
        json!({"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "web_search"}]});
    let e = translate(false, hosted).expect_err("a hosted tool is refused");
    assert_eq!(e.param.as_deref(), Some("tools[0].type"));

    let several = json!({"messages": [{"role": "user", "content": "hi"}], "n": 3});
    assert_eq!(
        translate(false, several)
            .expect_err("n = 3")
            .param
            .as_deref(),
        Some("n")
    );

    let e = from_openai(&test_ctx(false, false), b"{").expect_err("not JSON");
    assert_eq!(e.status, 400);
}
