use serde_json::{Value, json};
use switchyard_guest_kit::Endpoint;

use super::*;

/// The adapter's stream state driven by the kit, as the host drives it: errors after
/// chunks wait for the next call, an ended stream stays ended.
type Transformer = switchyard_guest_kit::Driver<super::Transformer>;

/// The events of an `.sse` fixture, framed the way the host frames them.
fn events(name: &str) -> Vec<StreamEvent> {
    let text = super::super::fixtures::text(name);
    text.split("\n\n")
        .filter_map(|block| {
            let mut event = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(name) = line.strip_prefix("event:") {
                    event = Some(name.trim().to_owned());
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push(d.strip_prefix(' ').unwrap_or(d));
                }
            }
            (!data.is_empty()).then(|| StreamEvent {
                event,
                data: data.join("\n"),
            })
        })
        .collect()
}

pub(super) fn ctx(include_usage: bool) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "claude".into(),
        upstream_model: "claude-haiku-4-5".into(),
        streaming: true,
        include_usage,
        client_id: "client-1".into(),
        options: Vec::new(),
    }
}

/// Runs a fixture through one transformer, `batch` events per push.
pub(super) fn run(
    name: &str,
    include_usage: bool,
    batch: usize,
) -> (Vec<Value>, Option<switchyard_guest_kit::Usage>) {
    let mut transformer = Transformer::new(&ctx(include_usage));
    let mut chunks = Vec::new();
    for events in events(name).chunks(batch) {
        let out = transformer.push(events.to_vec()).expect("no error");
        chunks.extend(out.chunks);
    }
    let end = transformer.finish().expect("finishes");
    chunks.extend(end.chunks);
    let chunks = chunks
        .iter()
        .map(|c| serde_json::from_str(c).expect("chunk is JSON"))
        .collect();
    (chunks, end.usage)
}

pub(super) fn deltas(chunks: &[Value]) -> Vec<&Value> {
    chunks
        .iter()
        .filter_map(|c| c.pointer("/choices/0/delta"))
        .collect()
}

pub(super) fn joined(chunks: &[Value], field: &str) -> String {
    deltas(chunks)
        .iter()
        .filter_map(|d| d.get(field).and_then(Value::as_str))
        .collect()
}

/// An Anthropic event, named by its `type` as Anthropic names it.
pub(super) fn event(data: Value) -> StreamEvent {
    StreamEvent {
        event: data["type"].as_str().map(str::to_owned),
        data: data.to_string(),
    }
}

/// The chunks one push of `events` produces, parsed.
pub(super) fn push_all(events: Vec<StreamEvent>) -> Vec<Value> {
    let mut transformer = Transformer::new(&ctx(false));
    transformer
        .push(events)
        .expect("translates")
        .chunks
        .iter()
        .map(|c| serde_json::from_str(c).expect("json"))
        .collect()
}

#[test]
fn text_stream_role_first_then_content_then_finish() {
    let (chunks, usage) = run("anthropic-stream-basic.sse", false, 1);
    assert_eq!(
        deltas(&chunks)[0],
        &json!({"role": "assistant", "content": ""})
    );
    assert_eq!(
        deltas(&chunks)
            .iter()
            .filter(|d| d.get("role").is_some())
            .count(),
        1,
        "one role delta"
    );
    assert_eq!(joined(&chunks, "content"), "Hello there!");
    let last = chunks.last().expect("chunks");
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert_eq!(last["choices"][0]["delta"], json!({}));
    for chunk in &chunks {
        assert_eq!(chunk["id"], "msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK");
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "claude-3-opus-latest");
        assert_eq!(chunk["created"], chunks[0]["created"]);
        assert!(
            chunk.get("usage").is_none(),
            "no usage key unless asked for"
        );
    }
    let usage = usage.expect("usage accounted");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (11, 6));
}

#[test]
fn usage_chunk_comes_last_when_asked_for() {
    let (chunks, _) = run("anthropic-stream-tool-result.sse", true, 3);
    let last = chunks.last().expect("chunks");
    assert_eq!(last["choices"], json!([]));
    assert_eq!(
        last["usage"],
        json!({"prompt_tokens": 770, "completion_tokens": 38, "total_tokens": 808,
               "prompt_tokens_details": {"cached_tokens": 0}})
    );
    for chunk in &chunks[..chunks.len() - 1] {
        assert_eq!(chunk["usage"], Value::Null, "usage: null on the others");
    }
    assert!(joined(&chunks, "content").ends_with("sunny day!"));
}

#[test]
fn tool_index_counts_tool_calls_only() {
    let (chunks, _) = run("anthropic-stream-text-tool.sse", false, 1);
    let calls: Vec<&Value> = deltas(&chunks)
        .into_iter()
        .filter_map(|d| d.get("tool_calls"))
        .flat_map(|c| c.as_array().into_iter().flatten())
        .collect();
    assert!(
        calls.iter().all(|c| c["index"] == 0),
        "the text block does not shift it: {calls:?}"
    );
    assert_eq!(calls[0]["id"], "toolu_01NRLabsLyVHZPKxbKvkfSMn");
    assert_eq!(calls[0]["type"], "function");
    assert_eq!(
        calls[0]["function"],
        json!({"name": "get_weather", "arguments": ""})
    );
    for later in &calls[1..] {
        assert!(
            later.get("id").is_none() && later["function"].get("name").is_none(),
            "{later}"
        );
    }
    let arguments: String = calls
        .iter()
        .filter_map(|c| c["function"]["arguments"].as_str())
        .collect();
    assert_eq!(arguments, r#"{"location": "Paris"}"#);
    assert_eq!(
        joined(&chunks, "content"),
        "I'll check the current weather in Paris for you."
    );
    assert_eq!(
        chunks.last().expect("chunks")["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[test]
fn recorded_tool_stream_with_padding_assembles_valid_arguments() {
    for batch in [1, 2, 5, 100] {
        let (chunks, usage) = run("anthropic-stream-tool.sse", true, batch);
        let arguments: String = deltas(&chunks)
            .iter()
            .filter_map(|d| d.pointer("/tool_calls/0/function/arguments"))
            .filter_map(Value::as_str)
            .collect();
        let parsed: Value = serde_json::from_str(&arguments).expect("assembled JSON");
        assert_eq!(
            parsed,
            json!({"location": "San Francisco, CA", "units": "f"})
        );
        let usage = usage.expect("usage");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (656, 74));
        let finishes: Vec<&Value> = chunks
            .iter()
            .filter_map(|c| c.pointer("/choices/0/finish_reason"))
            .filter(|f| !f.is_null())
            .collect();
        assert_eq!(finishes, vec![&json!("tool_calls")], "batch {batch}");
    }
}

#[test]
fn two_tool_calls_get_indexes_0_and_1() {
    let chunks = push_all(vec![
        event(
            json!({"type": "message_start", "message": {"id": "m", "model": "c", "usage": {"input_tokens": 1, "output_tokens": 1}}}),
        ),
        event(
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
        ),
        event(
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}}),
        ),
        event(
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "t1", "name": "a", "input": {}}}),
        ),
        event(
            json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "t2", "name": "b", "input": {}}}),
        ),
        event(
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{}"}}),
        ),
        event(
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"x\":1}"}}),
        ),
    ]);
    let calls: Vec<(u64, Option<&str>, &str)> = deltas(&chunks)
        .iter()
        .filter_map(|d| d.pointer("/tool_calls/0"))
        .map(|c| {
            (
                c["index"].as_u64().expect("index"),
                c["id"].as_str(),
                c["function"]["arguments"].as_str().expect("args"),
            )
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            (0, Some("t1"), ""),
            (1, Some("t2"), ""),
            (1, None, "{}"),
            (0, None, "{\"x\":1}")
        ]
    );
}

#[test]
fn thinking_becomes_reasoning_content_then_one_whole_block_to_echo() {
    let (chunks, usage) = run("anthropic-stream-thinking.sse", false, 4);
    let reasoning = joined(&chunks, "reasoning_content");
    assert!(
        reasoning.starts_with("The user is asking me about the weather in"),
        "{reasoning}"
    );
    let blocks: Vec<&Value> = deltas(&chunks)
        .iter()
        .filter_map(|d| d.get("thinking_blocks"))
        .collect();
    assert_eq!(blocks.len(), 1, "one block, sent whole when it stops");
    let block = &blocks[0][0];
    assert_eq!(block["type"], "thinking");
    assert_eq!(block["thinking"], reasoning.as_str(), "the whole text");
    assert!(
        block["signature"]
            .as_str()
            .is_some_and(|s| s.starts_with("EsgDCkYIBxgC")),
        "with its signature: {block}"
    );
    assert!(joined(&chunks, "content").starts_with("I don't have access to real"));
    assert_eq!(usage.expect("usage").completion_tokens, 264);
}

#[test]
fn mid_stream_error_ends_the_stream_after_the_chunks_before_it() {
    let mut all = events("anthropic-stream-basic.sse");
    all.truncate(4); // message_start, block start, ping, first text delta
    all.extend(events("anthropic-stream-error.sse"));
    let mut transformer = Transformer::new(&ctx(false));
    let out = transformer.push(all).expect("the chunks before the error");
    assert_eq!(out.chunks.len(), 2, "role and `Hello`");
    let e = transformer.finish().expect_err("the error comes next");
    assert_eq!((e.status, e.error_type.as_str()), (503, "server_error"));
    assert_eq!(e.message, "Overloaded");

    let mut transformer = Transformer::new(&ctx(false));
    let e = transformer
        .push(events("anthropic-stream-error.sse"))
        .expect_err("error");
    assert_eq!(e.code.as_deref(), Some("overloaded"));
}

#[test]
fn a_cut_stream_is_an_error_not_a_silent_end() {
    let mut cut = events("anthropic-stream-basic.sse");
    cut.truncate(5);
    let mut transformer = Transformer::new(&ctx(false));
    transformer.push(cut).expect("translates");
    let e = transformer.finish().expect_err("cut");
    assert_eq!(
        (e.status, e.error_type.as_str(), e.code.as_deref()),
        (502, "server_error", Some("upstream_stream_truncated")),
        "the same truncation error every adapter gives"
    );
    assert!(e.message.contains("`message_stop`"), "{}", e.message);
}

#[test]
fn a_stream_cut_after_its_final_message_delta_still_finishes() {
    let mut all = events("anthropic-stream-basic.sse");
    assert_eq!(
        all.pop().and_then(|e| e.event).as_deref(),
        Some("message_stop"),
        "the fixture ends with the marker"
    );
    let mut transformer = Transformer::new(&ctx(true));
    transformer.push(all).expect("translates");
    let out = transformer
        .finish()
        .expect("the stop reason and final usage came in message_delta: nothing is lost");
    assert_eq!(
        out.chunks.len(),
        2,
        "the finish chunk, then the usage chunk"
    );
    assert!(
        out.chunks
            .iter()
            .any(|c| c.contains("\"finish_reason\":\"stop\""))
    );
}

#[test]
fn garbage_and_unknown_events() {
    let mut transformer = Transformer::new(&ctx(false));
    let out = transformer
        .push(vec![StreamEvent {
            event: Some("brand_new".into()),
            data: r#"{"type":"brand_new","x":1}"#.into(),
        }])
        .expect("unknown events are ignored");
    assert!(out.chunks.is_empty());
    let e = transformer
        .push(vec![StreamEvent {
            event: None,
            data: "<html>".into(),
        }])
        .expect_err("garbage");
    assert_eq!(e.status, 502);
}

#[test]
fn a_tool_called_without_arguments_streams_an_empty_object() {
    let chunks = push_all(vec![
        event(
            json!({"type": "message_start", "message": {"id": "m", "model": "c", "usage": {"input_tokens": 1, "output_tokens": 1}}}),
        ),
        event(
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t1", "name": "now", "input": {}}}),
        ),
        event(
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": ""}}),
        ),
        event(json!({"type": "content_block_stop", "index": 0})),
        event(
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "t2", "name": "echo", "input": {}}}),
        ),
        event(
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"x\":1}"}}),
        ),
        event(json!({"type": "content_block_stop", "index": 1})),
    ]);
    let arguments = |index: u64| -> String {
        deltas(&chunks)
            .iter()
            .filter_map(|d| d.pointer("/tool_calls/0"))
            .filter(|c| c["index"] == index)
            .filter_map(|c| c["function"]["arguments"].as_str())
            .collect()
    };
    assert_eq!(arguments(0), "{}", "no arguments streamed: an empty object");
    assert_eq!(
        arguments(1),
        "{\"x\":1}",
        "streamed arguments get nothing added"
    );
}
