use serde_json::{Value, json};

use super::*;

fn parsed(chunk: Result<String, ApiError>) -> Value {
    serde_json::from_str(&chunk.expect("writes")).expect("a chunk is JSON")
}

fn writer() -> ChunkWriter<'static> {
    ChunkWriter::new("chatcmpl-1", 7, "m")
}

#[test]
fn a_choice_chunk_has_the_openai_members_in_openai_order() {
    let chunk = writer().role(0).expect("writes");
    assert_eq!(
        chunk,
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#
    );
}

#[test]
fn deltas_carry_only_what_they_say() {
    let w = writer();
    assert_eq!(
        parsed(w.delta(1, &Delta::content("Hi")))["choices"][0],
        json!({"index": 1, "delta": {"content": "Hi"}, "finish_reason": null})
    );
    assert_eq!(
        parsed(w.delta(0, &Delta::reasoning("hmm")))["choices"][0]["delta"],
        json!({"reasoning_content": "hmm"})
    );
    assert_eq!(
        parsed(w.delta(0, &Delta::refusal("no")))["choices"][0]["delta"],
        json!({"refusal": "no"})
    );
    let both = Delta {
        reasoning_content: Some("r"),
        content: Some("c"),
        ..Delta::default()
    };
    assert_eq!(
        parsed(w.delta(0, &both))["choices"][0]["delta"],
        json!({"content": "c", "reasoning_content": "r"})
    );
    assert_eq!(
        parsed(w.finish(2, "length"))["choices"][0],
        json!({"index": 2, "delta": {}, "finish_reason": "length"}),
        "a finish chunk has an empty delta"
    );
}

#[test]
fn a_tool_call_is_announced_once_then_its_arguments_follow_by_index() {
    let w = writer();
    let start = [ToolCall::start(1, "call_1", "get_weather", "")];
    assert_eq!(
        parsed(w.delta(0, &Delta::tool_calls(&start)))["choices"][0]["delta"],
        json!({"tool_calls": [{"index": 1, "id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": ""}}]})
    );
    let fragment = [ToolCall::arguments(1, "{\"city\":")];
    assert_eq!(
        parsed(w.delta(0, &Delta::tool_calls(&fragment)))["choices"][0]["delta"],
        json!({"tool_calls": [{"index": 1, "function": {"arguments": "{\"city\":"}}]}),
        "fragments carry neither id nor name"
    );
}

#[test]
fn the_usage_chunk_has_no_choices() {
    let chunk = parsed(writer().usage(&json!({"prompt_tokens": 1})));
    assert_eq!(
        chunk,
        json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7,
            "model": "m", "choices": [], "usage": {"prompt_tokens": 1}})
    );
}

#[test]
fn optional_null_members_are_the_adapters_choice() {
    let w = writer().usage_null(true).logprobs_null();
    assert_eq!(
        parsed(w.delta(0, &Delta::content("x"))),
        json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7,
            "model": "m", "usage": null,
            "choices": [{"index": 0, "delta": {"content": "x"}, "logprobs": null, "finish_reason": null}]})
    );
    assert_eq!(
        parsed(w.usage(&json!({"total_tokens": 3})))["usage"],
        json!({"total_tokens": 3}),
        "the usage chunk carries the usage, not null"
    );
}

#[test]
fn several_choices_with_deltas_passed_through() {
    let raw =
        serde_json::value::RawValue::from_string(r#"{"content":"x"}"#.into()).expect("raw JSON");
    let choices = [
        Choice::new(0, Some(raw.as_ref()), None),
        Choice::new(1, None, Some("content_filter")),
    ];
    assert_eq!(
        parsed(writer().choices(&choices))["choices"],
        json!([
            {"index": 0, "delta": {"content": "x"}, "finish_reason": null},
            {"index": 1, "delta": null, "finish_reason": "content_filter"}
        ])
    );
}
