use serde_json::{Value, json};

use super::validate::validate;
use super::*;
use crate::fixtures::{ctx, load, parse, path, pretty, run, strings};

/// Runs a stream fixture in every batch size and compares its events with the golden
/// ones; `MESSAGES_BLESS=1` writes the events instead.
fn golden(name: &str) {
    let mut fixture = load(name);
    let chunks = fixture["chunks"].as_array().expect("chunks").clone();
    let events = run(&chunks, 1).expect("no error");
    for batch in 2..=chunks.len() {
        assert_eq!(
            run(&chunks, batch).expect("no error"),
            events,
            "batch {batch}"
        );
    }
    if std::env::var_os("MESSAGES_BLESS").is_some() {
        fixture["events"] = Value::Array(events);
        std::fs::write(path(name), compact(&fixture)).expect("fixture written");
        return;
    }
    let expected = fixture["events"].as_array().expect("events");
    assert_eq!(&events, expected, "{name}:\n{}", pretty(&events));
}

/// A stream fixture as written: the description, then one chunk or event a line.
fn compact(fixture: &Value) -> String {
    let lines = |key: &str| {
        fixture[key]
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| format!("    {v}"))
            .collect::<Vec<_>>()
            .join(",\n")
    };
    format!(
        "{{\n  \"description\": {},\n  \"chunks\": [\n{}\n  ],\n  \"events\": [\n{}\n  ]\n}}\n",
        fixture["description"],
        lines("chunks"),
        lines("events")
    )
}

#[test]
fn text_then_tools_keep_indices_and_stop_reason() {
    golden("stream-text-tool.json");
}

#[test]
fn empty_tool_arguments_become_an_object() {
    golden("stream-empty-arguments.json");
}

#[test]
fn signed_reasoning_then_text_are_two_blocks() {
    golden("stream-thinking.json");
}

#[test]
fn unsigned_reasoning_then_a_tool_call_has_no_text_block() {
    golden("stream-thinking-tool-only.json");
}

#[test]
fn interleaved_tool_calls_land_in_their_own_blocks() {
    golden("stream-interleaved-tools.json");
}

fn chunk(delta: Value, finish_reason: Option<&str>) -> Value {
    json!({"choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]})
}

fn message_delta(events: &[Value]) -> &Value {
    events
        .iter()
        .find(|e| e["type"] == "message_delta")
        .expect("a message_delta")
}

#[test]
fn each_finish_reason_maps() {
    let fixture = load("unit/stream-finish-reasons.json");
    for case in fixture["cases"].as_array().expect("cases") {
        let finish = case["finish_reason"].as_str().expect("finish_reason");
        let mut chunks = vec![chunk(json!({"content": "ok"}), None)];
        if case["tool"] == true {
            chunks.push(chunk(
                json!({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{}"}}]}),
                None,
            ));
        }
        chunks.push(chunk(json!({}), Some(finish)));
        let events = run(&chunks, 1).expect("no error");
        assert_eq!(
            message_delta(&events)["delta"]["stop_reason"],
            case["stop_reason"],
            "{case}"
        );
    }
}

#[test]
fn a_named_stop_string_is_a_stop_sequence() {
    let chunks = [
        json!({"choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": "stop", "stop_reason": "###"}]}),
    ];
    let events = run(&chunks, 1).expect("no error");
    assert_eq!(
        message_delta(&events)["delta"],
        json!({"stop_reason": "stop_sequence", "stop_sequence": "###"})
    );
}

#[test]
fn a_refusal_is_text_with_stop_reason_refusal() {
    let chunks = [
        chunk(json!({"refusal": "I can't help with that."}), None),
        chunk(json!({}), Some("stop")),
    ];
    let events = run(&chunks, 1).expect("no error");
    assert_eq!(events[2]["delta"]["text"], "I can't help with that.");
    assert_eq!(message_delta(&events)["delta"]["stop_reason"], "refusal");
}

#[test]
fn message_start_comes_on_the_first_push_even_for_a_role_chunk() {
    let mut converter = Converter::new(&ctx());
    let events = parse(
        &converter
            .push(&strings(&[chunk(json!({"role": "assistant"}), None)]))
            .unwrap(),
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["type"], "message_start");
    assert_eq!(events[0]["message"]["id"], "msg_call1");
    assert_eq!(events[0]["message"]["model"], "claude-test");
    assert_eq!(events[0]["message"]["usage"]["input_tokens"], 0);
}

#[test]
fn a_finish_with_nothing_else_still_starts_and_ends() {
    let events = run(&[chunk(json!({}), Some("stop"))], 1).expect("no error");
    let kinds: Vec<_> = events.iter().map(|e| e["type"].clone()).collect();
    assert_eq!(kinds, ["message_start", "message_delta", "message_stop"]);
    assert_eq!(message_delta(&events)["usage"]["output_tokens"], 0);
}

#[test]
fn usage_after_the_finish_reaches_message_delta() {
    let chunks = [
        chunk(json!({"content": "hi"}), Some("stop")),
        json!({"choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 7, "prompt_tokens_details": {"cached_tokens": 60}}}),
    ];
    let events = run(&chunks, 1).expect("no error");
    assert_eq!(
        message_delta(&events)["usage"],
        json!({"input_tokens": 40, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 60, "output_tokens": 7})
    );
}

#[test]
fn a_stream_cut_before_its_finish_is_an_error() {
    let mut converter = Converter::new(&ctx());
    converter
        .push(&strings(&[chunk(json!({"content": "half"}), None)]))
        .unwrap();
    let error = converter.finish().unwrap_err();
    assert_eq!(error.status, 502);
    assert_eq!(error.error_type, "api_error");
    assert_eq!(error.message, crate::error::TRUNCATED_MESSAGE);
    assert!(
        Converter::new(&ctx()).finish().is_err(),
        "an empty stream too"
    );
}

#[test]
fn an_error_chunk_ends_the_stream_after_the_events_before_it() {
    let mut converter = Converter::new(&ctx());
    let out = converter
        .push(&strings(&[
            chunk(json!({"content": "hi"}), None),
            json!({"error": {"message": "overloaded", "type": "server_error"}}),
        ]))
        .unwrap();
    assert_eq!(parse(&out).len(), 3, "start, block start, delta");
    let error = converter.finish().unwrap_err();
    assert!(error.message.contains("overloaded"), "{}", error.message);

    let mut converter = Converter::new(&ctx());
    let error = converter
        .push(&strings(&[json!({"error": {"message": "bad"}})]))
        .unwrap_err();
    assert_eq!(error.status, 502);
}

#[test]
fn a_chunk_that_is_not_json_is_an_error() {
    let mut converter = Converter::new(&ctx());
    assert!(converter.push(&["{not json".to_owned()]).is_err());
}

#[test]
fn fail_emits_one_anthropic_error_event() {
    let mut converter = Converter::new(&ctx());
    let mut events = parse(
        &converter
            .push(&strings(&[chunk(json!({"content": "hi"}), None)]))
            .unwrap(),
    );
    let error = ApiError {
        status: 429,
        message: "slow down".into(),
        error_type: "rate_limit_exceeded".into(),
        param: None,
        code: None,
        retry_after: Some(3),
    };
    let failed = parse(&converter.fail(&error));
    assert_eq!(
        failed,
        [json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}})]
    );
    events.extend(failed);
    validate(&events).unwrap();
    assert!(converter.finish().unwrap().is_empty(), "nothing after fail");
}

#[test]
fn thinking_blocks_alone_make_a_whole_signed_block_and_redacted_blocks() {
    let chunks = [
        chunk(
            json!({"thinking_blocks": [
                {"type": "thinking", "thinking": "whole", "signature": "s1"},
                {"type": "redacted_thinking", "data": "enc"}
            ]}),
            None,
        ),
        chunk(json!({"content": "done"}), Some("stop")),
    ];
    let events = run(&chunks, 1).expect("no error");
    let blocks: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "content_block_start")
        .map(|e| e["content_block"]["type"].clone())
        .collect();
    assert_eq!(blocks, ["thinking", "redacted_thinking", "text"]);
    assert!(events.iter().any(|e| e["delta"]["signature"] == "s1"));
    assert!(events.iter().any(|e| e["content_block"]["data"] == "enc"));
}

#[test]
fn a_signature_for_a_stopped_thinking_block_is_not_repeated() {
    let chunks = [
        chunk(json!({"reasoning_content": "think"}), None),
        chunk(json!({"content": "text"}), None),
        chunk(
            json!({"thinking_blocks": [{"type": "thinking", "thinking": "think", "signature": "late"}]}),
            Some("stop"),
        ),
    ];
    let events = run(&chunks, 1).expect("no error");
    let starts = events
        .iter()
        .filter(|e| e["type"] == "content_block_start")
        .count();
    assert_eq!(starts, 2, "{}", pretty(&events));
}

#[test]
fn a_fragment_for_a_stopped_tool_call_is_an_error() {
    let chunks = [
        chunk(
            json!({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}}]}),
            None,
        ),
        chunk(json!({"content": "text"}), None),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"late\":1}"}}]}),
            None,
        ),
    ];
    let mut converter = Converter::new(&ctx());
    let out = converter.push(&strings(&chunks)).unwrap();
    assert!(!out.is_empty());
    assert_eq!(converter.finish().unwrap_err().status, 502);
}

#[test]
fn tool_calls_without_index_each_get_a_block() {
    let chunks = [
        chunk(
            json!({"tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "{\"n\":1}"}}]}),
            None,
        ),
        chunk(
            json!({"tool_calls": [{"id": "b", "function": {"name": "g", "arguments": "{\"n\":2}"}}]}),
            None,
        ),
        chunk(json!({}), Some("tool_calls")),
    ];
    let events = run(&chunks, 1).expect("no error");
    let ids: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "content_block_start")
        .map(|e| e["content_block"]["id"].clone())
        .collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn choices_other_than_the_first_are_ignored() {
    let chunks = [json!({"choices": [
        {"index": 1, "delta": {"content": "other"}, "finish_reason": null},
        {"index": 0, "delta": {"content": "mine"}, "finish_reason": "stop"}
    ]})];
    let events = run(&chunks, 1).expect("no error");
    let texts: Vec<_> = events
        .iter()
        .filter_map(|e| e["delta"]["text"].as_str())
        .collect();
    assert_eq!(texts, ["mine"]);
}

// === the validator itself ===

fn valid_stream() -> Vec<Value> {
    run(&[chunk(json!({"content": "hi"}), Some("stop"))], 1).expect("no error")
}

#[test]
fn validator_accepts_a_good_stream() {
    validate(&valid_stream()).unwrap();
}

#[test]
fn validator_rejects_a_non_contiguous_index() {
    let mut events = valid_stream();
    for event in &mut events {
        if event.get("index").is_some() {
            event["index"] = json!(1);
        }
    }
    assert!(validate(&events).unwrap_err().contains("expected 0"));
}

#[test]
fn validator_rejects_a_stop_without_start() {
    let mut events = valid_stream();
    events.retain(|e| e["type"] != "content_block_start");
    assert!(validate(&events).is_err());
    let mut events = valid_stream();
    events.insert(4, json!({"type": "content_block_stop", "index": 0}));
    assert!(validate(&events).is_err());
}

#[test]
fn validator_rejects_a_missing_message_stop() {
    let mut events = valid_stream();
    events.pop();
    assert!(validate(&events).unwrap_err().contains("not message_stop"));
}

#[test]
fn validator_rejects_empty_text_and_bad_tool_input() {
    let start = json!({"type": "message_start", "message": {"content": [], "stop_reason": null}});
    let end = [
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}}),
        json!({"type": "message_stop"}),
    ];
    let mut empty_text = vec![
        start.clone(),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_stop", "index": 0}),
    ];
    empty_text.extend(end.clone());
    assert!(validate(&empty_text).unwrap_err().contains("empty text"));
    let mut no_input = vec![
        start,
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "a", "name": "f", "input": {}}}),
        json!({"type": "content_block_stop", "index": 0}),
    ];
    no_input.extend(end);
    assert!(validate(&no_input).unwrap_err().contains("not JSON"));
}
