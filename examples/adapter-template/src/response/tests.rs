use serde_json::{Value, json};

use super::*;
use crate::test_ctx;

fn ok(body: &[u8]) -> UpstreamResponse {
    UpstreamResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_vec(),
    }
}

fn translated(body: Value) -> (Value, Option<Usage>) {
    let response =
        to_openai(&test_ctx(false, false), ok(body.to_string().as_bytes())).expect("translates");
    let written = serde_json::from_slice(&response.body).expect("JSON");
    (written, response.usage)
}

#[test]
fn an_answer_becomes_a_chat_completion_with_usage() {
    let (body, usage) = translated(json!({
        "id": "chatcmpl-1",
        "created": 1700000000,
        "model": "upstream-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        "system_fingerprint": "fp"
    }));
    assert_eq!(
        body,
        json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "upstream-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!", "refusal": null},
                "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
        })
    );
    let usage = usage.expect("usage for accounting");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (5, 2));
}

#[test]
fn a_tool_call_answer_names_its_calls_and_what_the_platform_left_out_is_made() {
    let (body, usage) = translated(json!({
        "choices": [{"message": {"content": null, "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}
        ]}, "finish_reason": "tool_calls"}]
    }));
    assert!(usage.is_none());
    assert!(
        body["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("chatcmpl-"))
    );
    assert!(
        body["created"].as_u64().is_some_and(|t| t > 1_700_000_000),
        "now"
    );
    assert_eq!(body["model"], "upstream-model");
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    let call = &choice["message"]["tool_calls"][0];
    assert!(
        call["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("call_"))
    );
    assert_eq!(
        call["function"],
        json!({"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"})
    );
}

#[test]
fn a_2xx_that_is_not_a_completion_is_a_502_quoting_it() {
    let e =
        to_openai(&test_ctx(false, false), ok(b"<html>maintenance</html>")).expect_err("refused");
    assert_eq!((e.status, e.error_type.as_str()), (502, "server_error"));
    assert!(
        e.message.contains("<html>maintenance</html>"),
        "{}",
        e.message
    );
}

#[test]
fn a_non_2xx_is_the_platforms_error() {
    let response = UpstreamResponse {
        status: 404,
        headers: Vec::new(),
        body: br#"{"error":{"message":"no such model","type":"invalid_request_error","code":"model_not_found"}}"#.to_vec(),
    };
    let e = to_openai(&test_ctx(false, false), response).expect_err("an error");
    assert_eq!(
        (e.status, e.code.as_deref()),
        (404, Some("model_not_found"))
    );
}
