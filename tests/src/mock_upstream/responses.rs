//! `POST /v1/responses` on the mock: OpenAI's Responses API, as the real one answers
//! and refuses. The body's `model` picks the behaviour:
//!
//! | model | answer |
//! |---|---|
//! | `mock-echo` (and any other name) | a message `echo: <last user text>`; with `include: ["reasoning.encrypted_content"]`, a reasoning item before it |
//! | `mock-tools` | a `function_call` of the first function tool (`{"city":"Paris"}`); after a `function_call_output`, text quoting it |
//! | `mock-agent` | a coding agent's model: calls Codex's `exec_command` tool (`ls`); after its output, `The tool returned: <output>` |
//! | `mock-429` | 429 `rate_limit_exceeded` with `retry-after` |
//! | `mock-cut` | streamed: the text's first events, then the connection ends (no terminal event) |
//! | `mock-failed` | streamed: `response.failed` with `server_error` |
//!
//! What the real API refuses, the mock refuses the same way: `stream_options` and
//! `messages` (unknown parameters), a `previous_response_id` (this mock keeps nothing,
//! so every id is unknown to it, as an id the gateway made is to OpenAI), and a
//! reasoning input item without `encrypted_content` (not persisted when `store` is
//! false).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::MockState;
use super::wire;

/// Usage every answer reports: cached and reasoning tokens included.
fn usage() -> Value {
    json!({
        "input_tokens": 12,
        "input_tokens_details": { "cached_tokens": 4 },
        "output_tokens": 7,
        "output_tokens_details": { "reasoning_tokens": 3 },
        "total_tokens": 19,
    })
}

fn bad_request(message: &str, param: &str, code: &str) -> Response {
    wire::json_response(
        StatusCode::BAD_REQUEST,
        &json!({"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}),
    )
}

/// Answers one Responses request.
pub fn create(state: &MockState, body: &Value) -> Response {
    if let Some(refusal) = refuse(body) {
        return refusal;
    }
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if model == "mock-429" {
        return wire::fixture_error(wire::ERROR_429, Some(super::RETRY_AFTER_SECS));
    }
    let id = format!("resp_mock{:06}", state.next_id());
    let output = output(body, model, &id);
    let response = json!({
        "id": id,
        "object": "response",
        "created_at": wire::now_secs(),
        "status": "completed",
        "error": null,
        "incomplete_details": null,
        "instructions": body.get("instructions").cloned().unwrap_or(Value::Null),
        "model": model,
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "store": body.get("store").cloned().unwrap_or(Value::Bool(true)),
        "temperature": 1.0,
        "text": { "format": { "type": "text" } },
        "tool_choice": body.get("tool_choice").cloned().unwrap_or(json!("auto")),
        "tools": body.get("tools").cloned().unwrap_or(json!([])),
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage(),
        "metadata": {},
    });
    if !stream {
        return wire::json_response(StatusCode::OK, &response);
    }
    let events = stream_events(&response, model);
    let text: String = events
        .iter()
        .map(|event| {
            format!(
                "event: {}\ndata: {event}\n\n",
                event["type"].as_str().unwrap_or("")
            )
        })
        .collect();
    wire::paced_sse(
        &text,
        wire::Pacing::Events,
        "text/event-stream; charset=utf-8",
    )
}

/// The real API's refusals the gateway must never provoke.
fn refuse(body: &Value) -> Option<Response> {
    for unknown in ["stream_options", "messages"] {
        if body.get(unknown).is_some() {
            return Some(bad_request(
                &format!("Unknown parameter: '{unknown}'."),
                unknown,
                "unknown_parameter",
            ));
        }
    }
    if let Some(id) = body.get("previous_response_id").and_then(Value::as_str) {
        return Some(bad_request(
            &format!("Previous response with id '{id}' not found."),
            "previous_response_id",
            "previous_response_not_found",
        ));
    }
    if body.get("model").and_then(Value::as_str).is_none() {
        return Some(bad_request(
            "Missing required parameter: 'model'.",
            "model",
            "missing_required_parameter",
        ));
    }
    let items = body
        .get("input")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for item in items {
        if item.get("type").and_then(Value::as_str) == Some("reasoning")
            && item
                .get("encrypted_content")
                .and_then(Value::as_str)
                .is_none()
        {
            let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
            return Some(wire::json_response(
                StatusCode::NOT_FOUND,
                &json!({"error": {"message": format!("Item with id '{id}' not found. Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input."), "type": "invalid_request_error", "param": "input", "code": null}}),
            ));
        }
    }
    None
}

/// The last user text of the input (a string, or the last user message's text parts).
fn last_user_text(body: &Value) -> String {
    match body.get("input") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .rev()
            .find(|item| item.get("role").and_then(Value::as_str) == Some("user"))
            .map(|item| match item.get("content") {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Array(parts)) => parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(""),
                _ => String::new(),
            })
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn message(id: &str, text: &str) -> Value {
    json!({
        "type": "message",
        "id": format!("msg_{id}"),
        "status": "completed",
        "role": "assistant",
        "content": [{ "type": "output_text", "text": text, "annotations": [], "logprobs": [] }],
    })
}

fn output(body: &Value, model: &str, id: &str) -> Vec<Value> {
    let mut output = Vec::new();
    let encrypted = body
        .get("include")
        .and_then(Value::as_array)
        .is_some_and(|include| include.iter().any(|i| i == "reasoning.encrypted_content"));
    if encrypted {
        output.push(json!({
            "type": "reasoning",
            "id": format!("rs_{id}"),
            "summary": [{ "type": "summary_text", "text": "Thinking about it." }],
            "encrypted_content": "gAAAAmock-encrypted-reasoning",
        }));
    }
    let items = body
        .get("input")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if model == "mock-tools" || model == "mock-agent" {
        if let Some(result) = items
            .iter()
            .rev()
            .find(|i| i.get("type").and_then(Value::as_str) == Some("function_call_output"))
        {
            let said = result
                .get("output")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let text = if model == "mock-agent" {
                format!("The tool returned: {said}")
            } else {
                format!("the tool said: {said}")
            };
            output.push(message(id, &text));
            return output;
        }
        let first_function = body
            .get("tools")
            .and_then(Value::as_array)
            .and_then(|tools| {
                tools
                    .iter()
                    .find(|t| t.get("type") == Some(&json!("function")))
            })
            .and_then(|t| t.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("get_weather");
        let (tool, arguments) = match model {
            "mock-agent" => super::agent::TOOLS[1],
            _ => (first_function, r#"{"city":"Paris"}"#),
        };
        output.push(json!({
            "type": "function_call",
            "id": format!("fc_{id}"),
            "call_id": format!("call_{id}"),
            "name": tool,
            "arguments": arguments,
            "status": "completed",
        }));
        return output;
    }
    output.push(message(id, &format!("echo: {}", last_user_text(body))));
    output
}

/// The events OpenAI streams for `response`, numbered; cut or failed as the model says.
fn stream_events(response: &Value, model: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut started = response.clone();
    started["status"] = json!("in_progress");
    started["output"] = json!([]);
    started["usage"] = Value::Null;
    events.push(json!({ "type": "response.created", "response": started }));
    events.push(json!({ "type": "response.in_progress", "response": started }));
    if model == "mock-failed" {
        let mut failed = started.clone();
        failed["status"] = json!("failed");
        failed["error"] = json!({ "code": "server_error", "message": wire::SERVER_ERROR_MESSAGE });
        events.push(json!({ "type": "response.failed", "response": failed }));
        return numbered(events);
    }
    let output = response["output"].as_array().cloned().unwrap_or_default();
    for (index, item) in output.iter().enumerate() {
        let item_id = item["id"].clone();
        let mut added = item.clone();
        match item["type"].as_str() {
            Some("message") => {
                added["status"] = json!("in_progress");
                added["content"] = json!([]);
                events.push(json!({ "type": "response.output_item.added", "output_index": index, "item": added }));
                let text = item["content"][0]["text"].as_str().unwrap_or_default();
                let part =
                    json!({ "type": "output_text", "text": "", "annotations": [], "logprobs": [] });
                events.push(json!({ "type": "response.content_part.added", "item_id": item_id, "output_index": index, "content_index": 0, "part": part }));
                let mid = text
                    .char_indices()
                    .nth(text.chars().count() / 2)
                    .map_or(0, |(i, _)| i);
                for delta in [&text[..mid], &text[mid..]] {
                    events.push(json!({ "type": "response.output_text.delta", "item_id": item_id, "output_index": index, "content_index": 0, "delta": delta, "logprobs": [] }));
                }
                if model == "mock-cut" {
                    return numbered(events);
                }
                events.push(json!({ "type": "response.output_text.done", "item_id": item_id, "output_index": index, "content_index": 0, "text": text, "logprobs": [] }));
                events.push(json!({ "type": "response.content_part.done", "item_id": item_id, "output_index": index, "content_index": 0, "part": item["content"][0] }));
            }
            Some("function_call") => {
                added["status"] = json!("in_progress");
                added["arguments"] = json!("");
                events.push(json!({ "type": "response.output_item.added", "output_index": index, "item": added }));
                let arguments = item["arguments"].as_str().unwrap_or_default();
                events.push(json!({ "type": "response.function_call_arguments.delta", "item_id": item_id, "output_index": index, "delta": arguments }));
                events.push(json!({ "type": "response.function_call_arguments.done", "item_id": item_id, "output_index": index, "arguments": arguments }));
            }
            _ => {
                events.push(json!({ "type": "response.output_item.added", "output_index": index, "item": added }));
            }
        }
        events.push(
            json!({ "type": "response.output_item.done", "output_index": index, "item": item }),
        );
    }
    events.push(json!({ "type": "response.completed", "response": response }));
    numbered(events)
}

/// Each event with its `sequence_number`, from 0.
fn numbered(events: Vec<Value>) -> Vec<Value> {
    events
        .into_iter()
        .enumerate()
        .map(|(n, mut event)| {
            event["sequence_number"] = json!(n);
            event
        })
        .collect()
}
