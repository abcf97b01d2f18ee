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

use serde::Deserialize;
use serde_json::{Value, json};

use crate::bindings::ApiError;
use crate::error::bad_request;

/// Put before the text of a `tool_result` whose `is_error` is true.
pub const ERROR_PREFIX: &str = "Error: ";

/// Added to a tool message whose images moved to the user message after it.
pub const IMAGE_MOVED_NOTE: &str = "[image attached in the next user message]";

/// The file name of a PDF document without a `title`.
pub const DEFAULT_PDF_NAME: &str = "document.pdf";

/// One Messages `messages[]` entry.
#[derive(Debug, Deserialize)]
pub struct Message {
    role: String,
    content: Content,
}

/// A message's `content`: a string or blocks.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Blocks(Vec<Block>),
}

/// One content block; the fields a type does not use stay `None`.
#[derive(Debug, Deserialize)]
pub struct Block {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    tool_use_id: Option<String>,
    #[serde(default)]
    content: Option<ToolResultContent>,
    #[serde(default)]
    is_error: Option<bool>,
    #[serde(default)]
    thinking: Option<String>,
    #[serde(default)]
    signature: Option<String>,
    #[serde(default)]
    data: Option<String>,
}

/// A system text block (`system[]`); same shape as a content block.
pub type SystemBlock = Block;

/// An image or document `source`.
#[derive(Debug, Deserialize)]
struct Source {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    content: Option<ToolResultContent>,
}

/// `tool_result.content` (and a document's `content` source): a string or blocks.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ToolResultContent {
    Text(String),
    Blocks(Vec<Block>),
}

impl Block {
    /// The text of a block that must be a `text` block (system, tool results).
    pub fn text(&self, at: &str) -> Result<&str, ApiError> {
        match self.kind.as_str() {
            "text" => Ok(self.text.as_deref().unwrap_or("")),
            other => Err(unsupported(other, at)),
        }
    }
}

/// Translates the conversation.
pub fn convert(messages: Vec<Message>) -> Result<Vec<Value>, ApiError> {
    let mut out = Vec::with_capacity(messages.len());
    for (i, message) in messages.into_iter().enumerate() {
        let at = format!("messages[{i}].content");
        match (message.role.as_str(), message.content) {
            ("system", Content::Text(text)) => {
                out.push(json!({"role": "system", "content": text}));
            }
            ("system", Content::Blocks(blocks)) => {
                for (j, block) in blocks.iter().enumerate() {
                    let text = block.text(&format!("{at}[{j}]"))?;
                    out.push(json!({"role": "system", "content": text}));
                }
            }
            ("user", Content::Text(text)) => out.push(json!({"role": "user", "content": text})),
            ("user", Content::Blocks(blocks)) => user_turn(&blocks, &at, &mut out)?,
            ("assistant", Content::Text(text)) => {
                out.push(json!({"role": "assistant", "content": text}));
            }
            ("assistant", Content::Blocks(blocks)) => out.push(assistant_turn(&blocks, &at)?),
            (other, _) => {
                return Err(bad_request(
                    format!(
                        "unsupported message role {other:?}; expected user, assistant or system"
                    ),
                    Some(&format!("messages[{i}].role")),
                ));
            }
        }
    }
    Ok(out)
}

/// A user turn: its tool messages first, then one user message with the other parts.
fn user_turn(blocks: &[Block], at: &str, out: &mut Vec<Value>) -> Result<(), ApiError> {
    let mut parts = Vec::new();
    let mut moved_images = Vec::new();
    for (j, block) in blocks.iter().enumerate() {
        let at = format!("{at}[{j}]");
        match block.kind.as_str() {
            "tool_result" => out.push(tool_message(block, &at, &mut moved_images)?),
            _ => parts.extend(user_parts(block, &at)?),
        }
    }
    moved_images.append(&mut parts);
    let parts = moved_images;
    match parts.as_slice() {
        [] => {}
        [only] if only.get("type").and_then(Value::as_str) == Some("text") => {
            out.push(
                json!({"role": "user", "content": only.get("text").cloned().unwrap_or_default()}),
            );
        }
        _ => out.push(json!({"role": "user", "content": parts})),
    }
    Ok(())
}

/// The chat content parts of one user block.
fn user_parts(block: &Block, at: &str) -> Result<Vec<Value>, ApiError> {
    match block.kind.as_str() {
        "text" => Ok(vec![text_part(block.text.as_deref().unwrap_or(""))]),
        "image" => Ok(vec![image_part(block, at)?]),
        "document" => document_parts(block, at),
        other => Err(unsupported(other, at)),
    }
}

fn text_part(text: &str) -> Value {
    json!({"type": "text", "text": text})
}

/// An `image` block as an `image_url` part.
fn image_part(block: &Block, at: &str) -> Result<Value, ApiError> {
    let source_at = format!("{at}.source");
    let source = block
        .source
        .as_ref()
        .ok_or_else(|| bad_request("an image needs a `source`", Some(&source_at)))?;
    let url = match (source.kind.as_str(), &source.url) {
        ("base64", _) => data_url(source, &source_at)?,
        ("url", Some(url)) => url.clone(),
        (kind, _) => {
            return Err(bad_request(
                format!(
                    "image source type {kind:?} cannot be translated; send base64 data or a URL"
                ),
                Some(&source_at),
            ));
        }
    };
    Ok(json!({"type": "image_url", "image_url": {"url": url}}))
}

/// `data:<media_type>;base64,<data>` of a base64 source.
fn data_url(source: &Source, at: &str) -> Result<String, ApiError> {
    match (&source.media_type, &source.data) {
        (Some(media_type), Some(data)) => Ok(format!("data:{media_type};base64,{data}")),
        _ => Err(bad_request(
            "a base64 source needs `media_type` and `data`",
            Some(at),
        )),
    }
}

/// A `document` block as a `file` part (PDF) or text parts.
fn document_parts(block: &Block, at: &str) -> Result<Vec<Value>, ApiError> {
    let source_at = format!("{at}.source");
    let source = block
        .source
        .as_ref()
        .ok_or_else(|| bad_request("a document needs a `source`", Some(&source_at)))?;
    match source.kind.as_str() {
        "base64" => {
            let name = block.title.as_deref().unwrap_or(DEFAULT_PDF_NAME);
            let data = data_url(source, &source_at)?;
            Ok(vec![
                json!({"type": "file", "file": {"file_data": data, "filename": name}}),
            ])
        }
        "text" => Ok(vec![text_part(source.data.as_deref().unwrap_or(""))]),
        "content" => match &source.content {
            Some(ToolResultContent::Text(text)) => Ok(vec![text_part(text)]),
            Some(ToolResultContent::Blocks(blocks)) => blocks
                .iter()
                .enumerate()
                .map(|(k, b)| Ok(text_part(b.text(&format!("{source_at}.content[{k}]"))?)))
                .collect(),
            None => Ok(Vec::new()),
        },
        kind => Err(bad_request(
            format!(
                "document source type {kind:?} cannot be translated; send the document inline (base64 PDF or text)"
            ),
            Some(&source_at),
        )),
    }
}

/// A `tool_result` block as a `tool` message; its images go to `images`.
fn tool_message(block: &Block, at: &str, images: &mut Vec<Value>) -> Result<Value, ApiError> {
    let Some(id) = &block.tool_use_id else {
        return Err(bad_request(
            "a tool_result needs its `tool_use_id`",
            Some(&format!("{at}.tool_use_id")),
        ));
    };
    let mut texts = Vec::new();
    match &block.content {
        None => {}
        Some(ToolResultContent::Text(text)) => texts.push(text.clone()),
        Some(ToolResultContent::Blocks(blocks)) => {
            for (k, inner) in blocks.iter().enumerate() {
                let inner_at = format!("{at}.content[{k}]");
                match inner.kind.as_str() {
                    "text" => texts.push(inner.text.clone().unwrap_or_default()),
                    "image" => {
                        images.push(image_part(inner, &inner_at)?);
                        texts.push(IMAGE_MOVED_NOTE.to_owned());
                    }
                    "document" => {
                        for part in document_parts(inner, &inner_at)? {
                            match part.get("text").and_then(Value::as_str) {
                                Some(text) => texts.push(text.to_owned()),
                                None => {
                                    images.push(part);
                                    texts.push(IMAGE_MOVED_NOTE.to_owned());
                                }
                            }
                        }
                    }
                    other => return Err(unsupported(other, &inner_at)),
                }
            }
        }
    }
    let mut text = texts.join("\n");
    if block.is_error == Some(true) {
        text.insert_str(0, ERROR_PREFIX);
    }
    Ok(json!({"role": "tool", "tool_call_id": id, "content": text}))
}

/// An assistant turn as one assistant message.
fn assistant_turn(blocks: &[Block], at: &str) -> Result<Value, ApiError> {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut thinking_blocks = Vec::new();
    let mut tool_calls = Vec::new();
    for (j, block) in blocks.iter().enumerate() {
        let at = format!("{at}[{j}]");
        match block.kind.as_str() {
            "text" => text.push_str(block.text.as_deref().unwrap_or("")),
            "thinking" => {
                let thinking = block.thinking.as_deref().unwrap_or("");
                reasoning.push_str(thinking);
                if let Some(signature) = block.signature.as_deref().filter(|s| !s.is_empty()) {
                    thinking_blocks.push(
                        json!({"type": "thinking", "thinking": thinking, "signature": signature}),
                    );
                }
            }
            "redacted_thinking" => {
                let data = block.data.as_deref().unwrap_or("");
                thinking_blocks.push(json!({"type": "redacted_thinking", "data": data}));
            }
            "tool_use" => tool_calls.push(tool_call(block, &at)?),
            other => return Err(unsupported(other, &at)),
        }
    }
    let content = if text.is_empty() && !tool_calls.is_empty() {
        Value::Null
    } else {
        json!(text)
    };
    let mut message = json!({"role": "assistant", "content": content});
    if let Some(object) = message.as_object_mut() {
        if !reasoning.is_empty() {
            object.insert("reasoning_content".into(), json!(reasoning));
        }
        if !thinking_blocks.is_empty() {
            object.insert("thinking_blocks".into(), Value::Array(thinking_blocks));
        }
        if !tool_calls.is_empty() {
            object.insert("tool_calls".into(), Value::Array(tool_calls));
        }
    }
    Ok(message)
}

/// A `tool_use` block as a chat tool call.
fn tool_call(block: &Block, at: &str) -> Result<Value, ApiError> {
    let (Some(id), Some(name)) = (&block.id, &block.name) else {
        return Err(bad_request(
            "a tool_use block needs `id` and `name`",
            Some(at),
        ));
    };
    let arguments = match &block.input {
        None | Some(Value::Null) => "{}".to_owned(),
        Some(input) => input.to_string(),
    };
    Ok(json!({
        "id": id,
        "type": "function",
        "function": {"name": name, "arguments": arguments}
    }))
}

/// The 400 for a block of a type that cannot be translated where it stands.
fn unsupported(kind: &str, at: &str) -> ApiError {
    bad_request(
        format!("content block type {kind:?} cannot be translated to chat completions here"),
        Some(at),
    )
}
