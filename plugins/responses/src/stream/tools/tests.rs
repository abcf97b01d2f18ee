use serde_json::{Value, json};

use crate::fixtures::run;

fn chunk(delta: Value, finish_reason: Option<&str>) -> Value {
    json!({"choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]})
}

/// The terminal event's response.
fn last(events: &[Value]) -> &Value {
    &events.last().expect("events")["response"]
}

#[test]
fn text_after_a_tool_call_closes_it_and_opens_a_second_message() {
    let events = run(
        &[
            chunk(json!({"content": "a"}), None),
            chunk(
                json!({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{}"}}]}),
                None,
            ),
            chunk(json!({"content": "b"}), Some("stop")),
        ],
        1,
    );
    let ids: Vec<&Value> = last(&events)["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(
        ids,
        [
            &json!("msg_call1"),
            &json!("fc_call1_0"),
            &json!("msg_call1_1")
        ]
    );
}

#[test]
fn a_fragment_for_a_closed_tool_call_is_an_error() {
    let events = run(
        &[
            chunk(
                json!({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}}]}),
                None,
            ),
            chunk(json!({"content": "text"}), None),
            chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"late\":1}"}}]}),
                None,
            ),
        ],
        1,
    );
    assert_eq!(last(&events)["status"], "failed");
    let done: Vec<&Value> = last(&events)["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["type"])
        .collect();
    assert_eq!(
        done,
        [&json!("function_call"), &json!("message")],
        "what was done stays"
    );
}

#[test]
fn tool_calls_without_index_or_name_at_first() {
    let events = run(
        &[
            chunk(
                json!({"tool_calls": [{"id": "a", "function": {"arguments": "{\"n\":"}}]}),
                None,
            ),
            chunk(
                json!({"tool_calls": [{"function": {"name": "f", "arguments": "1}"}}]}),
                None,
            ),
            chunk(
                json!({"tool_calls": [{"id": "b", "function": {"name": "g", "arguments": "{}"}}]}),
                None,
            ),
            chunk(json!({}), Some("tool_calls")),
        ],
        1,
    );
    let output = &last(&events)["output"];
    assert_eq!(
        (&output[0]["call_id"], &output[0]["arguments"]),
        (&json!("a"), &json!("{\"n\":1}"))
    );
    assert_eq!(output[1]["call_id"], "b");
}
