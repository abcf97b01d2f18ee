use serde_json::{Value, json};
use switchyard_guest_kit::{Driver, StreamOutput};

use super::*;
use crate::test_ctx;

fn events(lines: &[&str]) -> Vec<StreamEvent> {
    lines
        .iter()
        .map(|data| StreamEvent {
            event: None,
            data: (*data).to_owned(),
        })
        .collect()
}

fn parsed(output: &StreamOutput) -> Vec<Value> {
    output
        .chunks
        .iter()
        .map(|c| serde_json::from_str(c).expect("chunks are JSON"))
        .collect()
}

const ROLE: &str = r#"{"id":"chatcmpl-c1","created":7,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#;
const TEXT: &str = r#"{"id":"chatcmpl-c1","created":7,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#;
const STOP: &str = r#"{"id":"chatcmpl-c1","created":7,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#;
const USAGE: &str = r#"{"id":"chatcmpl-c1","created":7,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#;

#[test]
fn text_streams_and_usage_is_hidden_unless_asked() {
    let mut stream = Driver::<Transformer>::new(&test_ctx(true, false));
    let out = stream
        .push(events(&[ROLE, TEXT, STOP, USAGE, "[DONE]"]))
        .expect("translates");
    let chunks = parsed(&out);
    assert_eq!(chunks.len(), 3, "role, text, finish: {chunks:?}");
    assert_eq!(
        chunks[1],
        json!({"id":"chatcmpl-c1","object":"chat.completion.chunk","created":7,"model":"m",
               "choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})
    );
    let usage = out.usage.expect("usage is still accounted");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (3, 1));
    assert!(stream.finish().expect("ends").chunks.is_empty());
}

#[test]
fn the_usage_chunk_goes_out_last_when_asked() {
    let mut stream = Driver::<Transformer>::new(&test_ctx(true, true));
    let mut chunks = parsed(
        &stream
            .push(events(&[TEXT, STOP, USAGE, "[DONE]"]))
            .expect("translates"),
    );
    chunks.extend(parsed(&stream.finish().expect("ends")));
    let last = chunks.last().expect("chunks");
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["total_tokens"], 4);
}

#[test]
fn tool_call_deltas_are_announced_once_then_continue_by_index() {
    let start = r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_9","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#;
    let more = r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Oslo\"}"}}]}}]}"#;
    let done = r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#;
    let mut stream = Driver::<Transformer>::new(&test_ctx(true, false));
    let chunks = parsed(
        &stream
            .push(events(&[start, more, done, "[DONE]"]))
            .expect("translates"),
    );
    let deltas: Vec<&Value> = chunks.iter().map(|c| &c["choices"][0]["delta"]).collect();
    assert_eq!(deltas[0], &json!({"role": "assistant", "content": ""}));
    assert_eq!(
        deltas[1],
        &json!({"tool_calls": [{"index": 0, "id": "call_9", "type": "function",
            "function": {"name": "get_weather", "arguments": ""}}]})
    );
    assert_eq!(
        deltas[2],
        &json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":\"Oslo\"}"}}]})
    );
    assert_eq!(chunks[3]["choices"][0]["finish_reason"], "tool_calls");
}

#[test]
fn the_recorded_tool_stream_replays_natively() {
    // The transcript `switchyard plugin check` replays for fixtures/stream_tools.json.
    let events =
        switchyard_guest_kit::transcript::sse(include_str!("../../fixtures/stream_tools.sse"));
    let mut stream = Driver::<Transformer>::new(&test_ctx(true, true));
    let mut chunks = parsed(&stream.push(events).expect("translates"));
    chunks.extend(parsed(&stream.finish().expect("ends")));
    let names: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"].get("name"))
        .collect();
    assert_eq!(names, [&json!("get_weather"), &json!("get_time")]);
    assert_eq!(chunks.last().expect("chunks")["usage"]["total_tokens"], 42);
}

#[test]
fn an_error_after_chunks_waits_for_the_next_call() {
    let error =
        r#"{"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}"#;
    let mut stream = Driver::<Transformer>::new(&test_ctx(true, false));
    let out = stream
        .push(events(&[TEXT, error, STOP]))
        .expect("chunks first");
    assert_eq!(out.chunks.len(), 2, "role and text");
    let e = stream.finish().expect_err("then the error");
    assert_eq!((e.status, e.message.as_str()), (502, "overloaded"));
}

#[test]
fn a_stream_cut_before_done_is_truncated_and_garbage_is_quoted() {
    let mut stream = Driver::<Transformer>::new(&test_ctx(true, false));
    stream.push(events(&[TEXT])).expect("translates");
    let e = stream.finish().expect_err("no [DONE]");
    assert_eq!(e.code.as_deref(), Some("upstream_stream_truncated"));

    let mut stream = Driver::<Transformer>::new(&test_ctx(true, false));
    let e = stream.push(events(&["not json"])).expect_err("refused");
    assert_eq!(e.status, 502);
    assert!(e.message.ends_with("not json"), "{}", e.message);
}
