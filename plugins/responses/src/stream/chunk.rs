//! The `chat.completion.chunk` fields the stream converter reads.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::citations::ChatAnnotation;
use crate::text::Text;
use crate::usage::ChatUsage;

/// One chunk.
#[derive(Debug, Deserialize)]
pub struct Chunk<'a> {
    /// The choices; empty in the final usage chunk.
    #[serde(default, borrow)]
    pub choices: Vec<Choice<'a>>,
    /// Cumulative usage (the final chunk of a stream asked with `include_usage`).
    #[serde(default)]
    pub usage: Option<ChatUsage>,
    /// An error some upstreams put in a chunk instead of ending the stream.
    #[serde(default)]
    pub error: Option<Value>,
}

/// `choices[]`.
#[derive(Debug, Deserialize)]
pub struct Choice<'a> {
    /// Which choice; only 0 is translated.
    #[serde(default)]
    pub index: u64,
    /// What this chunk adds.
    #[serde(default, borrow)]
    pub delta: Option<Delta<'a>>,
    /// Set on the choice's last chunk.
    #[serde(default, borrow)]
    pub finish_reason: Option<Text<'a>>,
}

/// `choices[].delta`.
#[derive(Debug, Default, Deserialize)]
pub struct Delta<'a> {
    /// Answer text.
    #[serde(default, borrow)]
    pub content: Option<Text<'a>>,
    /// Refusal text.
    #[serde(default, borrow)]
    pub refusal: Option<Text<'a>>,
    /// Reasoning text (DeepSeek's name, and this gateway's).
    #[serde(default, borrow)]
    pub reasoning_content: Option<Text<'a>>,
    /// Reasoning text (OpenRouter's and some servers' name).
    #[serde(default, borrow)]
    pub reasoning: Option<Text<'a>>,
    /// Whole thinking blocks with their signatures (this gateway's Anthropic adapter
    /// sends one when a thinking block ends).
    #[serde(default, borrow)]
    pub thinking_blocks: Option<Vec<&'a RawValue>>,
    /// Tool call fragments.
    #[serde(default, borrow)]
    pub tool_calls: Option<Vec<ToolCallDelta<'a>>>,
    /// Sources a web search cited, with indices into the whole message text (OpenAI
    /// sends them in a late delta of their own).
    #[serde(default, borrow)]
    pub annotations: Option<Vec<ChatAnnotation<'a>>>,
}

/// `delta.tool_calls[]`: the first fragment of a call has `id` and `function.name`,
/// later ones only `function.arguments`.
#[derive(Debug, Deserialize)]
pub struct ToolCallDelta<'a> {
    /// Which call this fragment belongs to.
    #[serde(default)]
    pub index: Option<u64>,
    /// The call id (first fragment).
    #[serde(default, borrow)]
    pub id: Option<Text<'a>>,
    /// Name and arguments.
    #[serde(default, borrow)]
    pub function: Option<FunctionDelta<'a>>,
}

/// `tool_calls[].function`.
#[derive(Debug, Default, Deserialize)]
pub struct FunctionDelta<'a> {
    /// The function name (first fragment).
    #[serde(default, borrow)]
    pub name: Option<Text<'a>>,
    /// A fragment of the JSON arguments.
    #[serde(default, borrow)]
    pub arguments: Option<Text<'a>>,
}
