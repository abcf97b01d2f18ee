//! The OpenAI side: the parts of a chat request this adapter reads, and the
//! `chat.completion` / `chat.completion.chunk` objects it writes.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The fields of `POST /v1/chat/completions` this adapter reads.
#[derive(Debug, Deserialize)]
pub struct ChatRequest {
    /// The conversation.
    pub messages: Vec<Message>,
    /// Sampling temperature.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Random seed.
    #[serde(default)]
    pub seed: Option<i64>,
    /// Output limit, older name.
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Output limit, current name; wins over `max_tokens`.
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    /// Stop sequences.
    #[serde(default)]
    pub stop: Option<Stop>,
    /// Completions to generate; Ollama makes one.
    #[serde(default)]
    pub n: Option<u32>,
    /// Functions the model may call.
    #[serde(default)]
    pub tools: Option<Vec<Tool>>,
    /// `none`, `auto`, `required` or a named function.
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    /// JSON output.
    #[serde(default)]
    pub response_format: Option<ResponseFormat>,
}

/// One message of the conversation.
#[derive(Debug, Deserialize)]
pub struct Message {
    /// `system`, `developer`, `user`, `assistant` or `tool`.
    pub role: String,
    /// Text or parts; `null` on an assistant turn that only called tools.
    #[serde(default)]
    pub content: Option<Content>,
    /// An assistant turn's tool calls.
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// A tool result's call id.
    #[serde(default)]
    pub tool_call_id: Option<String>,
}

/// Message content.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    /// Plain text.
    Text(String),
    /// Typed parts.
    Parts(Vec<Part>),
}

/// One content part.
#[derive(Debug, Deserialize)]
pub struct Part {
    /// `text`, `image_url`, `input_audio`, `file`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A `text` part's text.
    #[serde(default)]
    pub text: Option<String>,
    /// An `image_url` part's image.
    #[serde(default)]
    pub image_url: Option<ImageUrl>,
}

/// `image_url`.
#[derive(Debug, Deserialize)]
pub struct ImageUrl {
    /// A `data:` URL (or an http(s) URL, which Ollama cannot fetch).
    pub url: String,
}

/// A tool call in an assistant turn.
#[derive(Debug, Deserialize)]
pub struct ToolCall {
    /// The call's id, which `tool` messages refer to.
    #[serde(default)]
    pub id: Option<String>,
    /// The function.
    pub function: FunctionCall,
}

/// A called function; `arguments` is a JSON object encoded as a string.
#[derive(Debug, Deserialize)]
pub struct FunctionCall {
    /// Function name.
    pub name: String,
    /// JSON text of the arguments object.
    #[serde(default)]
    pub arguments: String,
}

/// A tool definition.
#[derive(Debug, Deserialize)]
pub struct Tool {
    /// `function` (the only kind).
    #[serde(rename = "type")]
    pub kind: String,
    /// The function.
    pub function: FunctionDef,
}

/// A function definition.
#[derive(Debug, Deserialize)]
pub struct FunctionDef {
    /// Name.
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
    /// JSON schema of the arguments.
    #[serde(default)]
    pub parameters: Option<Box<RawValue>>,
}

/// `tool_choice`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    /// `none`, `auto` or `required`.
    Mode(String),
    /// `{"type": "function", "function": {"name": …}}`.
    Named(serde::de::IgnoredAny),
}

/// `response_format`. A struct, not a tagged enum: serde cannot hand a schema kept
/// as raw JSON through the buffering a tagged enum needs.
#[derive(Debug, Deserialize)]
pub struct ResponseFormat {
    /// `text`, `json_object` or `json_schema`.
    #[serde(rename = "type")]
    pub kind: String,
    /// With `json_schema`: the schema and its name.
    #[serde(default)]
    pub json_schema: Option<JsonSchema>,
}

/// `response_format.json_schema`.
#[derive(Debug, Deserialize)]
pub struct JsonSchema {
    /// The schema itself.
    #[serde(default)]
    pub schema: Option<Box<RawValue>>,
}

/// `stop`: one sequence or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    /// One sequence.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl Stop {
    /// The sequences as a list.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Stop::One(one) => vec![one],
            Stop::Many(many) => many,
        }
    }
}

/// A `chat.completion` object.
#[derive(Debug, Serialize)]
pub struct ChatCompletion {
    /// Completion id.
    pub id: String,
    /// Always `chat.completion`.
    pub object: &'static str,
    /// Unix time in seconds.
    pub created: u64,
    /// The model that answered.
    pub model: String,
    /// The one choice.
    pub choices: Vec<Choice>,
    /// Token counts.
    pub usage: CompletionUsage,
}

/// The choice of a completion.
#[derive(Debug, Serialize)]
pub struct Choice {
    /// Always 0.
    pub index: u32,
    /// The assistant's message.
    pub message: AssistantMessage,
    /// `stop`, `length` or `tool_calls`.
    pub finish_reason: &'static str,
}

/// The assistant's message.
#[derive(Debug, Serialize)]
pub struct AssistantMessage {
    /// Always `assistant`.
    pub role: &'static str,
    /// The text; `null` when the model only called tools.
    pub content: Option<String>,
    /// A thinking model's reasoning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Tools the model wants called.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallOut>,
}

/// A tool call as OpenAI returns it.
#[derive(Debug, Serialize)]
pub struct ToolCallOut {
    /// Position among the calls (in chunks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// The call's id (synthesised: Ollama sends none).
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The function.
    pub function: FunctionCallOut,
}

/// A called function with its arguments as JSON text.
#[derive(Debug, Serialize)]
pub struct FunctionCallOut {
    /// Function name.
    pub name: String,
    /// Arguments, a JSON object as a string.
    pub arguments: String,
}

/// A `chat.completion.chunk` object.
#[derive(Debug, Serialize)]
pub struct ChatChunk {
    /// The stream's completion id.
    pub id: String,
    /// Always `chat.completion.chunk`.
    pub object: &'static str,
    /// Unix time in seconds.
    pub created: u64,
    /// The model that answered.
    pub model: String,
    /// The delta; empty in the usage chunk.
    pub choices: Vec<ChunkChoice>,
    /// Token counts, only in the usage chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<CompletionUsage>,
}

/// The choice's delta in a chunk.
#[derive(Debug, Serialize)]
pub struct ChunkChoice {
    /// Always 0.
    pub index: u32,
    /// What this chunk adds.
    pub delta: Delta,
    /// Set in the last chunk with a choice.
    pub finish_reason: Option<&'static str>,
}

/// What a chunk adds.
#[derive(Debug, Default, Serialize)]
pub struct Delta {
    /// `assistant`, in the first chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    /// More text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// More reasoning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Tool calls, each whole in one chunk.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallOut>,
}

impl Delta {
    /// Whether the delta says nothing.
    pub fn is_empty(&self) -> bool {
        self.role.is_none()
            && self.content.is_none()
            && self.reasoning_content.is_none()
            && self.tool_calls.is_empty()
    }
}

/// OpenAI `usage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CompletionUsage {
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generated tokens.
    pub completion_tokens: u32,
    /// Their sum.
    pub total_tokens: u32,
}

impl CompletionUsage {
    /// Usage from the two counts.
    pub fn new(prompt_tokens: u32, completion_tokens: u32) -> Self {
        CompletionUsage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens.saturating_add(completion_tokens),
        }
    }
}

impl From<CompletionUsage> for crate::Usage {
    fn from(usage: CompletionUsage) -> Self {
        crate::Usage {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            cached_tokens: None,
            reasoning_tokens: None,
        }
    }
}
