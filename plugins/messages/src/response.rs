//! Chat completion → Messages `message` (`from-chat`).
//!
//! The answer is `choices[0]`; other choices (`n > 1`) have no place in a Message.
//!
//! | Message | from chat |
//! |---|---|
//! | `id` | `msg_<call-id>` |
//! | `model` | the model the client asked for |
//! | `content[]`, first | `thinking_blocks` as they are (signed `thinking`, `redacted_thinking`); without them, `reasoning_content` (or `reasoning`) as one `thinking` block with `signature: ""` |
//! | then | `content` as one `text` block, never an empty one; a `refusal` as a `text` block |
//! | then | each tool call as `tool_use`, `input` always an object ([`tool_input`]) |
//! | `stop_reason`, `stop_sequence` | [`crate::stop_reason`] |
//! | `usage` | [`crate::usage`] |
//!
//! A body that is not a chat completion, has no choices, or carries an `error` is a
//! 502 `api_error`.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::bindings::{ApiError, DialectContext};
use crate::error::bad_upstream;
use crate::stop_reason::{Ending, stop_reason};
use crate::usage::ChatUsage;

/// The key under which [`tool_input`] keeps arguments that are not a JSON object.
pub const RAW_ARGUMENTS_KEY: &str = "_raw";

/// A chat completion, as far as the translation reads it.
#[derive(Debug, Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<ChatUsage>,
    #[serde(default)]
    error: Option<Value>,
}

/// `choices[]`.
#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    message: Option<ChatMessage>,
    #[serde(default)]
    finish_reason: Option<String>,
    /// vLLM: the stop string that matched.
    #[serde(default)]
    stop_reason: Option<Value>,
}

/// `choices[].message`.
#[derive(Debug, Default, Deserialize)]
struct ChatMessage {
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    thinking_blocks: Option<Vec<ThinkingBlock>>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
}

/// A whole thinking block, as this gateway's adapters put it in `thinking_blocks`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ThinkingBlock {
    /// Thinking text with its signature.
    Thinking {
        /// The thinking text.
        #[serde(default)]
        thinking: String,
        /// The signature that lets it be sent back.
        #[serde(default)]
        signature: String,
    },
    /// Encrypted thinking.
    RedactedThinking {
        /// The encrypted data.
        #[serde(default)]
        data: String,
    },
    /// A kind this dialect does not know; skipped.
    #[serde(other)]
    Other,
}

/// `message.tool_calls[]`.
#[derive(Debug, Deserialize)]
struct ToolCall {
    #[serde(default)]
    id: String,
    #[serde(default)]
    function: Function,
}

/// `tool_calls[].function`.
#[derive(Debug, Default, Deserialize)]
struct Function {
    #[serde(default)]
    name: String,
    #[serde(default)]
    arguments: Option<String>,
}

/// Translates a chat completion body into a Messages body.
pub fn from_chat(ctx: &DialectContext, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let completion: Completion = serde_json::from_slice(body)
        .map_err(|e| bad_upstream(format!("the upstream answer is not a chat completion: {e}")))?;
    Ok(message(ctx, completion)?.to_string().into_bytes())
}

/// The `message` for a parsed completion.
fn message(ctx: &DialectContext, completion: Completion) -> Result<Value, ApiError> {
    if let Some(error) = completion.error {
        return Err(bad_upstream(upstream_error_message(&error)));
    }
    let Some(choice) = completion.choices.into_iter().next() else {
        return Err(bad_upstream("the upstream answer has no choices"));
    };
    let message = choice.message.unwrap_or_default();
    let mut content = Vec::new();
    match &message.thinking_blocks {
        Some(blocks) if !blocks.is_empty() => content.extend(blocks.iter().filter_map(to_block)),
        _ => {
            let reasoning = message.reasoning_content.or(message.reasoning);
            if let Some(thinking) = reasoning.filter(|r| !r.is_empty()) {
                content.push(json!({"type": "thinking", "thinking": thinking, "signature": ""}));
            }
        }
    }
    let text = message.content.as_ref().map(text_of).unwrap_or_default();
    if !text.is_empty() {
        content.push(json!({"type": "text", "text": text}));
    }
    let refusal = message.refusal.filter(|r| !r.is_empty());
    if let Some(refusal) = &refusal {
        content.push(json!({"type": "text", "text": refusal}));
    }
    let calls = message.tool_calls.unwrap_or_default();
    for call in &calls {
        content.push(json!({
            "type": "tool_use",
            "id": call.id,
            "name": call.function.name,
            "input": tool_input(call.function.arguments.as_deref().unwrap_or("")),
        }));
    }
    let stop_string = choice.stop_reason.as_ref().and_then(Value::as_str);
    let ending = Ending {
        finish_reason: choice.finish_reason.as_deref().unwrap_or("stop"),
        tool_calls: !calls.is_empty(),
        refused: refusal.is_some(),
        stop_sequence: stop_string,
    };
    let (stop_reason, stop_sequence) = stop_reason(&ending);
    let usage = completion.usage.unwrap_or_default();
    Ok(json!({
        "id": message_id(ctx),
        "type": "message",
        "role": "assistant",
        "model": ctx.public_model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": usage.to_messages(),
    }))
}

/// The Messages id of the call's answer.
pub fn message_id(ctx: &DialectContext) -> String {
    format!("msg_{}", ctx.call_id)
}

/// A whole thinking block as a Messages content block.
pub fn to_block(block: &ThinkingBlock) -> Option<Value> {
    match block {
        ThinkingBlock::Thinking {
            thinking,
            signature,
        } => Some(json!({"type": "thinking", "thinking": thinking, "signature": signature})),
        ThinkingBlock::RedactedThinking { data } => {
            Some(json!({"type": "redacted_thinking", "data": data}))
        }
        ThinkingBlock::Other => None,
    }
}

/// The text of a chat `content`: a string, or the text of its parts.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

/// A tool call's `arguments` as a `tool_use` `input`, which must be an object:
/// blank arguments are `{}`; a JSON object is itself; anything else (invalid JSON, an
/// array, a string) is kept whole as `{"_raw": "<arguments>"}`, so the client's tool
/// sees (and can report) what the model sent instead of the call being lost.
pub fn tool_input(arguments: &str) -> Value {
    if arguments.trim().is_empty() {
        return Value::Object(Map::new());
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(object @ Value::Object(_)) => object,
        _ => json!({RAW_ARGUMENTS_KEY: arguments}),
    }
}

/// The message of an upstream `error` object.
pub fn upstream_error_message(error: &Value) -> String {
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| error.as_str())
        .unwrap_or("no message");
    format!("the upstream answered with an error: {message}")
}

#[cfg(test)]
mod tests;
