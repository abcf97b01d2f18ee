//! Chat completion → Responses `response` (`from-chat`).
//!
//! The answer is `choices[0]`; other choices (`n > 1`) have no place in a Response.
//!
//! | Response | from chat |
//! |---|---|
//! | `id`, `object`, `created_at`, `model` | `resp_<call>`, `response`, the call's start, the model the client asked for |
//! | `output[]`, first | a `reasoning` item when the message has `reasoning_content` (or `reasoning`) or `thinking_blocks` ([`crate::thinking`]) |
//! | then | a `message` item: `content` as `output_text`, `refusal` as a `refusal` part; also when the answer is empty and calls no tool |
//! | `message.annotations` (`url_citation`s of a web search) | the `output_text` part's `annotations` ([`crate::citations`]) |
//! | then | one item per tool call ([`crate::calls`]) |
//! | `status`, `incomplete_details` | `finish_reason` `length` → `incomplete`, `max_output_tokens`; `content_filter` → `incomplete`, `content_filter`; else `completed` ([`ending`]) |
//! | `usage` | [`crate::usage`] |
//! | echoed request fields | [`crate::state`] |
//!
//! Items of an incomplete response are `incomplete` too. A body that is not a chat
//! completion, has no choices, or carries an `error` is a 502.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::bindings::{ApiError, DialectContext};
use crate::calls;
use crate::citations::{self, ChatAnnotation};
use crate::error::bad_upstream;
use crate::output::{COMPLETED, INCOMPLETE, Item, Part, Response, item_id, response_id};
use crate::state;
use crate::text::Text;
use crate::thinking;
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
    thinking_blocks: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    tool_calls: Option<Vec<ToolCall<'a>>>,
    #[serde(default, borrow)]
    annotations: Option<Vec<ChatAnnotation<'a>>>,
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

/// `message.tool_calls[]`.
#[derive(Debug, Deserialize)]
struct ToolCall<'a> {
    #[serde(default, borrow)]
    id: Option<Text<'a>>,
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

/// The response `status` and `incomplete_details.reason` for a `finish_reason`.
pub fn ending(finish_reason: &str) -> (&'static str, Option<&'static str>) {
    match finish_reason {
        "length" => (INCOMPLETE, Some("max_output_tokens")),
        "content_filter" => (INCOMPLETE, Some("content_filter")),
        _ => (COMPLETED, None),
    }
}

/// Translates a chat completion body into a Responses body.
pub fn from_chat(ctx: &DialectContext, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let call = state::take(&ctx.call_id);
    let completion: Completion = serde_json::from_slice(body)
        .map_err(|e| bad_upstream(format!("the upstream answer is not a chat completion: {e}")))?;
    if let Some(error) = &completion.error {
        return Err(bad_upstream(upstream_error_message(error)));
    }
    let Some(choice) = completion.choices.into_iter().next() else {
        return Err(bad_upstream("the upstream answer has no choices"));
    };
    let chat = choice.message.unwrap_or_default();
    let (status, incomplete_reason) = ending(choice.finish_reason.as_deref().unwrap_or("stop"));
    let mut items = Vec::new();
    let reasoning = chat.reasoning_content.as_ref().or(chat.reasoning.as_ref());
    let summary = reasoning.map_or("", |r| &**r);
    let blocks = chat.thinking_blocks.as_deref().unwrap_or_default();
    if !summary.is_empty() || !blocks.is_empty() {
        items.push(Item::Reasoning {
            id: Cow::Owned(item_id("rs", &ctx.call_id, None)),
            summary: Cow::Borrowed(summary),
            encrypted_content: thinking::encode(blocks).map(Cow::Owned),
        });
    }
    let text = chat.content.as_ref().map(text_of).unwrap_or_default();
    let calls = chat.tool_calls.as_deref().unwrap_or_default();
    let mut content = Vec::new();
    if !text.is_empty() {
        let annotations = citations::from_chat(chat.annotations.as_deref().unwrap_or_default());
        content.push(Part::Text { text, annotations });
    }
    if let Some(refusal) = chat.refusal.as_deref().filter(|r| !r.is_empty()) {
        content.push(Part::Refusal(Cow::Borrowed(refusal)));
    }
    if !content.is_empty() || calls.is_empty() {
        if content.is_empty() {
            content.push(Part::text(""));
        }
        items.push(Item::Message {
            id: Cow::Owned(item_id("msg", &ctx.call_id, None)),
            status,
            content,
        });
    }
    for (n, tool_call) in calls.iter().enumerate() {
        let function = &tool_call.function;
        let chat_call = (
            tool_call.id.as_deref(),
            &*function.name,
            function.arguments.as_deref().unwrap_or(""),
        );
        let item = calls::item(&call.tools, &ctx.call_id, n, chat_call, status);
        items.push(Item::Tool(item));
    }
    let id = response_id(&ctx.call_id);
    let response = Response {
        id: &id,
        created_at: ctx.created,
        status,
        error: None,
        incomplete_reason,
        model: &ctx.public_model,
        output: &items,
        usage: Some(completion.usage.unwrap_or_default().to_responses()),
        echo: &call.echo,
    };
    // A Response is about as long as the completion it comes from.
    let mut out = Vec::with_capacity(body.len().saturating_add(512));
    serde_json::to_writer(&mut out, &response)
        .map_err(|e| bad_upstream(format!("cannot write the response: {e}")))?;
    Ok(out)
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
