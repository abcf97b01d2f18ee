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

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::bindings::{ApiError, DialectContext};
use crate::error::bad_upstream;
use crate::message::{Block, Message, tool_input};
use crate::stop_reason::{Ending, stop_reason};
use crate::text::Text;
use crate::usage::ChatUsage;

/// A chat completion, as far as the translation reads it.
#[derive(Debug, Deserialize)]
struct Completion<'a> {
    #[serde(default, borrow)]
    choices: Vec<Choice<'a>>,
    #[serde(default)]
    usage: Option<ChatUsage>,
    #[serde(default)]
    error: Option<Value>,
}

/// `choices[]`.
#[derive(Debug, Deserialize)]
struct Choice<'a> {
    #[serde(default, borrow)]
    message: Option<ChatMessage<'a>>,
    #[serde(default, borrow)]
    finish_reason: Option<Text<'a>>,
    /// vLLM: the stop string that matched.
    #[serde(default)]
    stop_reason: Option<Value>,
}

/// `choices[].message`.
#[derive(Debug, Default, Deserialize)]
struct ChatMessage<'a> {
    #[serde(default, borrow)]
    content: Option<ChatContent<'a>>,
    #[serde(default, borrow)]
    refusal: Option<Text<'a>>,
    #[serde(default, borrow)]
    reasoning_content: Option<Text<'a>>,
    #[serde(default, borrow)]
    reasoning: Option<Text<'a>>,
    #[serde(default, borrow)]
    thinking_blocks: Option<Vec<ThinkingBlock<'a>>>,
    #[serde(default, borrow)]
    tool_calls: Option<Vec<ToolCall<'a>>>,
}

/// `message.content`: a string, or parts whose text counts.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ChatContent<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Parts(#[serde(borrow)] Vec<ContentPart<'a>>),
    /// Anything else has no text.
    Other(IgnoredAny),
}

/// `content[]`: a part; only its `text` is read.
#[derive(Debug, Deserialize)]
struct ContentPart<'a> {
    #[serde(default, borrow)]
    text: Option<Text<'a>>,
}

/// A whole thinking block, as this gateway's adapters put it in `thinking_blocks`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ThinkingBlock<'a> {
    /// Thinking text with its signature.
    Thinking {
        /// The thinking text.
        #[serde(default, borrow)]
        thinking: Text<'a>,
        /// The signature that lets it be sent back.
        #[serde(default, borrow)]
        signature: Text<'a>,
    },
    /// Encrypted thinking.
    RedactedThinking {
        /// The encrypted data.
        #[serde(default, borrow)]
        data: Text<'a>,
    },
    /// A kind this dialect does not know; skipped.
    #[serde(other)]
    Other,
}

/// `message.tool_calls[]`.
#[derive(Debug, Deserialize)]
struct ToolCall<'a> {
    #[serde(default, borrow)]
    id: Text<'a>,
    #[serde(default, borrow)]
    function: Function<'a>,
}

/// `tool_calls[].function`.
#[derive(Debug, Default, Deserialize)]
struct Function<'a> {
    #[serde(default, borrow)]
    name: Text<'a>,
    #[serde(default, borrow)]
    arguments: Option<Text<'a>>,
}

/// Translates a chat completion body into a Messages body.
pub fn from_chat(ctx: &DialectContext, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let completion: Completion = serde_json::from_slice(body)
        .map_err(|e| bad_upstream(format!("the upstream answer is not a chat completion: {e}")))?;
    if let Some(error) = &completion.error {
        return Err(bad_upstream(upstream_error_message(error)));
    }
    let Some(choice) = completion.choices.into_iter().next() else {
        return Err(bad_upstream("the upstream answer has no choices"));
    };
    let chat = choice.message.unwrap_or_default();
    let text = chat.content.as_ref().map(text_of).unwrap_or_default();
    let id = message_id(ctx);
    let stop_sequence = choice.stop_reason.as_ref().and_then(Value::as_str);
    let ending = Ending {
        finish_reason: choice.finish_reason.as_deref().unwrap_or("stop"),
        tool_calls: chat.tool_calls.as_ref().is_some_and(|c| !c.is_empty()),
        refused: chat.refusal.as_ref().is_some_and(|r| !r.is_empty()),
        stop_sequence,
    };
    let usage = completion.usage.unwrap_or_default().to_messages();
    let message = Message::answer(
        &id,
        &ctx.public_model,
        content(&chat, &text),
        stop_reason(&ending),
        usage,
    );
    // A Messages body is about as long as the completion it comes from.
    let mut out = Vec::with_capacity(body.len());
    serde_json::to_writer(&mut out, &message)
        .map_err(|e| bad_upstream(format!("cannot write the message: {e}")))?;
    Ok(out)
}

/// The content blocks of an answer whose `content` has `text`: thinking, text, refusal,
/// tool calls.
fn content<'a>(chat: &'a ChatMessage<'a>, text: &'a str) -> Vec<Block<'a>> {
    let mut content = Vec::new();
    match &chat.thinking_blocks {
        Some(blocks) if !blocks.is_empty() => content.extend(blocks.iter().filter_map(to_block)),
        _ => {
            let reasoning = chat.reasoning_content.as_ref().or(chat.reasoning.as_ref());
            if let Some(thinking) = reasoning.filter(|r| !r.is_empty()) {
                content.push(Block::Thinking {
                    thinking,
                    signature: "",
                });
            }
        }
    }
    if !text.is_empty() {
        content.push(Block::Text { text });
    }
    if let Some(refusal) = chat.refusal.as_deref().filter(|r| !r.is_empty()) {
        content.push(Block::Text { text: refusal });
    }
    for call in chat.tool_calls.iter().flatten() {
        let arguments = call.function.arguments.as_deref().unwrap_or("");
        content.push(Block::ToolUse {
            id: &call.id,
            name: &call.function.name,
            input: tool_input(arguments),
        });
    }
    content
}

/// The Messages id of the call's answer.
pub fn message_id(ctx: &DialectContext) -> String {
    ["msg_", &ctx.call_id].concat()
}

/// A whole thinking block as a Messages content block.
pub fn to_block<'a>(block: &'a ThinkingBlock<'a>) -> Option<Block<'a>> {
    match block {
        ThinkingBlock::Thinking {
            thinking,
            signature,
        } => Some(Block::Thinking {
            thinking,
            signature,
        }),
        ThinkingBlock::RedactedThinking { data } => Some(Block::RedactedThinking { data }),
        ThinkingBlock::Other => None,
    }
}

/// The text of a chat `content`: a string, or the text of its parts.
fn text_of<'a>(content: &'a ChatContent<'a>) -> Cow<'a, str> {
    match content {
        ChatContent::Text(text) => Cow::Borrowed(text),
        ChatContent::Parts(parts) => parts.iter().filter_map(|p| p.text.as_deref()).collect(),
        ChatContent::Other(_) => Cow::Borrowed(""),
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
