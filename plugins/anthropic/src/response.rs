//! A complete Anthropic answer → an OpenAI `chat.completion` (or an OpenAI error for a
//! non-2xx answer).
//!
//! Text blocks are concatenated into `content`, `tool_use` blocks become `tool_calls`
//! (their `input` serialized as the `arguments` string), `thinking` blocks become
//! `reasoning_content`; `stop_reason` becomes `finish_reason` ([`finish_reason`]).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{Value, json};
use switchyard_guest_kit::error::{bad_gateway, snippet};
use switchyard_guest_kit::{ApiError, CallContext, TranslatedResponse, UpstreamResponse};

use super::error::{SNIPPET_CHARS, from_upstream};
use super::usage::AnthropicUsage;

/// An Anthropic `message` object, as far as the translation reads it.
#[derive(Debug, Deserialize)]
struct Message {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    content: Vec<Block>,
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
    let message: Message = serde_json::from_slice(&response.body).map_err(|e| {
        bad_gateway(format!(
            "upstream answered HTTP {} with a body that is not an Anthropic message ({e}): {}",
            response.status,
            snippet(&response.body, SNIPPET_CHARS)
        ))
    })?;
    let usage = message.usage.unwrap_or_default();

    let mut text = String::new();
    let mut reasoning = String::new();
    let mut tool_calls = Vec::new();
    for block in message.content {
        match block {
            Block::Text { text: t } => text.push_str(&t),
            Block::Thinking { thinking } => reasoning.push_str(&thinking),
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
