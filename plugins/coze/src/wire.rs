//! The JSON objects of Coze's chat stream events (only the fields the adapter reads).

use serde::Deserialize;
use serde_json::Value;

use super::error::CozeError;

/// The chat object of `conversation.chat.*` events.
#[derive(Deserialize)]
pub struct Chat {
    /// `id`.
    #[serde(default)]
    pub id: Option<String>,
    /// `conversation_id`.
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// `created_at`.
    #[serde(default)]
    pub created_at: Option<u64>,
    /// `last_error`.
    #[serde(default)]
    pub last_error: Option<CozeError>,
    /// `usage`.
    #[serde(default)]
    pub usage: Option<ChatUsage>,
    /// `required_action`.
    #[serde(default)]
    pub required_action: Option<RequiredAction>,
}

#[derive(Clone, Copy, Deserialize)]
pub struct ChatUsage {
    /// `input_count`.
    #[serde(default)]
    pub input_count: u64,
    /// `output_count`.
    #[serde(default)]
    pub output_count: u64,
}

#[derive(Deserialize)]
pub struct RequiredAction {
    /// `submit_tool_outputs`.
    #[serde(default)]
    pub submit_tool_outputs: Option<SubmitToolOutputs>,
}

#[derive(Deserialize)]
pub struct SubmitToolOutputs {
    /// `tool_calls`.
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
}

#[derive(Deserialize)]
pub struct ToolCall {
    /// `id`.
    pub id: String,
    /// `function`.
    #[serde(default)]
    pub function: Function,
}

#[derive(Default, Deserialize)]
pub struct Function {
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `arguments`.
    #[serde(default)]
    pub arguments: Value,
}

/// The message object of `conversation.message.*` events.
#[derive(Deserialize)]
pub struct Message {
    /// `id`.
    #[serde(default)]
    pub id: String,
    /// `kind`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// `content`.
    #[serde(default)]
    pub content: String,
    /// `reasoning_content`.
    #[serde(default)]
    pub reasoning_content: Option<String>,
    /// `chat_id`.
    #[serde(default)]
    pub chat_id: Option<String>,
    /// `conversation_id`.
    #[serde(default)]
    pub conversation_id: Option<String>,
}
