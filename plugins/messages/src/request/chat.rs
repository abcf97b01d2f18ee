//! The chat completions request this dialect writes: borrowed structs serialised
//! straight to JSON. Members come in the order the translation table lists them;
//! absent ones are left out.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Number;
use serde_json::value::RawValue;

use crate::message::Block;
use crate::text::Text;

/// The `type` of chat tools, tool calls and named tool choices.
pub const FUNCTION: &str = "function";

/// A chat completions request body.
#[derive(Debug, Default, Serialize)]
pub struct ChatRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'a str>,
    pub messages: Vec<ChatMessage<'a>>,
    pub max_completion_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<&'a [Text<'a>]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<&'a Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<&'a Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
}

/// One chat message.
#[derive(Debug, Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum ChatMessage<'a> {
    /// A system message.
    System { content: &'a str },
    /// A user message.
    User { content: UserContent<'a> },
    /// An assistant message.
    Assistant(AssistantMessage<'a>),
    /// A tool result.
    Tool {
        tool_call_id: &'a str,
        content: String,
    },
}

/// A user message's `content`: a string, or parts.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum UserContent<'a> {
    /// One text.
    Text(&'a str),
    /// Text, images and files.
    Parts(Vec<Part<'a>>),
}

/// A user content part.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part<'a> {
    /// Text.
    Text { text: &'a str },
    /// An image, by URL or `data:` URL.
    ImageUrl { image_url: ImageUrl<'a> },
    /// A file (a PDF) as a `data:` URL.
    File { file: File<'a> },
}

/// `image_url`.
#[derive(Debug, Serialize)]
pub struct ImageUrl<'a> {
    pub url: Cow<'a, str>,
}

/// `file`.
#[derive(Debug, Serialize)]
pub struct File<'a> {
    pub file_data: String,
    pub filename: &'a str,
}

/// An assistant message; empty members are left out.
#[derive(Debug, Default, Serialize)]
pub struct AssistantMessage<'a> {
    /// The text; `null` when the turn only calls tools.
    pub content: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reasoning_content: String,
    /// The turn's thinking blocks as Messages wrote them, for platforms that replay them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub thinking_blocks: Vec<Block<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall<'a>>,
}

/// `tool_calls[]`.
#[derive(Debug, Serialize)]
pub struct ToolCall<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionCall<'a>,
}

/// `tool_calls[].function`.
#[derive(Debug, Serialize)]
pub struct FunctionCall<'a> {
    pub name: &'a str,
    /// The arguments as JSON text.
    pub arguments: &'a str,
}

/// `tools[]`.
#[derive(Debug, Serialize)]
pub struct Tool<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionDef<'a>,
}

/// `tools[].function`.
#[derive(Debug, Serialize)]
pub struct FunctionDef<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub parameters: Parameters<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// A tool's `parameters`.
#[derive(Debug, Clone, Copy)]
pub enum Parameters<'a> {
    /// The tool's `input_schema`, as the client wrote it.
    Schema(&'a RawValue),
    /// No `input_schema`: `{"type": "object", "properties": {}}`.
    None,
}

impl Serialize for Parameters<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Schema(schema) => schema.serialize(serializer),
            Self::None => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", "object")?;
                map.serialize_entry("properties", &EmptyObject {})?;
                map.end()
            }
        }
    }
}

/// `{}`.
#[derive(Debug, Serialize)]
struct EmptyObject {}

/// `tool_choice`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ToolChoice<'a> {
    /// `"auto"`, `"required"` or `"none"`.
    Mode(&'static str),
    /// That tool.
    Named {
        #[serde(rename = "type")]
        kind: &'static str,
        function: Name<'a>,
    },
}

/// `{"name": ...}`.
#[derive(Debug, Serialize)]
pub struct Name<'a> {
    pub name: &'a str,
}

/// `response_format` of a structured output.
#[derive(Debug, Serialize)]
pub struct ResponseFormat<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub json_schema: JsonSchema<'a>,
}

/// `response_format.json_schema`.
#[derive(Debug, Serialize)]
pub struct JsonSchema<'a> {
    pub name: &'static str,
    pub schema: &'a RawValue,
    pub strict: bool,
}

/// `stream_options`.
#[derive(Debug, Serialize)]
pub struct StreamOptions {
    pub include_usage: bool,
}
