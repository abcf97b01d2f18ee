//! Tool calls: asked for whole and streamed, and the tool's result sent back.

use std::collections::BTreeMap;

use e2e::checks::completion_text;
use e2e::platforms::Target;
use e2e::sse::ChatStream;
use serde_json::{Value, json};

/// What the tool answers; the follow-up answer must use it.
const RESULT: &str = "72 degrees and sunny";

/// A question with one declared tool.
fn weather_request(model: &str) -> Value {
    json!({
        "model": model,
        "messages": [{"role": "user", "content": "What is the weather like in Boston today?"}],
        "tools": [{"type": "function", "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {"type": "object",
                "properties": {"location": {"type": "string"}},
                "required": ["location"]}
        }}]
    })
}

/// Arguments are JSON text of an object, as OpenAI sends them.
fn check_arguments(adapter: &str, arguments: &str) {
    let parsed: Value = serde_json::from_str(arguments)
        .unwrap_or_else(|err| panic!("{adapter}: arguments are JSON text: {err}: {arguments}"));
    assert!(
        parsed.is_object(),
        "{adapter}: arguments are a JSON object: {arguments}"
    );
}

/// How many deltas of each call (by index) carried an id, and how many a name.
fn heads_per_call(events: &ChatStream) -> BTreeMap<u64, (usize, usize)> {
    let mut heads: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    for chunk in events.chunks() {
        let deltas = chunk
            .pointer("/choices/0/delta/tool_calls")
            .and_then(Value::as_array);
        for delta in deltas.into_iter().flatten() {
            let count = heads
                .entry(delta["index"].as_u64().unwrap_or(0))
                .or_default();
            count.0 += usize::from(delta.get("id").is_some_and(|id| !id.is_null()));
            count.1 += usize::from(
                delta
                    .pointer("/function/name")
                    .is_some_and(|n| !n.is_null()),
            );
        }
    }
    heads
}

/// A tool call whole (`finish_reason: tool_calls`, each call with an id, a name and
/// JSON arguments), the same streamed (id and name once per call, then arguments),
/// and the tool's result answered.
pub async fn tools(target: Target) {
    let a = target.adapter;
    let (_mock, gateway) = target
        .start(&["tools"])
        .await
        .expect("mock and gateway start");
    let request = weather_request(&target.model("tools"));

    let answer = gateway
        .complete(&request)
        .await
        .unwrap_or_else(|err| panic!("{a}: a 200 completion: {err:#}"));
    let choice = &answer["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls", "{a}: {answer}");
    let message = &choice["message"];
    let calls = message["tool_calls"]
        .as_array()
        .filter(|calls| !calls.is_empty())
        .unwrap_or_else(|| panic!("{a}: the answer asks for a tool: {answer}"));
    for call in calls {
        assert_eq!(call["type"], "function", "{a}: {call}");
        assert!(
            call["id"].as_str().is_some_and(|id| !id.is_empty()),
            "{a}: a call has an id to answer: {call}"
        );
        assert!(
            call["function"]["name"]
                .as_str()
                .is_some_and(|n| !n.is_empty()),
            "{a}: a call names its function: {call}"
        );
        let arguments = call["function"]["arguments"]
            .as_str()
            .unwrap_or_else(|| panic!("{a}: arguments are a string: {call}"));
        check_arguments(a, arguments);
    }

    let events = gateway
        .stream(&request)
        .await
        .unwrap_or_else(|err| panic!("{a}: a 200 event stream: {err:#}"));
    let items = &events.items;
    assert!(events.errors().is_empty(), "{a}: {items:?}");
    assert!(events.ends_with_done(), "{a}: {items:?}");
    assert_eq!(
        events.finish_reason().as_deref(),
        Some("tool_calls"),
        "{a}: {items:?}"
    );
    let streamed = events.tool_calls();
    assert!(
        !streamed.is_empty(),
        "{a}: the stream asks for a tool: {items:?}"
    );
    for (id, name, arguments) in &streamed {
        assert!(!id.is_empty() && !name.is_empty(), "{a}: {streamed:?}");
        check_arguments(a, arguments);
    }
    for (index, (ids, names)) in heads_per_call(&events) {
        assert_eq!(
            (ids, names),
            (1, 1),
            "{a}: call {index} sends its id and name once, in its first delta: {items:?}"
        );
    }

    let mut follow_up = request.clone();
    let messages = follow_up["messages"].as_array_mut().expect("messages");
    messages.push(json!({
        "role": "assistant",
        "content": message["content"],
        "tool_calls": calls
    }));
    for call in calls {
        messages.push(json!({"role": "tool", "tool_call_id": call["id"], "content": RESULT}));
    }
    let answer = gateway
        .complete(&follow_up)
        .await
        .unwrap_or_else(|err| panic!("{a}: the tool's result is accepted: {err:#}"));
    assert!(
        completion_text(&answer).is_some_and(|text| text.contains(RESULT)),
        "{a}: the answer uses the tool's result: {answer}"
    );
    assert_eq!(
        answer["choices"][0]["finish_reason"], "stop",
        "{a}: {answer}"
    );
}
