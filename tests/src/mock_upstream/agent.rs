//! `mock-agent`: the model behind a coding agent (Claude Code through the gateway's
//! Messages translation, Codex through its Responses translation). It calls the
//! client's own tool once, as a real model would (a tool call streamed as id and name
//! first, then the arguments): Claude Code's `Glob` for `*.md`, or Codex's
//! `exec_command` running `ls`. After the tool's result it answers with text quoting
//! it. Without either tool on offer it says so in text.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::chat::{Ask, message_text, text_answer};
use super::wire;

/// The tools the mock knows how to call (the first one offered wins), with arguments.
pub(super) const TOOLS: &[(&str, &str)] = &[
    ("Glob", r#"{"pattern":"*.md"}"#),
    ("exec_command", r#"{"cmd":"ls"}"#),
];

/// Answers one chat request of the agent.
pub(super) fn answer(ask: &Ask<'_>, body: &Value, messages: &[Value]) -> Response {
    let last = messages.last();
    if last.and_then(|m| m.get("role")).and_then(Value::as_str) == Some("tool") {
        let result = last.map(message_text).unwrap_or_default();
        return text_answer(ask, messages, &format!("The tool returned: {result}"));
    }
    let offered: Vec<&str> = body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tool| tool.pointer("/function/name").and_then(Value::as_str))
        .collect();
    let Some(&(tool, arguments)) = TOOLS.iter().find(|(name, _)| offered.contains(name)) else {
        return text_answer(ask, messages, "no Glob or exec_command tool was offered");
    };
    let call_id = format!("call_{}", ask.id);
    let usage = wire::chat_usage(120, 9);
    if !ask.stream {
        return wire::json_response(
            StatusCode::OK,
            &json!({
                "id": ask.id, "object": "chat.completion", "created": wire::now_secs(),
                "model": ask.model,
                "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                    "role": "assistant", "content": null,
                    "tool_calls": [{"id": call_id, "type": "function",
                        "function": {"name": tool, "arguments": arguments}}]}}],
                "usage": usage,
            }),
        );
    }
    let chunk = |delta: Value, finish: Value| {
        json!({
            "id": ask.id, "object": "chat.completion.chunk", "created": wire::now_secs(),
            "model": ask.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        })
        .to_string()
    };
    let mut payloads = vec![
        chunk(
            json!({"role": "assistant", "content": null, "tool_calls": [{"index": 0,
                "id": call_id, "type": "function", "function": {"name": tool, "arguments": ""}}]}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": arguments}}]}),
            Value::Null,
        ),
        chunk(json!({}), json!("tool_calls")),
    ];
    if ask.include_usage {
        payloads.push(
            json!({"id": ask.id, "object": "chat.completion.chunk", "created": wire::now_secs(),
                "model": ask.model, "choices": [], "usage": usage})
            .to_string(),
        );
    }
    wire::sse_response(payloads, true)
}
