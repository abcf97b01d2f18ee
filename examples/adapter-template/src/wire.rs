//! The platform's side: its request, answer, stream event and error bodies, as JSON.
//!
//! This template's platform speaks OpenAI's dialect (a local inference server,
//! vLLM, llama.cpp's server…), so these types look like those in `openai.rs`; they
//! are kept apart because they change when you adapt another platform, and the
//! OpenAI side does not. Declare only what you send and read: serde ignores the rest
//! of an answer, so new fields on the platform's side do not break the adapter.

use serde::{Deserialize, Serialize};

/// The request body of `POST {base_url}/chat/completions`.
#[derive(Debug, Serialize)]
pub struct ChatRequest {
    /// The platform's model name (the model's `upstream_model`).
    pub model: String,
    /// The conversation, text only.
    pub messages: Vec<Message>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    /// Whether the answer is streamed as server-sent events.
    pub stream: bool,
    /// On streams: ask for a final usage event, so the gateway can count tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
}

/// One message.
#[derive(Debug, Serialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
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
    pub id: String,
    /// Unix time in seconds.
    #[serde(default)]
    pub created: u64,
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// The choices.
    pub choices: Vec<Choice>,
    /// Token counts.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// One choice of an answer.
#[derive(Debug, Deserialize)]
pub struct Choice {
    /// Position among the choices.
    #[serde(default)]
    pub index: u32,
    /// The generated message.
    pub message: ResponseMessage,
    /// Why generation stopped.
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// The generated message.
#[derive(Debug, Deserialize)]
pub struct ResponseMessage {
    /// The text.
    #[serde(default)]
    pub content: Option<String>,
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
    pub id: String,
    /// Unix time in seconds.
    #[serde(default)]
    pub created: u64,
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// The deltas; empty in the usage event.
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    /// Token counts, in the last event when `stream_options.include_usage` was sent.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// One choice's delta.
#[derive(Debug, Deserialize)]
pub struct ChunkChoice {
    /// Position among the choices.
    #[serde(default)]
    pub index: u32,
    /// What this event adds.
    #[serde(default)]
    pub delta: ChunkDelta,
    /// Set in the choice's last event.
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// What an event adds.
#[derive(Debug, Default, Deserialize)]
pub struct ChunkDelta {
    /// `assistant`, in the first event.
    #[serde(default)]
    pub role: Option<String>,
    /// More text.
    #[serde(default)]
    pub content: Option<String>,
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
    pub code: Option<Code>,
}

/// An error code as a string or a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Code {
    /// `"model_not_found"`.
    Text(String),
    /// `404`.
    Number(i64),
}

impl Code {
    /// The code as text.
    pub fn into_text(self) -> String {
        match self {
            Code::Text(text) => text,
            Code::Number(number) => number.to_string(),
        }
    }
}
