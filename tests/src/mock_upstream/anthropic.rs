//! The mock's Anthropic Messages API (`POST /v1/messages`), answering like the real API
//! from the request and the recorded shapes in `tests/fixtures/anthropic`.
//!
//! Checks `x-api-key` (must be [`MOCK_API_KEY`](super::MOCK_API_KEY)) and
//! `anthropic-version`, and validates the body strictly (the older API's rules):
//! `max_tokens` required, roles alternating from `user`, no empty text blocks, every
//! `tool_use` answered by a `tool_result` in the next user turn, no tool `type` the API
//! does not know and well-formed web search tools ([`search::check_tools`]); and each
//! generation's own refusals by model name (sampling settings and budget thinking on Opus 4.7 and
//! later, adaptive thinking before 4.6, efforts a model lacks).
//!
//! The body's `model` picks the behaviour:
//!
//! | model | answer |
//! |---|---|
//! | `claude-echo` (and any other name) | `echo: <last user text>` |
//! | `claude-agent` | a coding agent's model (Codex through the Responses translation): calls `exec_command` with `{"cmd":"ls"}`; after its result, `The tool returned: <result>` |
//! | `claude-tools` | the recorded `get_weather` tool call (streamed: `anthropic-stream-tool.sse`); after a tool result, `The tool returned: <result>` |
//! | `claude-text-tool` | streamed: `anthropic-stream-text-tool.sse` (text block, then `tool_use` at index 1) |
//! | `claude-thinking` | streamed: `anthropic-stream-thinking.sse`; not streamed: thinking + text |
//! | `claude-search` | with a `web_search_*` server tool offered: a `server_tool_use`, a `web_search_tool_result` with one result, then the text `Switchyard is a self-hosted LLM gateway that serves OpenAI clients on any platform.` citing `https://example.com/switchyard` (`anthropic-web-search.response.json`; streamed: `anthropic-stream-web-search.sse`); without: the text `no web search tool was offered` ([`search`]) |
//! | `claude-midstream-error` | streamed: some text, then `event: error` (overloaded); not streamed: 529 |
//! | `claude-400` / `-401` / `-403` / `-404` / `-413` / `-429` / `-500` / `-529` | that error (429 with `retry-after: 7`) |
//!
//! A `-bytewise` suffix on a model sends a stream one byte per write; `-split` sends
//! it cut at pseudo-random byte boundaries.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::{MOCK_API_KEY, PlatformRequest, wire};

pub mod search;

/// Seconds the `claude-429` answer asks the client to wait.
pub const RETRY_AFTER_SECS: u32 = 7;

const ERROR_400: &str = include_str!("../../fixtures/anthropic/anthropic-error-400.json");
const ERROR_429: &str = include_str!("../../fixtures/anthropic/anthropic-error-429.json");
const ERROR_529: &str = include_str!("../../fixtures/anthropic/anthropic-error-529.json");
const TOOL_RESPONSE: &str = include_str!("../../fixtures/anthropic/anthropic-tool.response.json");
const TOOL_STREAM: &str = include_str!("../../fixtures/anthropic/anthropic-stream-tool.sse");
const TEXT_TOOL_STREAM: &str =
    include_str!("../../fixtures/anthropic/anthropic-stream-text-tool.sse");
const THINKING_STREAM: &str =
    include_str!("../../fixtures/anthropic/anthropic-stream-thinking.sse");
const ERROR_STREAM: &str = include_str!("../../fixtures/anthropic/anthropic-stream-error.sse");
const RATE_LIMIT_HEADERS: &str =
    include_str!("../../fixtures/anthropic/anthropic-ratelimit-headers.txt");

/// Pause between two writes of a stream.
const EVENT_GAP: Duration = Duration::from_millis(2);

/// Whether this module answers `uri`.
pub fn matches(uri: &Uri) -> bool {
    matches!(uri.path(), "/v1/messages" | COUNT_TOKENS_PATH)
}

/// Anthropic's token-counting endpoint.
const COUNT_TOKENS_PATH: &str = "/v1/messages/count_tokens";

/// `{"input_tokens": n}` for a count request: `model` and `messages` required (no
/// `max_tokens`), the mock's count being one token per three bytes of the messages.
fn count_tokens(body: &Value) -> Response {
    if body.get("model").and_then(Value::as_str).is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "model: Field required",
        );
    }
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "messages: Field required",
        );
    };
    let bytes = serde_json::to_string(messages).map_or(0, |s| s.len());
    wire::json_response(StatusCode::OK, &json!({ "input_tokens": bytes / 3 }))
}

/// Answers a request [`matches`] accepted.
pub async fn answer(request: PlatformRequest<'_>) -> Response {
    if request.method != Method::POST {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request_error",
            "Method Not Allowed",
        );
    }
    let key = request
        .headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok());
    if key != Some(MOCK_API_KEY) {
        return error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid x-api-key",
        );
    }
    if request.headers.get("anthropic-version").is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "anthropic-version: header is required",
        );
    }
    let Ok(body) = request.body else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "There was an issue with your request body: invalid JSON",
        );
    };
    if request.uri.path() == COUNT_TOKENS_PATH {
        return count_tokens(body);
    }
    if let Err(message) = validate(body) {
        return error(StatusCode::BAD_REQUEST, "invalid_request_error", &message);
    }
    let full_model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("claude-echo");
    let (model, pacing) = match full_model {
        m if m.ends_with("-bytewise") => (m.trim_end_matches("-bytewise"), Pacing::Bytewise),
        m if m.ends_with("-split") => (m.trim_end_matches("-split"), Pacing::Split),
        m => (m, Pacing::Events),
    };
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let id = format!("msg_mock{:06}", request.state.next_id());
    let messages = body["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let last_tool_result = messages
        .last()
        .and_then(|m| m["content"].as_array())
        .and_then(|blocks| blocks.iter().find(|b| b["type"] == "tool_result"))
        .map(block_text);
    match (model, stream) {
        ("claude-400", _) => wire::fixture_error(ERROR_400, None),
        ("claude-401", _) => error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid x-api-key",
        ),
        ("claude-403", _) => error(
            StatusCode::FORBIDDEN,
            "permission_error",
            "Your API key does not have permission to use the specified resource.",
        ),
        ("claude-404", _) => error(
            StatusCode::NOT_FOUND,
            "not_found_error",
            &format!("model: {full_model}"),
        ),
        ("claude-413", _) => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            "Request exceeds the maximum allowed number of bytes.",
        ),
        ("claude-429", _) => wire::fixture_error(ERROR_429, Some(RETRY_AFTER_SECS)),
        ("claude-500", _) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "Internal server error",
        ),
        ("claude-529", _) | ("claude-midstream-error", false) => {
            wire::fixture_error(ERROR_529, None)
        }
        ("claude-midstream-error", true) => midstream_error(&id, pacing),
        ("claude-tools" | "claude-agent", _) if last_tool_result.is_some() => {
            let text = format!(
                "The tool returned: {}",
                last_tool_result.unwrap_or_default()
            );
            text_answer(&id, model, messages, &text, stream, pacing)
        }
        ("claude-agent", _) => agent_call(&id, model, stream, pacing),
        ("claude-tools", false) => recorded_message(TOOL_RESPONSE, &id),
        ("claude-tools", true) => replay(TOOL_STREAM, pacing),
        ("claude-text-tool", true) => replay(TEXT_TOOL_STREAM, pacing),
        ("claude-text-tool", false) => message(
            &id,
            model,
            json!([
                {"type": "text", "text": "I'll check the current weather in Paris for you."},
                {"type": "tool_use", "id": "toolu_01NRLabsLyVHZPKxbKvkfSMn", "name": "get_weather", "input": {"location": "Paris"}}
            ]),
            "tool_use",
            377,
            65,
        ),
        ("claude-search", _) => search::answer(body, &id, model, stream, pacing),
        ("claude-thinking", true) => replay(THINKING_STREAM, pacing),
        ("claude-thinking", false) => message(
            &id,
            model,
            json!([
                {"type": "thinking", "thinking": "The user is asking about the weather.", "signature": "EsgDCkYIBxgC"},
                {"type": "text", "text": "I don't have access to real-time weather."}
            ]),
            "end_turn",
            47,
            264,
        ),
        _ => {
            let text = format!("echo: {}", last_user_text(messages));
            text_answer(&id, model, messages, &text, stream, pacing)
        }
    }
}

/// How a stream is written.
#[derive(Clone, Copy)]
enum Pacing {
    /// One event per write.
    Events,
    /// One byte per write.
    Bytewise,
    /// Pseudo-random cuts.
    Split,
}

/// The body rules of the Messages API (strict: the older API's alternation rules).
fn validate(body: &Value) -> Result<(), String> {
    if !body.get("max_tokens").is_some_and(Value::is_u64) {
        return Err("max_tokens: Field required".into());
    }
    if body.get("model").and_then(Value::as_str).is_none() {
        return Err("model: Field required".into());
    }
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return Err("messages: Field required".into());
    };
    if let Some(temperature) = body.get("temperature").and_then(Value::as_f64)
        && !(0.0..=1.0).contains(&temperature)
    {
        return Err("temperature: Input should be less than or equal to 1".into());
    }
    model_rules(body)?;
    search::check_tools(body)?;
    let mut pending_tools: Vec<String> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let role = message["role"].as_str().unwrap_or("");
        let expected = if i % 2 == 0 { "user" } else { "assistant" };
        if i == 0 && role != "user" {
            return Err("messages: first message must use the \"user\" role".into());
        }
        if role != expected {
            return Err(format!(
                "messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"{role}\" roles in a row"
            ));
        }
        let blocks: Vec<Value> = match &message["content"] {
            Value::String(text) => vec![json!({"type": "text", "text": text})],
            Value::Array(blocks) => blocks.clone(),
            _ => {
                return Err(format!(
                    "messages.{i}.content: Input should be a valid list"
                ));
            }
        };
        for (j, block) in blocks.iter().enumerate() {
            if block["type"] == "text" && block["text"].as_str().is_none_or(str::is_empty) {
                return Err(format!(
                    "messages.{i}.content.{j}.text: text content blocks must be non-empty"
                ));
            }
        }
        if !pending_tools.is_empty() {
            let answered: Vec<&str> = blocks
                .iter()
                .filter(|b| b["type"] == "tool_result")
                .filter_map(|b| b["tool_use_id"].as_str())
                .collect();
            if let Some(missing) = pending_tools
                .iter()
                .find(|id| !answered.contains(&id.as_str()))
            {
                return Err(format!(
                    "messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: {missing}. Each `tool_use` block must have a corresponding `tool_result` block in the next message."
                ));
            }
        }
        pending_tools = blocks
            .iter()
            .filter(|b| b["type"] == "tool_use")
            .filter_map(|b| b["id"].as_str().map(str::to_owned))
            .collect();
    }
    Ok(())
}

/// What each Claude generation refuses, as the real API answers it: Opus 4.7 and later
/// (and Mythos, Claude 5) take no sampling settings and think only adaptively; Opus and
/// Sonnet 4.6 think either way; older models only by budget. Efforts: `xhigh` from
/// Opus 4.7, `max` from 4.6.
fn model_rules(body: &Value) -> Result<(), String> {
    let model = body["model"].as_str().unwrap_or_default().replace('.', "-");
    let is = |families: &[&str]| families.iter().any(|f| model.contains(f));
    let adaptive_only = is(&["opus-4-7", "opus-4-8", "mythos", "opus-5", "sonnet-5"]);
    let adaptive = adaptive_only || is(&["opus-4-6", "sonnet-4-6"]);
    if adaptive_only {
        for setting in ["temperature", "top_p", "top_k"] {
            if body.get(setting).is_some() {
                return Err(format!("`{setting}` is deprecated for this model."));
            }
        }
    }
    let thinking = body["thinking"]["type"].as_str();
    match thinking {
        Some("enabled") if adaptive_only => {
            return Err("\"thinking.type.enabled\" is not supported for this model. Use \"thinking.type.adaptive\" and \"output_config.effort\" to control thinking behavior.".into());
        }
        Some("enabled") => {
            let budget = body["thinking"]["budget_tokens"].as_u64().unwrap_or(0);
            let max = body["max_tokens"].as_u64().unwrap_or(0);
            if budget < 1024 {
                return Err(
                    "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
                        .into(),
                );
            }
            if budget >= max {
                return Err("`max_tokens` must be greater than `thinking.budget_tokens`".into());
            }
        }
        Some("adaptive") if !adaptive => {
            return Err("thinking.type: adaptive thinking is not supported on this model".into());
        }
        _ => {}
    }
    // With thinking on, the assistant turn of a tool loop (the last one, answered by
    // tool results) must start with the thinking block it was answered with.
    let messages = body["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if matches!(thinking, Some("enabled" | "adaptive"))
        && let Some(at) = messages.iter().rposition(|m| m["role"] == "assistant")
        && messages[at]["content"]
            .as_array()
            .is_some_and(|blocks| blocks.iter().any(|b| b["type"] == "tool_use"))
    {
        let first = messages[at]["content"][0]["type"]
            .as_str()
            .unwrap_or("nothing");
        if first != "thinking" && first != "redacted_thinking" {
            return Err(format!(
                "messages.{at}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{first}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks)."
            ));
        }
    }
    if matches!(thinking, Some("enabled" | "adaptive"))
        && ["temperature", "top_p", "top_k"]
            .iter()
            .any(|s| body.get(*s).is_some())
    {
        return Err("`temperature`, `top_p` and `top_k` are not compatible with thinking".into());
    }
    if let Some(effort) = body["output_config"]["effort"].as_str() {
        let accepted: &[&str] = if adaptive_only {
            &["low", "medium", "high", "xhigh", "max"]
        } else if adaptive {
            &["low", "medium", "high", "max"]
        } else {
            &["low", "medium", "high"]
        };
        if !accepted.contains(&effort) {
            return Err(format!(
                "output_config.effort: Input should be {}",
                accepted.join(", ")
            ));
        }
    }
    Ok(())
}

/// An Anthropic error answer.
fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    wire::json_response(
        status,
        &json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_mock"}),
    )
}

/// A recorded message with this call's id, without the beta-only `caller` fields.
fn recorded_message(fixture: &str, id: &str) -> Response {
    let Ok(mut body) = serde_json::from_str::<Value>(fixture) else {
        return wire::broken_fixture("anthropic message fixture is not JSON");
    };
    body["id"] = json!(id);
    if let Some(blocks) = body["content"].as_array_mut() {
        for block in blocks.iter_mut().filter_map(Value::as_object_mut) {
            block.remove("caller");
        }
    }
    with_rate_limit_headers(wire::json_response(StatusCode::OK, &body))
}

/// A message with the given content blocks.
fn message(id: &str, model: &str, content: Value, stop: &str, input: u64, output: u64) -> Response {
    let body = json!({
        "id": id, "type": "message", "role": "assistant", "model": model,
        "content": content, "stop_reason": stop, "stop_sequence": null,
        "usage": usage(input, output)
    });
    with_rate_limit_headers(wire::json_response(StatusCode::OK, &body))
}

fn usage(input: u64, output: u64) -> Value {
    json!({
        "input_tokens": input, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output, "service_tier": "standard"
    })
}

/// A text answer, whole or streamed like the recordings (with a `ping`).
fn text_answer(
    id: &str,
    model: &str,
    messages: &[Value],
    text: &str,
    stream: bool,
    pacing: Pacing,
) -> Response {
    let input = messages
        .iter()
        .map(|m| 3 + words(&message_text(m)))
        .sum::<u64>()
        + 3;
    let output = words(text).max(1);
    if !stream {
        return message(
            id,
            model,
            json!([{"type": "text", "text": text}]),
            "end_turn",
            input,
            output,
        );
    }
    let mut start_usage = usage(input, 1);
    start_usage["output_tokens"] = json!(1);
    let mut events = vec![
        (
            "message_start",
            json!({"type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null, "usage": start_usage}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        ("ping", json!({"type": "ping"})),
    ];
    events.extend(text.split_inclusive(' ').map(|piece| {
        ("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}))
    }));
    events.push((
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    ));
    events.push((
        "message_delta",
        json!({"type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": null},
        "usage": {"output_tokens": output}}),
    ));
    events.push(("message_stop", json!({"type": "message_stop"})));
    sse(&encode(&events), pacing)
}

/// A call of Codex's `exec_command` tool, whole or streamed as Anthropic streams tool use.
fn agent_call(id: &str, model: &str, stream: bool, pacing: Pacing) -> Response {
    let (name, arguments) = super::agent::TOOLS[1];
    let input: Value = serde_json::from_str(arguments).unwrap_or_default();
    let tool_id = format!("toolu_{id}");
    if !stream {
        return message(
            id,
            model,
            json!([{"type": "tool_use", "id": tool_id, "name": name, "input": input}]),
            "tool_use",
            120,
            9,
        );
    }
    let events = [
        (
            "message_start",
            json!({"type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null, "usage": usage(120, 1)}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "tool_use", "id": tool_id, "name": name, "input": {}}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": arguments}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": null},
            "usage": {"output_tokens": 9}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ];
    sse(&encode(&events), pacing)
}

/// Text, then `event: error` (overloaded) after the 200.
fn midstream_error(id: &str, pacing: Pacing) -> Response {
    let events = [
        (
            "message_start",
            json!({"type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": "claude-midstream-error",
            "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage(10, 1)}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Partial"}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " answer"}}),
        ),
    ];
    let mut text = encode(&events);
    text.push_str(ERROR_STREAM);
    sse(&text, pacing)
}

/// A recorded transcript, byte for byte.
fn replay(fixture: &str, pacing: Pacing) -> Response {
    sse(fixture, pacing)
}

fn encode(events: &[(&str, Value)]) -> String {
    events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}

/// A `text/event-stream` response writing `text` in pieces chosen by `pacing`.
fn sse(text: &str, pacing: Pacing) -> Response {
    let bytes = text.as_bytes();
    let pieces: Vec<Bytes> = match pacing {
        Pacing::Events => text
            .split_inclusive("\n\n")
            .map(|event| Bytes::copy_from_slice(event.as_bytes()))
            .collect(),
        Pacing::Bytewise => bytes
            .iter()
            .map(|b| Bytes::copy_from_slice(&[*b]))
            .collect(),
        Pacing::Split => {
            // A fixed linear congruential sequence: cuts that differ from event
            // boundaries, the same on every run.
            let (mut pieces, mut start, mut seed) = (Vec::new(), 0usize, 0x2545_f491_u32);
            while start < bytes.len() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let len = 1 + (seed >> 16) as usize % 97;
                let end = (start + len).min(bytes.len());
                pieces.push(Bytes::copy_from_slice(&bytes[start..end]));
                start = end;
            }
            pieces
        }
    };
    let gap = match pacing {
        Pacing::Bytewise => Duration::ZERO,
        _ => EVENT_GAP,
    };
    let stream = futures_util::stream::iter(pieces).then(move |piece| async move {
        if !gap.is_zero() {
            tokio::time::sleep(gap).await;
        }
        Ok::<_, Infallible>(piece)
    });
    let mut response = with_rate_limit_headers(Response::new(Body::from_stream(stream)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    response
}

/// Adds the recorded `anthropic-ratelimit-*` headers of a 200.
fn with_rate_limit_headers(mut response: Response) -> Response {
    for line in RATE_LIMIT_HEADERS.lines() {
        let Some((name, value)) = line.split_once(": ") else {
            continue;
        };
        if !name.starts_with("anthropic-ratelimit-") {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::try_from(name),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// The text of the last user turn's text blocks (tool results excluded).
fn last_user_text(messages: &[Value]) -> String {
    messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .map(|m| match &m["content"] {
            Value::String(text) => text.clone(),
            Value::Array(blocks) => blocks
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join(" "),
            _ => String::new(),
        })
        .unwrap_or_default()
}

/// All the text of a message, for token counts.
fn message_text(message: &Value) -> String {
    match &message["content"] {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks.iter().map(block_text).collect::<Vec<_>>().join(" "),
        _ => String::new(),
    }
}

/// The text of a block: `text`, or a `tool_result`'s content (string or text blocks).
fn block_text(block: &Value) -> String {
    match (&block["text"], &block["content"]) {
        (Value::String(text), _) | (_, Value::String(text)) => text.clone(),
        (_, Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn words(text: &str) -> u64 {
    u64::try_from(text.split_whitespace().count()).unwrap_or(u64::MAX)
}
