//! A complete Anthropic answer → an OpenAI `chat.completion` (or an OpenAI error for a
//! non-2xx answer).
//!
//! Text blocks are concatenated into `content`, `tool_use` blocks become `tool_calls`
//! (their `input` serialized as the `arguments` string), `thinking` blocks become
//! `reasoning_content`; `stop_reason` becomes `finish_reason` ([`finish_reason`]).
//! A web search's `server_tool_use` and `web_search_tool_result` blocks (and any other
//! block type this adapter does not know) are skipped, never turned into tool calls;
//! text resumed after them is set apart by a blank line, and the web citations of text
//! blocks become `message.annotations` ([`crate::citations`]).
//!
//! A 2xx body is translated only when it is a message (`"type": "message"`, or no
//! `type` but a `content` array). A 2xx `{"type": "error", ...}` is that error (the
//! status its error type stands for, else 502), and any other 2xx body (an HTML page,
//! a foreign object) is a 502 naming the content type with the start of the body. The
//! host also hands over the whole answer when a streamed request was answered without
//! `text/event-stream`; the same rules apply, and a message goes back to the host as a
//! completion, which it streams.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{Value, json};
use switchyard_guest_kit::error::{bad_gateway, unusable_answer};
use switchyard_guest_kit::{ApiError, CallContext, TranslatedResponse, UpstreamResponse};

use super::citations::{self, Citation, PARAGRAPH};
use super::error::{SNIPPET_CHARS, from_error_in_answer, from_upstream};
use super::usage::AnthropicUsage;

/// An Anthropic `message` object, as far as the translation reads it.
#[derive(Debug, Deserialize)]
struct Message {
    /// `message`, or `error` for an error body.
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: Option<String>,
    /// `None` when absent: then the body is no message at all.
    #[serde(default)]
    content: Option<Vec<Block>>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<AnthropicUsage>,
}

/// One content block of an answer; unknown types (server tool blocks among them) are
/// skipped.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
        #[serde(default)]
        citations: Option<Vec<Citation>>,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    Thinking {
        thinking: String,
        #[serde(default)]
        signature: Option<String>,
    },
    RedactedThinking {
        data: String,
    },
    #[serde(other)]
    Other,
}

/// Translates a complete upstream answer.
pub fn to_openai(
    ctx: &CallContext,
    response: UpstreamResponse,
) -> Result<TranslatedResponse, ApiError> {
    if !(200..300).contains(&response.status) {
        return Err(from_upstream(&response));
    }
    let not_a_message = |reason: &str| {
        unusable_answer(
            "upstream",
            &response,
            &format!("is not an Anthropic message ({reason})"),
            SNIPPET_CHARS,
        )
    };
    let message: Message = match response.body.trim_ascii_start().first() {
        Some(b'{') => {
            serde_json::from_slice(&response.body).map_err(|e| not_a_message(&e.to_string()))?
        }
        _ => return Err(not_a_message("not a JSON object")),
    };
    let content = match (message.kind.as_deref(), message.content) {
        (Some("error"), _) => return Err(from_error_in_answer(&response)),
        (Some("message") | None, Some(content)) => content,
        (Some("message"), None) => Vec::new(),
        (Some(other), _) => return Err(not_a_message(&format!("`type` is `{other}`"))),
        (None, None) => return Err(not_a_message("no `type` and no `content`")),
    };
    let usage = message.usage.unwrap_or_default();

    let mut text = String::new();
    let mut reasoning = String::new();
    let mut thinking_blocks = Vec::new();
    let mut tool_calls = Vec::new();
    let mut annotations = Vec::new();
    // Characters in `text`, and whether a skipped block came since the last text.
    let (mut chars, mut skipped) = (0, false);
    for block in content {
        match block {
            Block::Text { text: t, citations } => {
                if t.is_empty() {
                    continue;
                }
                if skipped && !text.is_empty() {
                    text.push_str(PARAGRAPH);
                    chars += citations::chars(PARAGRAPH);
                }
                skipped = false;
                let start = chars;
                chars += citations::chars(&t);
                text.push_str(&t);
                let cited = citations.iter().flatten();
                annotations.extend(cited.filter_map(|c| c.annotation(start, chars)));
            }
            Block::Thinking {
                thinking,
                signature,
            } => {
                reasoning.push_str(&thinking);
                thinking_blocks.push(
                    json!({"type": "thinking", "thinking": thinking, "signature": signature}),
                );
            }
            Block::RedactedThinking { data } => {
                thinking_blocks.push(json!({"type": "redacted_thinking", "data": data}));
            }
            Block::ToolUse { id, name, input } => {
                let arguments = match input {
                    Value::Null => "{}".to_owned(),
                    input => input.to_string(),
                };
                tool_calls.push(json!({
                    "id": id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments}
                }));
            }
            // `server_tool_use` (the search Anthropic ran, which the client cannot run),
            // `web_search_tool_result`, and anything newer.
            Block::Other => skipped = true,
        }
    }
    let content = if text.is_empty() && !tool_calls.is_empty() {
        Value::Null
    } else {
        json!(text)
    };
    let mut reply = json!({"role": "assistant", "content": content, "refusal": null});
    if let Some(object) = reply.as_object_mut() {
        if !reasoning.is_empty() {
            object.insert("reasoning_content".into(), json!(reasoning));
        }
        // The blocks with their signatures, for a client to echo back on its next turn
        // (LiteLLM's field): Anthropic wants them first in a tool loop's assistant turn.
        if !thinking_blocks.is_empty() {
            object.insert("thinking_blocks".into(), Value::Array(thinking_blocks));
        }
        if !tool_calls.is_empty() {
            object.insert("tool_calls".into(), Value::Array(tool_calls));
        }
        if !annotations.is_empty() {
            object.insert("annotations".into(), Value::Array(annotations));
        }
    }
    let body = json!({
        "id": message.id,
        "object": "chat.completion",
        "created": now_secs(),
        "model": message.model.unwrap_or_else(|| ctx.upstream_model.clone()),
        "choices": [{
            "index": 0,
            "message": reply,
            "logprobs": null,
            "finish_reason": finish_reason(message.stop_reason.as_deref()),
        }],
        "usage": usage.to_openai(),
    });
    let body = serde_json::to_vec(&body)
        .map_err(|e| bad_gateway(format!("cannot write the completion: {e}")))?;
    Ok(TranslatedResponse {
        body,
        usage: Some(usage.to_wit()),
    })
}

/// The OpenAI `finish_reason` for an Anthropic `stop_reason`.
///
/// `end_turn`, `stop_sequence`, `pause_turn` → `stop`; `max_tokens`,
/// `model_context_window_exceeded` → `length`; `tool_use` → `tool_calls`; `refusal` →
/// `content_filter`; anything else → `stop`.
pub fn finish_reason(stop_reason: Option<&str>) -> &'static str {
    match stop_reason {
        Some("max_tokens" | "model_context_window_exceeded") => "length",
        Some("tool_use") => "tool_calls",
        Some("refusal") => "content_filter",
        _ => "stop",
    }
}

/// Seconds since the epoch, for `created` (0 if the clock is unavailable).
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests;
