//! Messages `messages` → chat `messages`.
//!
//! | Messages | Chat |
//! |---|---|
//! | `role: system` message (Claude Code's mid-conversation system beta) | `system` messages at that position, one per text block |
//! | user `text` | text part; a user turn of one text is a plain string |
//! | user `image` base64 / url | `image_url` part with a `data:` URL / the URL |
//! | user `document` base64 PDF | `file` part (`file_data` as a `data:` URL, `filename` from `title`, else `document.pdf`) |
//! | user `document` text / content source | text part(s) |
//! | user `tool_result` | a `tool` message (`tool_call_id`, text content), placed **before** the rest of the turn |
//! | assistant `text` | `content` (blocks joined with no separator) |
//! | assistant `tool_use` | `tool_calls[{id, type: function, function: {name, arguments: input as JSON}}]` |
//! | assistant `thinking` | `reasoning_content` (joined) and, when it has a signature, `thinking_blocks[{type: thinking, thinking, signature}]` |
//! | assistant `redacted_thinking` | `thinking_blocks[{type: redacted_thinking, data}]` |
//!
//! Tool results: text blocks are joined with `\n`; `is_error: true` prefixes the text
//! with [`ERROR_PREFIX`]. Chat tool messages carry text only, so an image in a tool
//! result moves to the user message that follows the turn's tool messages, and the
//! tool text says so ([`IMAGE_MOVED_NOTE`]).
//!
//! A thinking block with an empty signature (one this dialect made from a platform that
//! signs nothing) goes into `reasoning_content` only: there is no signature to replay.
//!
//! Anything else (server tool blocks, search results, URL or file-id documents, a
//! thinking block in a user turn) cannot be expressed in chat and is answered 400,
//! naming the block. `cache_control` and `citations` are dropped.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::chat::{
    AssistantMessage, ChatMessage, FUNCTION, File, FunctionCall, ImageUrl, Part, ToolCall,
    UserContent,
};
use super::param::Param;
use crate::bindings::ApiError;
use crate::error::bad_request;
use crate::message;
use crate::text::{Text, TextOr};

/// Put before the text of a `tool_result` whose `is_error` is true.
pub const ERROR_PREFIX: &str = "Error: ";

/// Added to a tool message whose images moved to the user message after it.
pub const IMAGE_MOVED_NOTE: &str = "[image attached in the next user message]";

/// The file name of a PDF document without a `title`.
pub const DEFAULT_PDF_NAME: &str = "document.pdf";

/// One Messages `messages[]` entry.
#[derive(Debug, Deserialize)]
pub struct Message<'a> {
    #[serde(borrow)]
    role: Text<'a>,
    #[serde(borrow)]
    content: TextOr<'a, Block<'a>>,
}

/// One content block; the fields a type does not use stay `None`.
#[derive(Debug, Deserialize)]
pub struct Block<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(default, borrow)]
    text: Option<Text<'a>>,
    #[serde(default, borrow)]
    source: Option<Source<'a>>,
    #[serde(default, borrow)]
    title: Option<Text<'a>>,
    #[serde(default, borrow)]
    id: Option<Text<'a>>,
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
    /// A `tool_use`'s input, passed on as the client wrote it.
    #[serde(default, borrow)]
    input: Option<&'a RawValue>,
    #[serde(default, borrow)]
    tool_use_id: Option<Text<'a>>,
    /// A `tool_result`'s content.
    #[serde(default, borrow)]
    content: Option<TextOr<'a, Block<'a>>>,
    #[serde(default)]
    is_error: Option<bool>,
    #[serde(default, borrow)]
    thinking: Option<Text<'a>>,
    #[serde(default, borrow)]
    signature: Option<Text<'a>>,
    #[serde(default, borrow)]
    data: Option<Text<'a>>,
}

/// A system text block (`system[]`); same shape as a content block.
pub type SystemBlock<'a> = Block<'a>;

/// An image or document `source`.
#[derive(Debug, Deserialize)]
struct Source<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(default, borrow)]
    media_type: Option<Text<'a>>,
    #[serde(default, borrow)]
    data: Option<Text<'a>>,
    #[serde(default, borrow)]
    url: Option<Text<'a>>,
    /// A `content` document's blocks.
    #[serde(default, borrow)]
    content: Option<TextOr<'a, Block<'a>>>,
}

impl Block<'_> {
    /// The text of a block that must be a `text` block (system, tool results).
    pub fn text(&self, at: Param<'_>) -> Result<&str, ApiError> {
        match &*self.kind {
            "text" => Ok(self.text.as_deref().unwrap_or("")),
            other => Err(unsupported(other, at)),
        }
    }
}

/// Translates the conversation, adding it to `out`.
pub fn convert<'a>(
    messages: &'a [Message<'a>],
    out: &mut Vec<ChatMessage<'a>>,
) -> Result<(), ApiError> {
    let root = Param::root("messages");
    for (i, message) in messages.iter().enumerate() {
        let here = root.element(i);
        let at = here.member("content");
        match (&*message.role, &message.content) {
            ("system", TextOr::Text(content)) => out.push(ChatMessage::System { content }),
            ("system", TextOr::List(blocks)) => {
                for (j, block) in blocks.iter().enumerate() {
                    let content = block.text(at.element(j))?;
                    out.push(ChatMessage::System { content });
                }
            }
            ("user", TextOr::Text(text)) => out.push(ChatMessage::User {
                content: UserContent::Text(text),
            }),
            ("user", TextOr::List(blocks)) => user_turn(blocks, at, out)?,
            ("assistant", TextOr::Text(text)) => {
                out.push(ChatMessage::Assistant(AssistantMessage {
                    content: Some(Cow::Borrowed(text)),
                    ..AssistantMessage::default()
                }));
            }
            ("assistant", TextOr::List(blocks)) => out.push(assistant_turn(blocks, at)?),
            (other, _) => {
                return Err(bad_request(
                    format!(
                        "unsupported message role {other:?}; expected user, assistant or system"
                    ),
                    Some(&here.member("role").to_string()),
                ));
            }
        }
    }
    Ok(())
}

/// A user turn: its tool messages first, then one user message with the other parts.
fn user_turn<'a>(
    blocks: &'a [Block<'a>],
    at: Param<'_>,
    out: &mut Vec<ChatMessage<'a>>,
) -> Result<(), ApiError> {
    let mut parts = Vec::new();
    let mut moved_images = Vec::new();
    for (j, block) in blocks.iter().enumerate() {
        let at = at.element(j);
        match &*block.kind {
            "tool_result" => out.push(tool_message(block, at, &mut moved_images)?),
            _ => user_parts(block, at, &mut parts)?,
        }
    }
    moved_images.append(&mut parts);
    let parts = moved_images;
    let content = match parts.as_slice() {
        [] => return Ok(()),
        [Part::Text { text }] => UserContent::Text(text),
        _ => UserContent::Parts(parts),
    };
    out.push(ChatMessage::User { content });
    Ok(())
}

/// Adds the chat content parts of one user block to `parts`.
fn user_parts<'a>(
    block: &'a Block<'a>,
    at: Param<'_>,
    parts: &mut Vec<Part<'a>>,
) -> Result<(), ApiError> {
    match &*block.kind {
        "text" => parts.push(Part::Text {
            text: block.text.as_deref().unwrap_or(""),
        }),
        "image" => parts.push(image_part(block, at)?),
        "document" => document_parts(block, at, parts)?,
        other => return Err(unsupported(other, at)),
    }
    Ok(())
}

/// An `image` block as an `image_url` part.
fn image_part<'a>(block: &'a Block<'a>, at: Param<'_>) -> Result<Part<'a>, ApiError> {
    let at = at.member("source");
    let Some(source) = &block.source else {
        return Err(bad_request(
            "an image needs a `source`",
            Some(&at.to_string()),
        ));
    };
    let url = match (&*source.kind, &source.url) {
        ("base64", _) => Cow::Owned(data_url(source, at)?),
        ("url", Some(url)) => Cow::Borrowed(&**url),
        (kind, _) => {
            return Err(bad_request(
                format!(
                    "image source type {kind:?} cannot be translated; send base64 data or a URL"
                ),
                Some(&at.to_string()),
            ));
        }
    };
    Ok(Part::ImageUrl {
        image_url: ImageUrl { url },
    })
}

/// `data:<media_type>;base64,<data>` of a base64 source.
fn data_url(source: &Source<'_>, at: Param<'_>) -> Result<String, ApiError> {
    match (&source.media_type, &source.data) {
        (Some(media_type), Some(data)) => Ok(["data:", media_type, ";base64,", data].concat()),
        _ => Err(bad_request(
            "a base64 source needs `media_type` and `data`",
            Some(&at.to_string()),
        )),
    }
}

/// Adds a `document` block to `parts`, as a `file` part (PDF) or text parts.
fn document_parts<'a>(
    block: &'a Block<'a>,
    at: Param<'_>,
    parts: &mut Vec<Part<'a>>,
) -> Result<(), ApiError> {
    let at = at.member("source");
    let Some(source) = &block.source else {
        return Err(bad_request(
            "a document needs a `source`",
            Some(&at.to_string()),
        ));
    };
    match &*source.kind {
        "base64" => {
            let file = File {
                file_data: data_url(source, at)?,
                filename: block.title.as_deref().unwrap_or(DEFAULT_PDF_NAME),
            };
            parts.push(Part::File { file });
        }
        "text" => parts.push(Part::Text {
            text: source.data.as_deref().unwrap_or(""),
        }),
        "content" => match &source.content {
            Some(TextOr::Text(text)) => parts.push(Part::Text { text }),
            Some(TextOr::List(blocks)) => {
                let at = at.member("content");
                for (k, block) in blocks.iter().enumerate() {
                    let text = block.text(at.element(k))?;
                    parts.push(Part::Text { text });
                }
            }
            None => {}
        },
        kind => {
            return Err(bad_request(
                format!(
                    "document source type {kind:?} cannot be translated; send the document inline (base64 PDF or text)"
                ),
                Some(&at.to_string()),
            ));
        }
    }
    Ok(())
}

/// A `tool_result` block as a `tool` message; its images go to `images`.
fn tool_message<'a>(
    block: &'a Block<'a>,
    at: Param<'_>,
    images: &mut Vec<Part<'a>>,
) -> Result<ChatMessage<'a>, ApiError> {
    let Some(id) = &block.tool_use_id else {
        return Err(bad_request(
            "a tool_result needs its `tool_use_id`",
            Some(&at.member("tool_use_id").to_string()),
        ));
    };
    let mut texts = Vec::new();
    match &block.content {
        None => {}
        Some(TextOr::Text(text)) => texts.push(&**text),
        Some(TextOr::List(blocks)) => {
            let at = at.member("content");
            for (k, inner) in blocks.iter().enumerate() {
                let at = at.element(k);
                let mut parts = Vec::new();
                match &*inner.kind {
                    "text" => texts.push(inner.text.as_deref().unwrap_or("")),
                    "image" => parts.push(image_part(inner, at)?),
                    "document" => document_parts(inner, at, &mut parts)?,
                    other => return Err(unsupported(other, at)),
                }
                for part in parts {
                    match part {
                        Part::Text { text } => texts.push(text),
                        moved => {
                            images.push(moved);
                            texts.push(IMAGE_MOVED_NOTE);
                        }
                    }
                }
            }
        }
    }
    let mut content = texts.join("\n");
    if block.is_error == Some(true) {
        content.insert_str(0, ERROR_PREFIX);
    }
    Ok(ChatMessage::Tool {
        tool_call_id: id,
        content,
    })
}

/// An assistant turn as one assistant message.
fn assistant_turn<'a>(blocks: &'a [Block<'a>], at: Param<'_>) -> Result<ChatMessage<'a>, ApiError> {
    let mut text = String::new();
    let mut message = AssistantMessage::default();
    for (j, block) in blocks.iter().enumerate() {
        let at = at.element(j);
        match &*block.kind {
            "text" => text.push_str(block.text.as_deref().unwrap_or("")),
            "thinking" => {
                let thinking = block.thinking.as_deref().unwrap_or("");
                message.reasoning_content.push_str(thinking);
                if let Some(signature) = block.signature.as_deref().filter(|s| !s.is_empty()) {
                    message.thinking_blocks.push(message::Block::Thinking {
                        thinking,
                        signature,
                    });
                }
            }
            "redacted_thinking" => {
                let data = block.data.as_deref().unwrap_or("");
                message
                    .thinking_blocks
                    .push(message::Block::RedactedThinking { data });
            }
            "tool_use" => message.tool_calls.push(tool_call(block, at)?),
            other => return Err(unsupported(other, at)),
        }
    }
    if !text.is_empty() || message.tool_calls.is_empty() {
        message.content = Some(Cow::Owned(text));
    }
    Ok(ChatMessage::Assistant(message))
}

/// A `tool_use` block as a chat tool call.
fn tool_call<'a>(block: &'a Block<'a>, at: Param<'_>) -> Result<ToolCall<'a>, ApiError> {
    let (Some(id), Some(name)) = (&block.id, &block.name) else {
        return Err(bad_request(
            "a tool_use block needs `id` and `name`",
            Some(&at.to_string()),
        ));
    };
    Ok(ToolCall {
        id,
        kind: FUNCTION,
        function: FunctionCall {
            name,
            arguments: block.input.map_or("{}", RawValue::get),
        },
    })
}

/// The 400 for a block of a type that cannot be translated where it stands.
fn unsupported(kind: &str, at: Param<'_>) -> ApiError {
    bad_request(
        format!("content block type {kind:?} cannot be translated to chat completions here"),
        Some(&at.to_string()),
    )
}
