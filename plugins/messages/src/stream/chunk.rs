//! The `chat.completion.chunk` fields the stream converter reads.

use serde::Deserialize;
use serde_json::Value;

use crate::response::ThinkingBlock;
use crate::usage::ChatUsage;

/// One chunk.
#[derive(Debug, Deserialize)]
pub struct Chunk {
    /// The choices; empty in the final usage chunk.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Cumulative usage (the final chunk of a stream asked with `include_usage`).
    #[serde(default)]
    pub usage: Option<ChatUsage>,
    /// An error some upstreams put in a chunk instead of ending the stream.
    #[serde(default)]
    pub error: Option<Value>,
}

/// `choices[]`.
#[derive(Debug, Deserialize)]
pub struct Choice {
    /// Which choice; only 0 is translated.
    #[serde(default)]
    pub index: u64,
    /// What this chunk adds.
    #[serde(default)]
    pub delta: Option<Delta>,
    /// Set on the choice's last chunk.
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// vLLM: the stop string that matched.
    #[serde(default)]
    pub stop_reason: Option<Value>,
}

/// `choices[].delta`.
#[derive(Debug, Default, Deserialize)]
pub struct Delta {
    /// Answer text.
    #[serde(default)]
    pub content: Option<String>,
    /// Refusal text.
    #[serde(default)]
    pub refusal: Option<String>,
    /// Reasoning text (DeepSeek's name, and this gateway's).
    #[serde(default)]
    pub reasoning_content: Option<String>,
    /// Reasoning text (OpenRouter's and some servers' name).
    #[serde(default)]
    pub reasoning: Option<String>,
    /// Whole thinking blocks with their signatures (this gateway's Anthropic adapter
    /// sends one when a thinking block ends).
    #[serde(default)]
    pub thinking_blocks: Option<Vec<ThinkingBlock>>,
    /// Tool call fragments.
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
}

/// `delta.tool_calls[]`: the first fragment of a call has `id` and `function.name`,
/// later ones only `function.arguments`.
#[derive(Debug, Deserialize)]
pub struct ToolCallDelta {
    /// Which call this fragment belongs to.
    #[serde(default)]
    pub index: Option<u64>,
    /// The call id (first fragment).
    #[serde(default)]
    pub id: Option<String>,
    /// Name and arguments.
    #[serde(default)]
    pub function: Option<FunctionDelta>,
}

/// `tool_calls[].function`.
#[derive(Debug, Default, Deserialize)]
pub struct FunctionDelta {
    /// The function name (first fragment).
    #[serde(default)]
    pub name: Option<String>,
    /// A fragment of the JSON arguments.
    #[serde(default)]
    pub arguments: Option<String>,
}
