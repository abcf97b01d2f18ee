//! A complete Anthropic answer → an OpenAI `chat.completion` (or an OpenAI error for a
//! non-2xx answer).
//!
//! Text blocks are concatenated into `content`, `tool_use` blocks become `tool_calls`
//! (their `input` serialized as the `arguments` string), `thinking` blocks become
//! `reasoning_content`; `stop_reason` becomes `finish_reason` ([`finish_reason`]).
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

/// One content block of an answer; unknown types are ignored.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
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
    for block in content {
        match block {
            Block::Text { text: t } => text.push_str(&t),
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
            Block::Other => {}
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
