//! OpenAI `messages` → Anthropic `system` and `messages`.
//!
//! - `system` and `developer` messages, wherever they stand, become `system` text blocks.
//! - Every turn becomes content blocks; empty text is dropped, and a turn left with no
//!   blocks disappears.
//! - `tool` messages become `tool_result` blocks in a user turn.
//! - Consecutive turns of one role are merged, so all tool results of one assistant
//!   turn land in one user message, `tool_result` blocks first.

use serde::Deserialize;
use serde_json::{Value, json};
use switchyard_guest_kit::ApiError;
use switchyard_guest_kit::error::bad_request;

/// Image media types Anthropic accepts in base64 sources.
pub const IMAGE_MEDIA_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// One OpenAI chat message.
#[derive(Debug, Deserialize)]
pub struct Message {
    role: String,
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
    #[serde(default)]
    tool_call_id: Option<String>,
    /// Thinking blocks an assistant turn came with (`thinking` with its signature,
    /// `redacted_thinking`), echoed by the client; they go back first and unmodified.
    #[serde(default)]
    thinking_blocks: Option<Vec<Value>>,
}

/// `content`: a string or an array of parts.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<Part>),
}

/// One content part (`text`, `image_url`, `refusal`, ...).
#[derive(Debug, Deserialize)]
struct Part {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    image_url: Option<ImageUrl>,
    /// `file`: `{"file_data": "data:application/pdf;base64,…", "filename": …}`.
    #[serde(default)]
    file: Option<FilePart>,
    /// Anthropic's prompt-caching breakpoint, which OpenAI clients that know Claude
    /// (LiteLLM's convention) put on a part; kept on the block it becomes.
    #[serde(default)]
    cache_control: Option<Value>,
}

/// A `file` part's payload.
#[derive(Debug, Deserialize)]
struct FilePart {
    #[serde(default)]
    file_data: Option<String>,
    #[serde(default)]
    file_id: Option<String>,
}

/// `image_url`: `{"url": ..}` as OpenAI documents it, or a bare string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ImageUrl {
    Object { url: String },
    Url(String),
}

/// One `tool_calls[]` entry of an assistant message.
#[derive(Debug, Deserialize)]
struct ToolCall {
    id: String,
    function: FunctionCall,
}

/// `tool_calls[].function`.
#[derive(Debug, Deserialize)]
struct FunctionCall {
    name: String,
    #[serde(default)]
    arguments: Option<String>,
}

/// The translated conversation.
#[derive(Debug, Default)]
pub struct Converted {
    /// Top-level `system` text blocks.
    pub system: Vec<Value>,
    /// Anthropic `messages`, roles alternating.
    pub turns: Vec<Value>,
}

/// Translates the OpenAI messages.
pub fn convert(messages: &[Message]) -> Result<Converted, ApiError> {
    if messages.is_empty() {
        return Err(bad_request(
            "`messages` must not be empty",
            Some("messages"),
        ));
    }
    let mut system = Vec::new();
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let at = |field: &str| format!("messages[{i}]{field}");
        match message.role.as_str() {
            "system" | "developer" => system.extend(text_blocks(message, &at(".content"))?),
            "user" => push(&mut turns, "user", user_blocks(message, &at(".content"))?),
            "assistant" => push(&mut turns, "assistant", assistant_blocks(message, i)?),
            "tool" => push(&mut turns, "user", vec![tool_result(message, i)?]),
            other => {
                return Err(bad_request(
                    format!("unsupported message role {other:?} in messages[{i}]"),
                    Some(&at(".role")),
                ));
            }
        }
    }
    if turns.is_empty() {
        return Err(bad_request(
            "`messages` needs at least one non-empty user or assistant message",
            Some("messages"),
        ));
    }
    let turns = turns
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();
    Ok(Converted { system, turns })
}

/// Appends `blocks` as a turn of `role`, merged into the previous turn of the same
/// role. `tool_result` blocks go before the other blocks of a user turn.
fn push(turns: &mut Vec<(&'static str, Vec<Value>)>, role: &'static str, blocks: Vec<Value>) {
    if blocks.is_empty() {
        return;
    }
    match turns.last_mut() {
        Some((last, content)) if *last == role => {
            for block in blocks {
                if is_tool_result(&block) {
                    let at = content.iter().take_while(|b| is_tool_result(b)).count();
                    content.insert(at, block);
                } else {
                    content.push(block);
                }
            }
        }
        _ => turns.push((role, blocks)),
    }
}

fn is_tool_result(block: &Value) -> bool {
    block.get("type").and_then(Value::as_str) == Some("tool_result")
}

/// `block` with the part's `cache_control`, when it has one.
fn cached(block: Option<Value>, part: &Part) -> Option<Value> {
    let mut block = block?;
    if let (Some(cache), Some(object)) = (&part.cache_control, block.as_object_mut()) {
        object.insert("cache_control".into(), cache.clone());
    }
    Some(block)
}

fn text_block(text: &str) -> Option<Value> {
    (!text.is_empty()).then(|| json!({"type": "text", "text": text}))
}

/// Text-only content (system, developer): text blocks, empty ones dropped.
fn text_blocks(message: &Message, at: &str) -> Result<Vec<Value>, ApiError> {
    match &message.content {
        None => Ok(Vec::new()),
        Some(Content::Text(text)) => Ok(text_block(text).into_iter().collect()),
        Some(Content::Parts(parts)) => {
            let mut blocks = Vec::new();
            for (j, part) in parts.iter().enumerate() {
                match part.kind.as_str() {
                    "text" => {
                        blocks.extend(cached(text_block(part.text.as_deref().unwrap_or("")), part))
                    }
                    other => return Err(unsupported_part(other, &format!("{at}[{j}]"))),
                }
            }
            Ok(blocks)
        }
    }
}

/// User content: text and images.
fn user_blocks(message: &Message, at: &str) -> Result<Vec<Value>, ApiError> {
    match &message.content {
        None => Ok(Vec::new()),
        Some(Content::Text(text)) => Ok(text_block(text).into_iter().collect()),
        Some(Content::Parts(parts)) => parts_to_blocks(parts, at),
    }
}

/// Text and image parts as blocks.
fn parts_to_blocks(parts: &[Part], at: &str) -> Result<Vec<Value>, ApiError> {
    let mut blocks = Vec::new();
    for (j, part) in parts.iter().enumerate() {
        let here = format!("{at}[{j}]");
        match part.kind.as_str() {
            "text" => blocks.extend(cached(text_block(part.text.as_deref().unwrap_or("")), part)),
            "file" => blocks.extend(cached(Some(document(part.file.as_ref(), &here)?), part)),
            "image_url" => {
                let url = match &part.image_url {
                    Some(ImageUrl::Object { url } | ImageUrl::Url(url)) => url,
                    None => {
                        return Err(bad_request(
                            "an `image_url` part needs `image_url.url`",
                            Some(&here),
                        ));
                    }
                };
                blocks.extend(cached(Some(image(url, &here)?), part));
            }
            other => return Err(unsupported_part(other, &here)),
        }
    }
    Ok(blocks)
}

/// An image block: a data URL as a base64 source, an http(s) URL as a url source.
pub fn image(url: &str, at: &str) -> Result<Value, ApiError> {
    if url.starts_with("https://") || url.starts_with("http://") {
        return Ok(json!({"type": "image", "source": {"type": "url", "url": url}}));
    }
    let Some(rest) = url.strip_prefix("data:") else {
        return Err(bad_request(
            "an image URL must be an http(s) URL or a base64 data URL",
            Some(at),
        ));
    };
    let Some((meta, data)) = rest.split_once(',') else {
        return Err(bad_request("malformed data URL: no `,`", Some(at)));
    };
    let mut meta = meta.split(';');
    let media_type = meta.next().unwrap_or("").trim().to_ascii_lowercase();
    if !meta.any(|p| p.trim().eq_ignore_ascii_case("base64")) {
        return Err(bad_request(
            "image data URLs must be base64-encoded (`data:image/png;base64,...`)",
            Some(at),
        ));
    }
    if !IMAGE_MEDIA_TYPES.contains(&media_type.as_str()) {
        return Err(bad_request(
            format!(
                "image type {media_type:?} is not supported by Anthropic; use image/jpeg, image/png, image/gif or image/webp"
            ),
            Some(at),
        ));
    }
    Ok(json!({
        "type": "image",
        "source": {"type": "base64", "media_type": media_type, "data": data}
    }))
}

/// The thinking blocks an assistant message carries, checked for their shape only: a
/// `thinking` block needs its text and signature, a `redacted_thinking` block its data.
fn thinking_blocks(message: &Message, i: usize) -> Result<Vec<Value>, ApiError> {
    let mut blocks = Vec::new();
    for (k, block) in message.thinking_blocks.iter().flatten().enumerate() {
        let has = |field: &str| block.get(field).is_some_and(Value::is_string);
        let kind = block.get("type").and_then(Value::as_str);
        let whole = match kind {
            Some("thinking") => has("thinking") && has("signature"),
            Some("redacted_thinking") => has("data"),
            _ => false,
        };
        if !whole {
            return Err(bad_request(
                "a thinking block is {\"type\": \"thinking\", \"thinking\", \"signature\"} or {\"type\": \"redacted_thinking\", \"data\"}, as the answer gave it",
                Some(&format!("messages[{i}].thinking_blocks[{k}]")),
            ));
        }
        blocks.push(block.clone());
    }
    Ok(blocks)
}

/// Assistant content: echoed thinking blocks, text (and refusals), then one `tool_use`
/// per tool call.
fn assistant_blocks(message: &Message, i: usize) -> Result<Vec<Value>, ApiError> {
    let at = format!("messages[{i}].content");
    let mut blocks = thinking_blocks(message, i)?;
    blocks.extend(match &message.content {
        None => Vec::new(),
        Some(Content::Text(text)) => text_block(text).into_iter().collect(),
        Some(Content::Parts(parts)) => {
            let mut blocks = Vec::new();
            for (j, part) in parts.iter().enumerate() {
                match part.kind.as_str() {
                    "text" => {
                        blocks.extend(cached(text_block(part.text.as_deref().unwrap_or("")), part))
                    }
                    "refusal" => blocks.extend(cached(
                        text_block(part.refusal.as_deref().unwrap_or("")),
                        part,
                    )),
                    other => return Err(unsupported_part(other, &format!("{at}[{j}]"))),
                }
            }
            blocks
        }
    });
    for (k, call) in message.tool_calls.iter().flatten().enumerate() {
        let arguments = call.function.arguments.as_deref().unwrap_or("").trim();
        let input: Value = if arguments.is_empty() {
            json!({})
        } else {
            serde_json::from_str(arguments).map_err(|e| {
                bad_request(
                    format!("tool call arguments are not valid JSON: {e}"),
                    Some(&format!("messages[{i}].tool_calls[{k}].function.arguments")),
                )
            })?
        };
        if !input.is_object() {
            return Err(bad_request(
                "tool call arguments must be a JSON object",
                Some(&format!("messages[{i}].tool_calls[{k}].function.arguments")),
            ));
        }
        blocks.push(json!({
            "type": "tool_use",
            "id": call.id,
            "name": call.function.name,
            "input": input
        }));
    }
    Ok(blocks)
}

/// A `tool` message as a `tool_result` block.
fn tool_result(message: &Message, i: usize) -> Result<Value, ApiError> {
    let Some(id) = message.tool_call_id.as_deref().filter(|id| !id.is_empty()) else {
        return Err(bad_request(
            "a `tool` message needs `tool_call_id`",
            Some(&format!("messages[{i}].tool_call_id")),
        ));
    };
    let mut block = json!({"type": "tool_result", "tool_use_id": id});
    let content = match &message.content {
        None => None,
        Some(Content::Text(text)) => (!text.is_empty()).then(|| json!(text)),
        Some(Content::Parts(parts)) => {
            let blocks = parts_to_blocks(parts, &format!("messages[{i}].content"))?;
            (!blocks.is_empty()).then_some(Value::Array(blocks))
        }
    };
    if let (Some(content), Some(object)) = (content, block.as_object_mut()) {
        object.insert("content".into(), content);
    }
    Ok(block)
}

/// A `file` part as a `document` block: a PDF as base64, plain text as text. An OpenAI
/// `file_id` names a file in OpenAI's storage, which Anthropic cannot read.
fn document(file: Option<&FilePart>, at: &str) -> Result<Value, ApiError> {
    let data = match file {
        Some(FilePart {
            file_data: Some(data),
            ..
        }) => data,
        Some(FilePart {
            file_id: Some(_), ..
        }) => {
            return Err(bad_request(
                "a `file_id` names a file stored at OpenAI, which Anthropic cannot read: send the file inline as `file_data` (`data:application/pdf;base64,...`)",
                Some(at),
            ));
        }
        _ => {
            return Err(bad_request(
                "a `file` part needs `file.file_data` (`data:application/pdf;base64,...`)",
                Some(at),
            ));
        }
    };
    let parsed = data
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(";base64,"));
    match parsed {
        Some(("application/pdf", base64)) => Ok(json!({
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": base64}
        })),
        Some(("text/plain", base64)) => {
            use base64::Engine as _;
            let text = base64::engine::general_purpose::STANDARD
                .decode(base64)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| bad_request("the text file is not base64 UTF-8", Some(at)))?;
            Ok(json!({
                "type": "document",
                "source": {"type": "text", "media_type": "text/plain", "data": text}
            }))
        }
        Some((other, _)) => Err(bad_request(
            format!(
                "file type {other:?} is not supported by Anthropic; send a PDF (application/pdf) or plain text"
            ),
            Some(at),
        )),
        None => Err(bad_request(
            "`file.file_data` must be a base64 data URL (`data:application/pdf;base64,...`)",
            Some(at),
        )),
    }
}

fn unsupported_part(kind: &str, at: &str) -> ApiError {
    bad_request(
        format!("content part type {kind:?} is not supported by the Anthropic adapter"),
        Some(at),
    )
}
