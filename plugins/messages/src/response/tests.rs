use serde_json::{Value, json};

use super::*;
use crate::fixtures::ctx;

fn message(completion: Value) -> Value {
    let body = from_chat(&ctx(), completion.to_string().as_bytes()).expect("translates");
    serde_json::from_slice(&body).expect("JSON")
}

fn completion(message: Value, finish_reason: &str) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-x",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 2000, "completion_tokens": 50,
                  "prompt_tokens_details": {"cached_tokens": 1500}}
    })
}

#[test]
fn a_whole_answer_with_thinking_text_and_tools() {
    let out = message(completion(
        json!({"role": "assistant", "content": "Checking.", "reasoning_content": "hmm",
               "thinking_blocks": [{"type": "thinking", "thinking": "hmm", "signature": "sig"}],
               "tool_calls": [{"id": "call_1", "type": "function",
                               "function": {"name": "get", "arguments": "{\"a\":1}"}}]}),
        "tool_calls",
    ));
    assert_eq!(
        out,
        json!({
            "id": "msg_call1", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "call_1", "name": "get", "input": {"a": 1}}
            ],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 500, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 1500, "output_tokens": 50}
        })
    );
}

#[test]
fn tool_input_is_always_an_object() {
    let input = |arguments| serde_json::to_value(tool_input(arguments)).unwrap();
    assert_eq!(input(""), json!({}));
    assert_eq!(input("  "), json!({}));
    assert_eq!(input("{\"x\": [1]}"), json!({"x": [1]}));
    assert_eq!(input("[1,2]"), json!({"_raw": "[1,2]"}));
    assert_eq!(input("\"s\""), json!({"_raw": "\"s\""}));
    assert_eq!(input("{\"cut"), json!({"_raw": "{\"cut"}));
    let out = message(completion(
        json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": ""}},
            {"id": "b", "type": "function", "function": {"name": "g"}}
        ]}),
        "tool_calls",
    ));
    assert_eq!(out["content"][0]["input"], json!({}));
    assert_eq!(out["content"][1]["input"], json!({}));
    assert_eq!(
        out["content"].as_array().unwrap().len(),
        2,
        "no empty text block"
    );
}

#[test]
fn unsigned_reasoning_is_one_thinking_block_and_empty_text_is_dropped() {
    let out = message(completion(
        json!({"role": "assistant", "content": "", "reasoning": "why"}),
        "stop",
    ));
    assert_eq!(
        out["content"],
        json!([{"type": "thinking", "thinking": "why", "signature": ""}])
    );
    assert_eq!(out["stop_reason"], "end_turn");
}

#[test]
fn a_refusal_is_text_with_stop_reason_refusal() {
    let out = message(completion(
        json!({"role": "assistant", "content": null, "refusal": "No."}),
        "stop",
    ));
    assert_eq!(out["content"], json!([{"type": "text", "text": "No."}]));
    assert_eq!(out["stop_reason"], "refusal");
}

#[test]
fn finish_reasons_and_missing_usage() {
    let reason = |finish: &str| {
        let mut body = completion(json!({"role": "assistant", "content": "x"}), finish);
        body.as_object_mut().unwrap().remove("usage");
        message(body)
    };
    assert_eq!(reason("length")["stop_reason"], "max_tokens");
    assert_eq!(reason("content_filter")["stop_reason"], "refusal");
    assert_eq!(reason("stop")["usage"]["input_tokens"], 0);
}

#[test]
fn answers_that_are_not_completions_are_502() {
    for body in [
        "nope".to_owned(),
        json!({"choices": []}).to_string(),
        json!({"error": {"message": "quota"}}).to_string(),
    ] {
        let error = from_chat(&ctx(), body.as_bytes()).unwrap_err();
        assert_eq!(error.status, 502, "{body}");
        assert_eq!(error.error_type, "api_error");
    }
}
