//! The platform's side: its request, answer, stream event and error bodies, as JSON.
//!
//! This template's platform speaks OpenAI's dialect (a local inference server, vLLM,
//! llama.cpp's server…), so these types look like OpenAI's; they are written out
//! because they are what you replace when you adapt another platform, while the client
//! side comes ready-made from the kit (`switchyard_guest_kit::openai`). Declare only
//! what you send and read: serde ignores the rest of an answer, so new fields on the
//! platform's side do not break the adapter.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The request body of `POST {base_url}/chat/completions`.
#[derive(Debug, Serialize)]
pub struct ChatRequest {
    /// The platform's model name (the model's `upstream_model`).
    pub model: String,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Functions the model may call.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// `"auto"`, `"none"`, `"required"` or one function.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    /// JSON output: `{"type": "json_object"}` or a schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Output limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    /// Seed for reproducible sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Whether the answer is streamed as server-sent events.
    pub stream: bool,
    /// On streams: ask for a final usage event, so the gateway can count tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
}

/// One message.
#[derive(Debug, Serialize)]
pub struct Message {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: &'static str,
    /// Text, or text and image parts; absent on an assistant turn that only called tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// The calls of an assistant turn.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The call a `tool` message answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

/// Message content.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Content {
    /// Text only.
    Text(String),
    /// Text and images.
    Parts(Vec<Part>),
}

/// A content part.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// An image by URL (`https:` or `data:`).
    ImageUrl {
        /// The image.
        image_url: ImageUrl,
    },
}

/// Where an image is.
#[derive(Debug, Serialize)]
pub struct ImageUrl {
    /// The URL.
    pub url: String,
}

/// A function the model may call.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The function.
    pub function: FunctionDef,
}

/// A function's definition.
#[derive(Debug, Serialize)]
pub struct FunctionDef {
    /// Its name.
    pub name: String,
    /// What it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its parameters' JSON schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

/// A call in an assistant message, sent back with the conversation.
#[derive(Debug, Serialize)]
pub struct ToolCall {
    /// The call's id.
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// What was called.
    pub function: FunctionCall,
}

/// The function of a [`ToolCall`].
#[derive(Debug, Serialize)]
pub struct FunctionCall {
    /// Its name.
    pub name: String,
    /// Its arguments (a JSON object as a string).
    pub arguments: String,
}

/// `stream_options`.
#[derive(Debug, Serialize)]
pub struct StreamOptions {
    /// Send a last event carrying `usage`.
    pub include_usage: bool,
}

/// A whole (non-streamed) answer.
#[derive(Debug, Deserialize)]
pub struct ChatResponse {
    /// Completion id.
    #[serde(default)]
    pub id: Option<String>,
    /// Unix time in seconds.
    #[serde(default)]
    pub created: Option<u64>,
    /// The model that answered.
    #[serde(default)]
    pub model: Option<String>,
    /// The choices.
    pub choices: Vec<Choice>,
    /// Token counts.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// One choice of an answer.
#[derive(Debug, Deserialize)]
pub struct Choice {
    /// The generated message.
    pub message: AnswerMessage,
    /// Why generation stopped.
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// The generated message.
#[derive(Debug, Deserialize)]
pub struct AnswerMessage {
    /// The text.
    #[serde(default)]
    pub content: Option<String>,
    /// Reasoning text, from servers that separate it (vLLM, llama.cpp).
    #[serde(default)]
    pub reasoning_content: Option<String>,
    /// The tools called.
    #[serde(default)]
    pub tool_calls: Vec<AnswerToolCall>,
}

/// A call in an answer.
#[derive(Debug, Deserialize)]
pub struct AnswerToolCall {
    /// The call's id.
    #[serde(default)]
    pub id: Option<String>,
    /// What was called.
    pub function: AnswerFunction,
}

/// The function of an [`AnswerToolCall`] or a streamed [`ToolCallDelta`]; streamed
/// fragments after the first carry arguments only.
#[derive(Debug, Default, Deserialize)]
pub struct AnswerFunction {
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its arguments, or a fragment of them.
    #[serde(default)]
    pub arguments: Option<String>,
}

/// One streamed event's data: a chunk, or an error reported after the stream began.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum StreamData {
    /// `{"error": {...}}`.
    Error(ErrorBody),
    /// A chunk.
    Chunk(Chunk),
}

/// A streamed chunk.
#[derive(Debug, Deserialize)]
pub struct Chunk {
    /// Completion id.
    #[serde(default)]
    pub id: Option<String>,
    /// Unix time in seconds.
    #[serde(default)]
    pub created: Option<u64>,
    /// The model that answered.
    #[serde(default)]
    pub model: Option<String>,
    /// The deltas; empty in the usage event.
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    /// Token counts, in the last event (asked for with `stream_options`).
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// One choice's delta.
#[derive(Debug, Deserialize)]
pub struct ChunkChoice {
    /// What this event adds.
    #[serde(default)]
    pub delta: Delta,
    /// Set in the choice's last event.
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// What an event adds.
#[derive(Debug, Default, Deserialize)]
pub struct Delta {
    /// More text.
    #[serde(default)]
    pub content: Option<String>,
    /// More reasoning text.
    #[serde(default)]
    pub reasoning_content: Option<String>,
    /// Tool call starts and argument fragments.
    #[serde(default)]
    pub tool_calls: Vec<ToolCallDelta>,
}

/// A tool call start (with id and name) or a fragment of its arguments.
#[derive(Debug, Deserialize)]
pub struct ToolCallDelta {
    /// Which call of the answer this is.
    #[serde(default)]
    pub index: u64,
    /// The call's id, on its start.
    #[serde(default)]
    pub id: Option<String>,
    /// The name (on the start) and arguments.
    #[serde(default)]
    pub function: AnswerFunction,
}

/// Token counts.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    #[serde(default)]
    pub prompt_tokens: u32,
    /// Generated tokens.
    #[serde(default)]
    pub completion_tokens: u32,
}

/// An error body: `{"error": {"message", "type", "param", "code"}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The inside of an error body.
#[derive(Debug, Deserialize)]
pub struct ErrorDetail {
    /// What went wrong.
    #[serde(default)]
    pub message: String,
    /// The error's type, e.g. `invalid_request_error`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The parameter at fault.
    #[serde(default)]
    pub param: Option<String>,
    /// A code: a string for OpenAI, sometimes a number for compatible servers.
    #[serde(default)]
    pub code: Option<Value>,
}
