//! OpenAI request body → Coze v3 upstream request: `POST /v3/chat` with the whole
//! history, or, when the conversation ends with tool results for a chat this adapter
//! paused, `POST /v3/chat/submit_tool_outputs`. Both are always streamed upstream
//! (see [`FRAMING`]).

use serde::{Deserialize, Serialize};
use switchyard_guest_kit::error::bad_request;
use switchyard_guest_kit::options::option;
use switchyard_guest_kit::url::encode;
use switchyard_guest_kit::{ApiError, CallContext, Method, StreamFraming, UpstreamRequest};

use super::tool_id::ToolCallId;

/// Create-chat path.
pub const CHAT_PATH: &str = "/v3/chat";
/// Submit-tool-outputs path (query `conversation_id`, `chat_id`).
pub const SUBMIT_TOOL_OUTPUTS_PATH: &str = "/v3/chat/submit_tool_outputs";
/// Option: `merge` (default) or `reject` for system and developer messages.
pub const OPTION_SYSTEM_MESSAGES: &str = "system-messages";
/// Coze takes at most this many `additional_messages`.
pub const MAX_MESSAGES: usize = 100;
/// `user_id` when neither the request nor the host names the caller.
pub const FALLBACK_USER_ID: &str = "switchyard";

/// How the upstream answer is framed: SSE (`event:`/`data:` lines, blank-line
/// separated). A failing stream request is answered with a JSON body
/// (`{"code":4100,…}`, `application/json`) instead of events; the host hands any 2xx
/// answer that is not `text/event-stream` to `transform-response` whole, where
/// [`super::response`] maps it by its Coze code.
pub const FRAMING: StreamFraming = StreamFraming::Sse;

#[derive(Deserialize)]
struct ChatRequest {
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    n: Option<u64>,
}

#[derive(Deserialize)]
struct Message {
    role: String,
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    tool_call_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Deserialize)]
struct Part {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    image_url: Option<ImageUrl>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ImageUrl {
    Object { url: String },
    Url(String),
}

/// The create-chat body.
#[derive(Debug, Serialize)]
pub struct CreateChat<'a> {
    /// The bot answering.
    pub bot_id: &'a str,
    /// The caller, as Coze keeps it.
    pub user_id: &'a str,
    /// Always `true`.
    pub stream: bool,
    /// Kept `true`, Coze's default.
    pub auto_save_history: bool,
    /// The conversation so far, ending with the user's question.
    pub additional_messages: Vec<CozeMessage>,
}

/// One `additional_messages` entry.
#[derive(Debug, Serialize)]
pub struct CozeMessage {
    /// `user` or `assistant`.
    pub role: &'static str,
    /// `question` or `answer`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Text, or a JSON-encoded list of parts for `object_string`.
    pub content: String,
    /// `text` or `object_string`.
    pub content_type: &'static str,
}

/// The submit-tool-outputs body.
#[derive(Debug, Serialize)]
pub struct SubmitToolOutputs {
    /// One output per tool call.
    pub tool_outputs: Vec<ToolOutput>,
    /// Always `true`.
    pub stream: bool,
}

/// One tool result.
#[derive(Debug, Serialize)]
pub struct ToolOutput {
    /// Coze's id of the call.
    pub tool_call_id: String,
    /// The result text.
    pub output: String,
}

/// Builds the upstream request for one call.
pub fn from_openai(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    let request: ChatRequest = serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("the request body is not a chat request: {e}"), None))?;
    if request.n.is_some_and(|n| n > 1) {
        return Err(bad_request(
            "Coze bots answer with one choice; `n` must be 1",
            Some("n"),
        ));
    }
    if request.messages.is_empty() {
        return Err(bad_request(
            "`messages` must not be empty",
            Some("messages"),
        ));
    }
    let trailing_tools = request
        .messages
        .iter()
        .rev()
        .take_while(|m| m.role == "tool")
        .count();
    let (history, tools) = request
        .messages
        .split_at(request.messages.len() - trailing_tools);
    let (path_and_query, body) = if tools.is_empty() {
        let user_id = request
            .user
            .as_deref()
            .filter(|u| !u.is_empty())
            .or(Some(ctx.client_id.as_str()).filter(|c| !c.is_empty()))
            .unwrap_or(FALLBACK_USER_ID);
        let chat = CreateChat {
            bot_id: &ctx.upstream_model,
            user_id,
            stream: true,
            auto_save_history: true,
            additional_messages: additional_messages(ctx, history)?,
        };
        (CHAT_PATH.to_owned(), serde_json::to_vec(&chat))
    } else {
        let (target, outputs) = tool_outputs(tools)?;
        let query = format!(
            "{SUBMIT_TOOL_OUTPUTS_PATH}?conversation_id={}&chat_id={}",
            encode(&target.conversation_id),
            encode(&target.chat_id)
        );
        let submit = SubmitToolOutputs {
            tool_outputs: outputs,
            stream: true,
        };
        (query, serde_json::to_vec(&submit))
    };
    let body = body.map_err(|e| bad_request(format!("cannot write the request: {e}"), None))?;
    Ok(UpstreamRequest {
        method: Method::Post,
        path_and_query,
        headers: Vec::new(),
        body,
        response_framing: Some(FRAMING),
        credential: None,
    })
}

/// The history as Coze messages, system text merged or refused per the option.
fn additional_messages(
    ctx: &CallContext,
    messages: &[Message],
) -> Result<Vec<CozeMessage>, ApiError> {
    let reject_system = match option(ctx, OPTION_SYSTEM_MESSAGES).map(str::trim) {
        None | Some("merge") => false,
        Some("reject") => true,
        Some(other) => {
            let mut e = switchyard_guest_kit::error::bad_gateway(format!(
                "Coze model configuration: option `{OPTION_SYSTEM_MESSAGES}` is `{other}`; expected `merge` or `reject`"
            ));
            e.status = 500;
            return Err(e);
        }
    };
    let mut system = Vec::new();
    let mut out = Vec::with_capacity(messages.len());
    for (i, message) in messages.iter().enumerate() {
        let param = format!("messages[{i}]");
        match message.role.as_str() {
            "system" | "developer" => {
                if reject_system {
                    return Err(bad_request(
                        "Coze has no system role: set the bot's persona on Coze, or remove system messages (this model has `system-messages = \"reject\"`)",
                        Some(&param),
                    ));
                }
                let text = text_of(message.content.as_ref(), &param)?;
                if !text.is_empty() {
                    system.push(text);
                }
            }
            "user" => out.push(user_message(message.content.as_ref(), &param)?),
            "assistant" => {
                let text = text_of(message.content.as_ref(), &param)?;
                // An assistant turn that only called tools cannot be replayed to Coze.
                if !text.is_empty() {
                    out.push(CozeMessage {
                        role: "assistant",
                        kind: "answer",
                        content: text,
                        content_type: "text",
                    });
                }
            }
            // Earlier tool rounds happened on Coze's side; the answers after them stay.
            "tool" | "function" => {}
            other => {
                return Err(bad_request(
                    format!("unknown message role `{other}`"),
                    Some(&format!("{param}.role")),
                ));
            }
        }
    }
    if out.last().is_none_or(|m| m.role != "user") {
        return Err(bad_request(
            "Coze answers the last user message: the conversation must end with a user message (or with tool results)",
            Some("messages"),
        ));
    }
    if out.len() > MAX_MESSAGES {
        return Err(bad_request(
            format!(
                "Coze takes at most {MAX_MESSAGES} messages; this conversation has {}",
                out.len()
            ),
            Some("messages"),
        ));
    }
    if !system.is_empty() {
        let system = system.join("\n\n");
        if let Some(first) = out.iter_mut().find(|m| m.role == "user") {
            prepend(first, &system)?;
        }
    }
    Ok(out)
}

/// Puts the system text before a user message's own content.
fn prepend(message: &mut CozeMessage, system: &str) -> Result<(), ApiError> {
    if message.content_type == "text" {
        message.content = format!("{system}\n\n{}", message.content);
        return Ok(());
    }
    let mut parts: Vec<serde_json::Value> = serde_json::from_str(&message.content)
        .map_err(|e| bad_request(format!("cannot merge the system message: {e}"), None))?;
    parts.insert(0, serde_json::json!({"type": "text", "text": system}));
    message.content = serde_json::to_string(&parts)
        .map_err(|e| bad_request(format!("cannot merge the system message: {e}"), None))?;
    Ok(())
}

/// A user turn: plain text, or `object_string` when it has images.
fn user_message(content: Option<&Content>, param: &str) -> Result<CozeMessage, ApiError> {
    let text = |content: String| CozeMessage {
        role: "user",
        kind: "question",
        content,
        content_type: "text",
    };
    let parts = match content {
        None => return Ok(text(String::new())),
        Some(Content::Text(t)) => return Ok(text(t.clone())),
        Some(Content::Parts(parts)) => parts,
    };
    if parts.iter().all(|p| p.kind == "text") {
        return text_of(content, param).map(text);
    }
    let mut objects = Vec::with_capacity(parts.len());
    for (j, part) in parts.iter().enumerate() {
        let part_param = format!("{param}.content[{j}]");
        match (part.kind.as_str(), &part.image_url) {
            ("text", _) => objects.push(serde_json::json!({
                "type": "text",
                "text": part.text.as_deref().unwrap_or_default(),
            })),
            ("image_url", Some(ImageUrl::Object { url } | ImageUrl::Url(url)))
                if url.starts_with("http://") || url.starts_with("https://") =>
            {
                objects.push(serde_json::json!({"type": "image", "file_url": url}));
            }
            ("image_url", _) => {
                return Err(bad_request(
                    "Coze takes images by http(s) URL only (a data URL would need an upload to Coze first)",
                    Some(&part_param),
                ));
            }
            (other, _) => {
                return Err(bad_request(
                    format!("content part type `{other}` is not supported by Coze"),
                    Some(&part_param),
                ));
            }
        }
    }
    let content = serde_json::to_string(&objects)
        .map_err(|e| bad_request(format!("cannot write the message: {e}"), Some(param)))?;
    Ok(CozeMessage {
        role: "user",
        kind: "question",
        content,
        content_type: "object_string",
    })
}

/// The text of a message: a string, or its text parts joined by newlines.
fn text_of(content: Option<&Content>, param: &str) -> Result<String, ApiError> {
    match content {
        None => Ok(String::new()),
        Some(Content::Text(text)) => Ok(text.clone()),
        Some(Content::Parts(parts)) => {
            let mut texts = Vec::with_capacity(parts.len());
            for part in parts {
                match (part.kind.as_str(), &part.text) {
                    ("text", Some(text)) => texts.push(text.as_str()),
                    ("text", None) => {}
                    (other, _) => {
                        return Err(bad_request(
                            format!(
                                "content part type `{other}` is only supported in user messages"
                            ),
                            Some(param),
                        ));
                    }
                }
            }
            Ok(texts.join("\n"))
        }
    }
}

/// The chat the trailing tool messages answer, and their outputs.
fn tool_outputs(tools: &[Message]) -> Result<(ToolCallId, Vec<ToolOutput>), ApiError> {
    let mut target: Option<ToolCallId> = None;
    let mut outputs = Vec::with_capacity(tools.len());
    for message in tools {
        let raw_id = message.tool_call_id.as_deref().unwrap_or_default();
        let Some(id) = ToolCallId::decode(raw_id) else {
            return Err(bad_request(
                format!("`tool_call_id` `{raw_id}` was not issued by this gateway for a Coze chat"),
                Some("messages"),
            ));
        };
        match &target {
            Some(t) if t.conversation_id != id.conversation_id || t.chat_id != id.chat_id => {
                return Err(bad_request(
                    "the tool results answer tool calls of different Coze chats",
                    Some("messages"),
                ));
            }
            Some(_) => {}
            None => target = Some(id.clone()),
        }
        outputs.push(ToolOutput {
            tool_call_id: id.call_id,
            output: text_of(message.content.as_ref(), "messages")?,
        });
    }
    let target = target.ok_or_else(|| bad_request("no tool results", Some("messages")))?;
    Ok((target, outputs))
}

#[cfg(test)]
mod tests;
