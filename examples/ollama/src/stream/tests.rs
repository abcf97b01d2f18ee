use super::*;
use crate::test_ctx;
use serde_json::{Value, json};

fn lines(lines: &[Value]) -> Vec<StreamEvent> {
    lines
        .iter()
        .map(|line| StreamEvent {
            event: None,
            data: line.to_string(),
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

const T0: &str = "2023-08-04T08:52:19.385406455-07:00";

fn text(content: &str) -> Value {
    json!({"model": "llama3.2", "created_at": T0,
           "message": {"role": "assistant", "content": content, "images": null}, "done": false})
}

fn done(reason: &str) -> Value {
    json!({"model": "llama3.2", "created_at": "2023-08-04T19:22:45.499127Z",
           "message": {"role": "assistant", "content": ""},
           "done_reason": reason, "done": true,
           "total_duration": 4883583458u64, "load_duration": 1334875,
           "prompt_eval_count": 26, "prompt_eval_duration": 342546000,
           "eval_count": 282, "eval_duration": 4535599000u64})
}

fn chunk(delta: Value, finish_reason: Value) -> Value {
    json!({"id": completion_id(T0, "llama3.2"), "object": "chat.completion.chunk",
           "created": 1691164339, "model": "llama3.2",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]})
}

#[test]
fn text_lines_become_chunks_and_done_the_finish() {
    let mut stream = Transformer::new(&test_ctx(true, false));
    let out = stream
        .push(&lines(&[text("The"), text(" sky")]))
        .expect("translates");
    assert_eq!(
        parsed(&out),
        [
            chunk(json!({"role": "assistant", "content": "The"}), Value::Null),
            chunk(json!({"content": " sky"}), Value::Null),
        ]
    );
    assert!(out.usage.is_none(), "no counts before the last line");

    let out = stream.push(&lines(&[done("stop")])).expect("translates");
    assert_eq!(parsed(&out), [chunk(json!({}), json!("stop"))]);
    let usage = out.usage.expect("counts from the done line");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (26, 282));
    assert!(stream.finish().expect("ends cleanly").chunks.is_empty());
}

#[test]
fn the_usage_chunk_follows_when_asked() {
    let mut stream = Transformer::new(&test_ctx(true, true));
    let out = stream
        .push(&lines(&[text("Hi"), done("length")]))
        .expect("translates");
    let chunks = parsed(&out);
    assert_eq!(chunks.len(), 3);
    assert_eq!(chunks[1]["choices"][0]["finish_reason"], "length");
    assert_eq!(
        chunks[2],
        json!({"id": completion_id(T0, "llama3.2"), "object": "chat.completion.chunk",
               "created": 1691164339, "model": "llama3.2", "choices": [],
               "usage": {"prompt_tokens": 26, "completion_tokens": 282, "total_tokens": 308}})
    );
}

#[test]
fn tool_calls_are_numbered_across_the_stream() {
    let call = |city: &str| {
        json!({"model": "llama3.2", "created_at": T0, "done": false,
               "message": {"role": "assistant", "content": "",
                           "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": city}}}]}})
    };
    let mut stream = Transformer::new(&test_ctx(true, false));
    let out = stream
        .push(&lines(&[call("Tokyo"), call("Paris"), done("stop")]))
        .expect("translates");
    let chunks = parsed(&out);
    assert_eq!(chunks.len(), 3);
    let first = &chunks[0]["choices"][0]["delta"];
    assert_eq!(first["role"], "assistant");
    assert!(
        first.get("content").is_none(),
        "no empty content beside tool calls"
    );
    assert_eq!(first["tool_calls"][0]["index"], 0);
    assert_eq!(first["tool_calls"][0]["type"], "function");
    assert_eq!(
        first["tool_calls"][0]["function"],
        json!({"name": "get_weather", "arguments": "{\"city\":\"Tokyo\"}"})
    );
    let second = &chunks[1]["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(second["index"], 1);
    assert_ne!(second["id"], first["tool_calls"][0]["id"]);
    assert_eq!(chunks[2]["choices"][0]["finish_reason"], "tool_calls");
}

#[test]
fn thinking_becomes_reasoning_content() {
    let mut stream = Transformer::new(&test_ctx(true, false));
    let line = json!({"model": "qwen3", "created_at": T0, "done": false,
                      "message": {"role": "assistant", "content": "", "thinking": "Hmm"}});
    let out = stream.push(&lines(&[line])).expect("translates");
    assert_eq!(
        parsed(&out)[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": "", "reasoning_content": "Hmm"})
    );
}

#[test]
fn an_error_line_ends_the_stream_after_the_chunks_before_it() {
    let mut stream = Transformer::new(&test_ctx(true, false));
    let error = json!({"error": "an error was encountered while running the model"});
    let out = stream
        .push(&lines(&[text("Yes"), error.clone()]))
        .expect("chunks first");
    assert_eq!(out.chunks.len(), 1);
    let e = stream.finish().expect_err("then the error");
    assert_eq!((e.status, e.error_type.as_str()), (502, "server_error"));
    assert_eq!(
        e.message,
        "an error was encountered while running the model"
    );

    let mut stream = Transformer::new(&test_ctx(true, false));
    assert_eq!(
        stream.push(&lines(&[error])).expect_err("at once").status,
        502
    );
}

#[test]
fn a_stream_cut_before_done_is_an_error() {
    let mut stream = Transformer::new(&test_ctx(true, false));
    stream.push(&lines(&[text("Half")])).expect("translates");
    let e = stream.finish().expect_err("no done line");
    assert_eq!(e.status, 502);
    assert!(e.message.contains("done: true"), "{}", e.message);
}

#[test]
fn garbage_is_a_502_and_blank_lines_are_skipped() {
    let mut stream = Transformer::new(&test_ctx(true, false));
    let blank = [StreamEvent {
        event: None,
        data: "  ".into(),
    }];
    assert!(stream.push(&blank).expect("skipped").chunks.is_empty());
    let garbage = [StreamEvent {
        event: None,
        data: "<html>".into(),
    }];
    let e = stream.push(&garbage).expect_err("refused");
    assert_eq!(e.status, 502);
    assert!(e.message.ends_with("<html>"), "{}", e.message);
}
