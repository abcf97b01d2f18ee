//! The OpenAI side, which every adapter shares: the parts of a chat request this
//! adapter reads, and the `chat.completion` / `chat.completion.chunk` objects it writes.
//!
//! Fields a request may carry but this adapter does not read are ignored by serde;
//! the ones it cannot honour are read only to be refused (see `request.rs`).

use serde::{Deserialize, Serialize};

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
    /// The output limit, older name.
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// The output limit, current name; wins over `max_tokens`.
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    /// Stop sequences.
    #[serde(default)]
    pub stop: Option<Stop>,
    /// Completions to generate; only 1 is supported.
    #[serde(default)]
    pub n: Option<u32>,
    /// Tool definitions; this adapter refuses them (see `examples/ollama` for tools).
    #[serde(default)]
    pub tools: Option<Vec<serde::de::IgnoredAny>>,
}

/// One message of the conversation.
#[derive(Debug, Deserialize)]
pub struct Message {
    /// `system`, `developer`, `user`, `assistant` or `tool`.
    pub role: String,
    /// Text, or content parts; `null` for an assistant turn that only called tools.
    #[serde(default)]
    pub content: Option<Content>,
}

/// Message content: a string or a list of parts.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    /// Plain text.
    Text(String),
    /// Typed parts (`text`, `image_url`, …).
    Parts(Vec<Part>),
}

/// One content part.
#[derive(Debug, Deserialize)]
pub struct Part {
    /// The part's type: `text`, `image_url`, `input_audio`, `file`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The text of a `text` part.
    #[serde(default)]
    pub text: Option<String>,
}

/// `stop`: one sequence or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    /// A single stop sequence.
    One(String),
    /// Up to four stop sequences.
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
    /// The generated choices.
    pub choices: Vec<Choice>,
    /// Token counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<CompletionUsage>,
}

/// One choice of a completion.
#[derive(Debug, Serialize)]
pub struct Choice {
    /// Position among the choices.
    pub index: u32,
    /// The assistant's message.
    pub message: AssistantMessage,
    /// `stop`, `length`, `tool_calls`, `content_filter`, or `null`.
    pub finish_reason: Option<String>,
}

/// The assistant's message in a completion.
#[derive(Debug, Serialize)]
pub struct AssistantMessage {
    /// Always `assistant`.
    pub role: &'static str,
    /// The text.
    pub content: Option<String>,
}

/// A `chat.completion.chunk` object.
#[derive(Debug, Serialize)]
pub struct ChatChunk {
    /// Completion id, the same in every chunk of a stream.
    pub id: String,
    /// Always `chat.completion.chunk`.
    pub object: &'static str,
    /// Unix time in seconds.
    pub created: u64,
    /// The model that answered.
    pub model: String,
    /// The deltas; empty in the final usage chunk.
    pub choices: Vec<ChunkChoice>,
    /// Token counts, only in the final chunk and only when the client asked
    /// (`stream_options.include_usage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<CompletionUsage>,
}

/// One choice's delta in a chunk.
#[derive(Debug, Serialize)]
pub struct ChunkChoice {
    /// Position among the choices.
    pub index: u32,
    /// What this chunk adds.
    pub delta: Delta,
    /// Set in the choice's last chunk.
    pub finish_reason: Option<String>,
}

/// What a chunk adds to a choice.
#[derive(Debug, Default, Serialize)]
pub struct Delta {
    /// `assistant`, in the first chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// More text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// OpenAI `usage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CompletionUsage {
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generated tokens.
    pub completion_tokens: u32,
    /// The sum of both.
    pub total_tokens: u32,
}

impl CompletionUsage {
    /// Usage from the two counts; the total is their (saturating) sum.
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
