//! Ollama's native chat API, `POST /api/chat`, as JSON (see `SOURCES.md`).
//!
//! Differences from OpenAI that the conversions handle: images are bare base64
//! strings on the message; tool call arguments are JSON objects, not strings, and
//! calls have no ids (a tool result names the tool in `tool_name`); sampling settings
//! live in `options` (`num_predict` is the output limit); `format` is `"json"` or a
//! JSON schema; streaming is the default and streams are NDJSON; usage is
//! `prompt_eval_count` / `eval_count` on the last object; errors are
//! `{"error": "text"}`.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The request body.
#[derive(Debug, Serialize)]
pub struct ChatRequest {
    /// Model name, `name:tag` (the model's `upstream_model`).
    pub model: String,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Tools the model may call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// `"json"` or a JSON schema the answer must follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// Model parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Options>,
    /// Ollama streams unless told `false`, so this is always sent.
    pub stream: bool,
    /// How long the model stays loaded after the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<KeepAlive>,
}

/// One message.
#[derive(Debug, Serialize)]
pub struct Message {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// The text.
    pub content: String,
    /// Base64-encoded images (no `data:` prefix).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Tool calls of an earlier assistant turn.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// On a `tool` message: the tool whose result this is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_name: Option<String>,
}

/// A tool call, in a request's history.
#[derive(Debug, Serialize)]
pub struct ToolCall {
    /// The call.
    pub function: FunctionCall,
}

/// The function a tool call names, with its arguments as an object.
#[derive(Debug, Serialize)]
pub struct FunctionCall {
    /// Function name.
    pub name: String,
    /// Arguments.
    pub arguments: Map<String, Value>,
}

/// A tool definition (the same shape as OpenAI's).
#[derive(Debug, Serialize)]
pub struct Tool {
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The function.
    pub function: FunctionDef,
}

/// A function the model may call.
#[derive(Debug, Serialize)]
pub struct FunctionDef {
    /// Name.
    pub name: String,
    /// What it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its parameters as a JSON schema, passed through untouched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Box<RawValue>>,
}

/// `format`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Format {
    /// `"json"`: any JSON value.
    Json(&'static str),
    /// A JSON schema, passed through untouched.
    Schema(Box<RawValue>),
}

/// `options`: the model parameters this adapter sets.
#[derive(Debug, Default, Serialize)]
pub struct Options {
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Random seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Most tokens to generate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_predict: Option<u32>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
}

impl Options {
    /// Whether no parameter is set (the object is then not sent).
    pub fn is_empty(&self) -> bool {
        self.temperature.is_none()
            && self.top_p.is_none()
            && self.seed.is_none()
            && self.num_predict.is_none()
            && self.stop.is_none()
    }
}

/// `keep_alive`: a number of seconds, or a duration string such as `"10m"`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum KeepAlive {
    /// Seconds; negative keeps the model loaded, `0` unloads it at once.
    Seconds(i64),
    /// A Go duration string (`"5m"`, `"1h30m"`).
    Duration(String),
}

/// A whole answer (`stream: false`), or one line of a stream.
#[derive(Debug, Deserialize)]
pub struct ChatResponse {
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// RFC 3339 time of the answer, e.g. `2023-12-12T14:13:43.416799Z`.
    #[serde(default)]
    pub created_at: String,
    /// The generated message (in a stream: this line's piece of it).
    #[serde(default)]
    pub message: Option<ResponseMessage>,
    /// Whether this is the last object.
    #[serde(default)]
    pub done: bool,
    /// Why generation stopped: `stop`, `length` (`num_predict` reached), …
    #[serde(default)]
    pub done_reason: Option<String>,
    /// Prompt tokens evaluated (omitted when zero, e.g. a fully cached prompt).
    #[serde(default)]
    pub prompt_eval_count: Option<u32>,
    /// Tokens generated.
    #[serde(default)]
    pub eval_count: Option<u32>,
}

/// The generated message.
#[derive(Debug, Default, Deserialize)]
pub struct ResponseMessage {
    /// The text.
    #[serde(default)]
    pub content: String,
    /// A thinking model's reasoning.
    #[serde(default)]
    pub thinking: Option<String>,
    /// Tools the model wants called.
    #[serde(default)]
    pub tool_calls: Option<Vec<ResponseToolCall>>,
}

/// A tool call in an answer.
#[derive(Debug, Deserialize)]
pub struct ResponseToolCall {
    /// The call.
    pub function: ResponseFunctionCall,
}

/// The function an answer's tool call names.
#[derive(Debug, Deserialize)]
pub struct ResponseFunctionCall {
    /// Function name.
    pub name: String,
    /// Arguments: an object (documented), or a JSON string (tolerated).
    #[serde(default)]
    pub arguments: Option<Arguments>,
}

/// Tool call arguments as they may arrive.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Arguments {
    /// `{"city": "Tokyo"}`.
    Object(Map<String, Value>),
    /// `"{\"city\": \"Tokyo\"}"`.
    Text(String),
}

/// One NDJSON line: an object of the answer, or an error after the stream began.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum StreamLine {
    /// `{"error": "…"}`.
    Error(ErrorBody),
    /// A piece of the answer.
    Chunk(ChatResponse),
}

/// An error body: `{"error": "model 'x' not found"}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    /// The message.
    pub error: String,
}
