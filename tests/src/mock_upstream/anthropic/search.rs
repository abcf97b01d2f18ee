//! The mock's Anthropic web search: the server tools a request may offer, checked as
//! the Messages API checks them, and `claude-search`, which answers like Claude after
//! a search Anthropic ran itself.
//!
//! `claude-search` needs a tool whose `type` starts with `web_search_` (and `name`
//! `web_search`); without one it answers the text [`NO_SEARCH_TEXT`] (whole or
//! streamed like any text answer). With one, it answers the shapes of
//! `tests/fixtures/anthropic/anthropic-web-search.response.json` (this call's id) and,
//! streamed, `anthropic-stream-web-search.sse` byte for byte: a `server_tool_use`
//! block (query `switchyard llm gateway`), a `web_search_tool_result` block with one
//! `web_search_result`, then a text block, [`SEARCH_TEXT`], with one
//! `web_search_result_location` citation (`https://example.com/switchyard`, title
//! `Switchyard: a self-hosted LLM gateway`); `stop_reason: end_turn`, usage with
//! `server_tool_use.web_search_requests: 1`.

use axum::response::Response;
use serde_json::Value;

use super::{Pacing, recorded_message, replay, text_answer};

/// What `claude-search` answers when no web search tool was offered.
pub const NO_SEARCH_TEXT: &str = "no web search tool was offered";
/// The text of `claude-search`'s answer after its search.
pub const SEARCH_TEXT: &str =
    "Switchyard is a self-hosted LLM gateway that serves OpenAI clients on any platform.";

const SEARCH_RESPONSE: &str =
    include_str!("../../../fixtures/anthropic/anthropic-web-search.response.json");
const SEARCH_STREAM: &str =
    include_str!("../../../fixtures/anthropic/anthropic-stream-web-search.sse");

/// The tool types the Messages API takes besides function tools (no `type`, or
/// `custom`): its versioned client and server tools. Any other `type` is refused.
const TOOL_TYPES: &[&str] = &[
    "custom",
    "bash_20250124",
    "code_execution_20250522",
    "code_execution_20250825",
    "computer_20250124",
    "memory_20250818",
    "text_editor_20250124",
    "text_editor_20250429",
    "text_editor_20250728",
    "web_fetch_20250910",
    "web_search_20250305",
    "web_search_20260209",
];

/// The 400 message for a `tools` entry the Messages API refuses: an unknown `type`, or
/// a web search tool whose `name` is not `web_search`, whose `max_uses` is below 1,
/// whose `user_location.type` is not `approximate`, or that sets both
/// `allowed_domains` and `blocked_domains`.
pub(super) fn check_tools(body: &Value) -> Result<(), String> {
    let tools = body
        .get("tools")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, tool) in tools.iter().enumerate() {
        let Some(kind) = tool.get("type").and_then(Value::as_str) else {
            continue;
        };
        if !TOOL_TYPES.contains(&kind) {
            let expected = TOOL_TYPES
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(format!(
                "tools.{i}: Input tag '{kind}' found using 'type' does not match any of the expected tags: {expected}"
            ));
        }
        if !kind.starts_with("web_search_") {
            continue;
        }
        if tool["name"] != "web_search" {
            return Err(format!(
                "tools.{i}.{kind}.name: Input should be 'web_search'"
            ));
        }
        if tool
            .get("max_uses")
            .is_some_and(|n| n.as_u64().is_none_or(|n| n < 1))
        {
            return Err(format!(
                "tools.{i}.{kind}.max_uses: Input should be greater than or equal to 1"
            ));
        }
        if let Some(location) = tool.get("user_location")
            && location["type"] != "approximate"
        {
            return Err(format!(
                "tools.{i}.{kind}.user_location.type: Input should be 'approximate'"
            ));
        }
        if tool.get("allowed_domains").is_some() && tool.get("blocked_domains").is_some() {
            return Err(format!(
                "tools.{i}.{kind}: Cannot specify both allowed_domains and blocked_domains"
            ));
        }
    }
    Ok(())
}

/// `claude-search`'s answer (module doc).
pub(super) fn answer(
    body: &Value,
    id: &str,
    model: &str,
    stream: bool,
    pacing: Pacing,
) -> Response {
    let offered = body
        .get("tools")
        .and_then(Value::as_array)
        .is_some_and(|tools| {
            tools.iter().any(|t| {
                t.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.starts_with("web_search_"))
            })
        });
    if !offered {
        let messages = body["messages"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        return text_answer(id, model, messages, NO_SEARCH_TEXT, stream, pacing);
    }
    if stream {
        replay(SEARCH_STREAM, pacing)
    } else {
        recorded_message(SEARCH_RESPONSE, id)
    }
}
