use serde_json::{Value, json};

use super::validate::validate;
use super::*;
use crate::fixtures::{ctx, load, parse, path, pretty, run, run_failing, strings};

/// Translates the request fixture `request` (if any), so the converter finds its state.
fn prepare(request: &Value) {
    if let Some(name) = request.as_str() {
        let body = load(name)["request"].to_string();
        crate::request::to_chat(&ctx(), body.as_bytes()).expect("request translates");
    }
}

/// Runs a stream fixture in every batch size and compares its events with the golden
/// ones; `RESPONSES_BLESS=1` writes the events instead.
fn golden(name: &str) -> Vec<Value> {
    let mut fixture = load(name);
    let chunks = fixture["chunks"].as_array().expect("chunks").clone();
    prepare(&fixture["request"]);
    let events = run(&chunks, 1);
    for batch in 2..=chunks.len() {
        prepare(&fixture["request"]);
        assert_eq!(run(&chunks, batch), events, "batch {batch}");
    }
    if std::env::var_os("RESPONSES_BLESS").is_some() {
        fixture["events"] = Value::Array(events.clone());
        std::fs::write(path(name), compact(&fixture)).expect("fixture written");
        return events;
    }
    let expected = fixture["events"].as_array().expect("events");
    assert_eq!(&events, expected, "{name}:\n{}", pretty(&events));
    events
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
    let request = match fixture["request"].as_str() {
        Some(request) => format!("  \"request\": {},\n", json!(request)),
        None => String::new(),
    };
    format!(
        "{{\n  \"description\": {},\n{request}  \"chunks\": [\n{}\n  ],\n  \"events\": [\n{}\n  ]\n}}\n",
        fixture["description"],
        lines("chunks"),
        lines("events")
    )
}

/// The event types, in order.
fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or(""))
        .collect()
}

/// The terminal event's response.
fn last(events: &[Value]) -> &Value {
    &events.last().expect("events")["response"]
}

#[test]
fn text_streams_as_one_message() {
    let events = golden("stream-text.json");
    assert_eq!(
        kinds(&events),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed"
        ]
    );
    assert_eq!(
        last(&events)["usage"]["input_tokens_details"]["cached_tokens"],
        20
    );
}

#[test]
fn a_web_search_answer_streams_its_citations_on_the_done_events() {
    let events = golden("stream-search.json");
    let citation = json!([{"type": "url_citation", "url": "https://example.com/switchyard",
        "title": "Switchyard - a self-hosted LLM gateway", "start_index": 0, "end_index": 40}]);
    let find = |kind: &str| events.iter().find(|e| e["type"] == kind).expect(kind);
    assert!(
        find("response.output_text.done")
            .get("annotations")
            .is_none()
    );
    assert_eq!(
        find("response.content_part.done")["part"]["annotations"],
        citation
    );
    assert_eq!(
        find("response.output_item.done")["item"]["content"][0]["annotations"],
        citation
    );
    assert_eq!(
        last(&events)["output"][0]["content"][0]["annotations"],
        citation
    );
}

#[test]
fn citations_with_no_text_part_open_are_dropped() {
    let cite = json!({"annotations": [{"type": "url_citation", "url_citation":
        {"url": "https://a.test", "title": "A", "start_index": 0, "end_index": 1}}]});
    let chunks = [
        json!({"choices": [{"index": 0, "delta": cite}]}),
        json!({"choices": [{"index": 0, "delta": {"refusal": "No."}}]}),
        json!({"choices": [{"index": 0, "delta": cite}]}),
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c1",
            "function": {"name": "f", "arguments": "{}"}}]}}]}),
        json!({"choices": [{"index": 0, "delta": cite, "finish_reason": "tool_calls"}]}),
    ];
    let events = run(&chunks, 1);
    assert!(
        !pretty(&events).contains("https://a.test"),
        "{}",
        pretty(&events)
    );
}

#[test]
fn interleaved_tool_calls_stream_side_by_side() {
    let events = golden("stream-interleaved-tools.json");
    let output = &last(&events)["output"];
    assert_eq!(output[0]["arguments"], r#"{"city": "Paris"}"#);
    assert_eq!(output[1]["arguments"], r#"{"tz":"UTC"}"#);
}

#[test]
fn sequential_tool_calls_close_one_after_the_other() {
    let events = golden("stream-sequential-tools.json");
    let done: Vec<usize> = events
        .iter()
        .filter(|e| e["type"] == "response.output_item.done")
        .map(|e| e["output_index"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(done, [0, 1, 2]);
    let added_second = events
        .iter()
        .position(|e| e["type"] == "response.output_item.added" && e["output_index"] == 2);
    let done_first = events
        .iter()
        .position(|e| e["type"] == "response.output_item.done" && e["output_index"] == 1);
    assert!(done_first < added_second, "{}", pretty(&events));
    assert_eq!(last(&events)["output"][2]["arguments"], "{}");
}

#[test]
fn reasoning_then_text_then_a_tool() {
    let events = golden("stream-reasoning-text-tool.json");
    let output = &last(&events)["output"];
    assert_eq!(output[0]["summary"][0]["text"], "Let me think.");
    assert!(
        output[0]["encrypted_content"]
            .as_str()
            .unwrap()
            .contains("sig1")
    );
    assert_eq!(output[1]["content"][0]["text"], "I'll check.");
    assert_eq!(output[2]["name"], "shell_command");
    assert_eq!(
        last(&events)["usage"]["output_tokens_details"]["reasoning_tokens"],
        25
    );
}

#[test]
fn custom_tool_input_streams_decoded() {
    let events = golden("stream-custom-tool.json");
    let deltas: String = events
        .iter()
        .filter(|e| e["type"] == "response.custom_tool_call_input.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    let patch = "*** Begin Patch\n*** Add File: a.txt\n+café\n*** End Patch";
    assert_eq!(deltas, patch);
    assert_eq!(last(&events)["output"][1]["input"], patch);
    assert_eq!(last(&events)["output"][1]["type"], "custom_tool_call");
    assert_eq!(
        last(&events)["parallel_tool_calls"],
        false,
        "echoed from the request"
    );
}

#[test]
fn namespaced_and_tool_search_calls_stream() {
    let events = golden("stream-namespaced-search.json");
    let output = &last(&events)["output"];
    assert_eq!(output[0]["type"], "tool_search_call");
    assert_eq!(output[0]["arguments"], json!({"query": "slack"}));
    assert_eq!(
        (&output[1]["name"], &output[1]["namespace"]),
        (&json!("get_issue"), &json!("mcp__github__"))
    );
}

#[test]
fn an_empty_stream_completes_with_an_empty_message() {
    let events = golden("stream-empty.json");
    assert_eq!(last(&events)["status"], "completed");
    assert_eq!(last(&events)["output"][0]["content"][0]["text"], "");
    assert_eq!(last(&events)["usage"], Value::Null);
}

fn chunk(delta: Value, finish_reason: Option<&str>) -> Value {
    json!({"choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]})
}

#[test]
fn each_failure_ends_with_its_code() {
    let fixture = load("unit/stream-failures.json");
    for case in fixture["cases"].as_array().expect("cases") {
        let e = &case["error"];
        let error = ApiError {
            status: e["status"].as_u64().unwrap() as u16,
            message: e["message"].as_str().unwrap().into(),
            error_type: e["error_type"].as_str().unwrap().into(),
            param: None,
            code: e["code"].as_str().map(str::to_owned),
            retry_after: e["retry_after"].as_u64().map(|s| s as u32),
        };
        let events = run_failing(&[chunk(json!({"content": "partial"}), None)], &error);
        let response = last(&events);
        assert_eq!(events.last().unwrap()["type"], "response.failed");
        assert_eq!(
            response["error"],
            json!({"code": case["code"], "message": case["message"]}),
            "{case}"
        );
        assert_eq!(
            response["output"],
            json!([]),
            "the open message is not closed"
        );
    }
}

#[test]
fn failing_before_any_chunk_still_starts_the_stream() {
    let error = crate::error::bad_upstream("boom");
    let events = run_failing(&[], &error);
    assert_eq!(
        kinds(&events),
        [
            "response.created",
            "response.in_progress",
            "response.failed"
        ]
    );
}

#[test]
fn finish_reasons_end_the_stream_by_kind() {
    for (finish, kind, reason) in [
        ("stop", "response.completed", Value::Null),
        ("tool_calls", "response.completed", Value::Null),
        ("length", "response.incomplete", json!("max_output_tokens")),
        (
            "content_filter",
            "response.incomplete",
            json!("content_filter"),
        ),
    ] {
        let events = run(&[chunk(json!({"content": "x"}), Some(finish))], 1);
        assert_eq!(events.last().unwrap()["type"], kind, "{finish}");
        assert_eq!(last(&events)["incomplete_details"]["reason"], reason);
        let status = if reason.is_null() {
            "completed"
        } else {
            "incomplete"
        };
        assert_eq!(last(&events)["output"][0]["status"], status);
    }
}

#[test]
fn a_stream_cut_before_its_finish_fails() {
    let events = run(&[chunk(json!({"content": "half"}), None)], 1);
    let response = last(&events);
    assert_eq!(response["status"], "failed");
    assert_eq!(response["error"]["code"], "server_error");
    assert_eq!(
        response["error"]["message"],
        crate::error::TRUNCATED_MESSAGE
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
    assert_eq!(
        parse(&out).len(),
        5,
        "created, in progress, item, part, delta"
    );
    let error = converter.finish().unwrap_err();
    assert!(error.message.contains("overloaded"), "{}", error.message);
    let mut events = parse(&out);
    events.extend(parse(&converter.fail(&error)));
    validate(&events).unwrap();
    assert!(converter.fail(&error).is_empty(), "one terminal event only");

    let mut converter = Converter::new(&ctx());
    assert!(converter.push(&["{not json".to_owned()]).is_err());
}

#[test]
fn refusals_stream_as_a_refusal_part() {
    let events = run(
        &[
            chunk(json!({"content": "Well, "}), None),
            chunk(json!({"refusal": "I can't."}), Some("stop")),
        ],
        1,
    );
    assert_eq!(
        last(&events)["output"][0]["content"],
        json!([
            {"type": "output_text", "text": "Well, ", "annotations": [], "logprobs": []},
            {"type": "refusal", "refusal": "I can't."}
        ])
    );
    assert!(kinds(&events).contains(&"response.refusal.delta"));
}

#[test]
fn choices_other_than_the_first_are_ignored() {
    let chunks = [json!({"choices": [
        {"index": 1, "delta": {"content": "other"}, "finish_reason": null},
        {"index": 0, "delta": {"content": "mine"}, "finish_reason": "stop"}
    ]})];
    let events = run(&chunks, 1);
    assert_eq!(last(&events)["output"][0]["content"][0]["text"], "mine");
}

#[test]
fn thinking_blocks_alone_make_a_reasoning_item_without_summary() {
    let events = run(
        &[
            chunk(
                json!({"thinking_blocks": [{"type": "redacted_thinking", "data": "enc"}]}),
                None,
            ),
            chunk(json!({"content": "done"}), Some("stop")),
        ],
        1,
    );
    let reasoning = &last(&events)["output"][0];
    assert_eq!(reasoning["summary"], json!([]));
    assert!(
        reasoning["encrypted_content"]
            .as_str()
            .unwrap()
            .contains("enc")
    );
}

#[test]
fn every_event_is_numbered_and_responses_echo_the_defaults() {
    let events = run(&[chunk(json!({"content": "x"}), Some("stop"))], 1);
    for (n, event) in events.iter().enumerate() {
        assert_eq!(event["sequence_number"], n);
    }
    let created = &events[0]["response"];
    assert_eq!(created["id"], "resp_call1");
    assert_eq!(created["created_at"], 1_700_000_000);
    assert_eq!(created["usage"], Value::Null);
    assert_eq!(
        (&created["tools"], &created["tool_choice"]),
        (&json!([]), &json!("auto"))
    );
    assert_eq!(created["parallel_tool_calls"], true);
}
