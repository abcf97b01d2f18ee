//! The chat completions request this dialect writes: borrowed structs serialised
//! straight to JSON. Members come in the order the translation table lists them;
//! absent ones are left out.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{Error as _, SerializeMap, Serializer};
use serde_json::Number;
use serde_json::value::RawValue;

use super::search::WebSearchOptions;
use crate::local_shell;

/// The `type` of chat tools, tool calls and named tool choices.
pub const FUNCTION: &str = "function";

/// A chat completions request body.
#[derive(Debug, Default, Serialize)]
pub struct ChatRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'a str>,
    pub messages: Vec<ChatMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u64>,
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
    pub web_search_options: Option<WebSearchOptions<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
}

/// One chat message.
#[derive(Debug, Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum ChatMessage<'a> {
    /// A system message (`instructions`, `system` and `developer` messages).
    System { content: Cow<'a, str> },
    /// A user message.
    User { content: UserContent<'a> },
    /// An assistant message.
    Assistant(AssistantMessage<'a>),
    /// A tool result.
    Tool {
        tool_call_id: Cow<'a, str>,
        content: Cow<'a, str>,
    },
}

/// A user message's `content`: a string, or parts.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum UserContent<'a> {
    /// One text.
    Text(Cow<'a, str>),
    /// Text, images, audio and files.
    Parts(Vec<Part<'a>>),
}

/// A user content part.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part<'a> {
    /// Text.
    Text { text: Cow<'a, str> },
    /// An image, by URL or `data:` URL.
    ImageUrl { image_url: ImageUrl<'a> },
    /// Audio, as the client sent it (`{data, format}`).
    InputAudio { input_audio: &'a RawValue },
    /// A file as a `data:` URL.
    File { file: File<'a> },
}

/// `image_url`.
#[derive(Debug, Serialize)]
pub struct ImageUrl<'a> {
    pub url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
}

/// `file`.
#[derive(Debug, Serialize)]
pub struct File<'a> {
    pub file_data: Cow<'a, str>,
    pub filename: &'a str,
}

/// An assistant message; empty members are left out.
#[derive(Debug, Default, Serialize)]
pub struct AssistantMessage<'a> {
    /// The text; `null` when the turn only calls tools.
    pub content: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reasoning_content: String,
    /// Signed thinking blocks, for platforms that replay them (`crate::thinking`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub thinking_blocks: Vec<&'a RawValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall<'a>>,
}

/// `tool_calls[]`.
#[derive(Debug, Serialize)]
pub struct ToolCall<'a> {
    pub id: Cow<'a, str>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionCall<'a>,
}

/// `tool_calls[].function`.
#[derive(Debug, Serialize)]
pub struct FunctionCall<'a> {
    pub name: Cow<'a, str>,
    /// The arguments as JSON text.
    pub arguments: Cow<'a, str>,
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
    pub name: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Cow<'a, str>>,
    pub parameters: Parameters<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// A function's `parameters`.
#[derive(Debug, Clone, Copy)]
pub enum Parameters<'a> {
    /// A schema as the client wrote it.
    Schema(&'a RawValue),
    /// No schema: `{"type": "object", "properties": {}}`.
    Empty,
    /// A custom tool's one string parameter, `input` ([`INPUT_DESCRIPTION`]).
    CustomInput,
    /// The `local_shell` tool's parameters ([`local_shell::PARAMETERS`]).
    LocalShell,
}

/// The description of a custom tool's `input` parameter.
pub const INPUT_DESCRIPTION: &str =
    "The tool's whole input as raw text (not JSON), in the format the tool description gives.";

impl Serialize for Parameters<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Schema(schema) => schema.serialize(serializer),
            Self::Empty => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", "object")?;
                map.serialize_entry("properties", &EmptyObject {})?;
                map.end()
            }
            Self::CustomInput => {
                let mut map = serializer.serialize_map(Some(4))?;
                map.serialize_entry("type", "object")?;
                let input = StringProperty {
                    kind: "string",
                    description: INPUT_DESCRIPTION,
                };
                map.serialize_entry("properties", &InputProperties { input })?;
                map.serialize_entry("required", &["input"])?;
                map.serialize_entry("additionalProperties", &false)?;
                map.end()
            }
            Self::LocalShell => local_shell::parameters()
                .ok_or_else(|| S::Error::custom("the local_shell parameters are not JSON"))?
                .serialize(serializer),
        }
    }
}

/// `{}`.
#[derive(Debug, Serialize)]
struct EmptyObject {}

/// `{"input": {...}}`.
#[derive(Debug, Serialize)]
struct InputProperties {
    input: StringProperty,
}

/// `{"type": "string", "description": ...}`.
#[derive(Debug, Serialize)]
struct StringProperty {
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'static str,
}

/// `tool_choice`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ToolChoice<'a> {
    /// `"auto"`, `"required"` or `"none"`.
    Mode(&'static str),
    /// That function.
    Named {
        #[serde(rename = "type")]
        kind: &'static str,
        function: Name<'a>,
    },
}

/// `{"name": ...}`.
#[derive(Debug, Serialize)]
pub struct Name<'a> {
    pub name: Cow<'a, str>,
}

/// `response_format`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat<'a> {
    /// Any JSON object.
    JsonObject,
    /// JSON matching a schema.
    JsonSchema { json_schema: JsonSchema<'a> },
}

/// `response_format.json_schema`.
#[derive(Debug, Serialize)]
pub struct JsonSchema<'a> {
    pub name: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Cow<'a, str>>,
    pub schema: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// `stream_options`.
#[derive(Debug, Serialize)]
pub struct StreamOptions {
    pub include_usage: bool,
}
