//! The Responses objects this dialect writes: the `response` (the answer of
//! `from-chat`, and the `response` of the stream's lifecycle events) and its output
//! items. Field names and required members follow the `openai` SDK's types
//! (`openai/types/responses/response.py`, `response_output_item.py`).
//!
//! | item | members |
//! |---|---|
//! | `reasoning` | `id`, `type`, `summary` (`[{type: summary_text, text}]`, or `[]`), `encrypted_content` when there is some |
//! | `message` | `id`, `type`, `status`, `role: assistant`, `content` (`output_text` with `annotations` (the sources a web search cited, [`crate::citations`], else `[]`) and `logprobs: []`; `refusal`) |
//! | `function_call` | `id`, `type`, `status`, `arguments`, `call_id`, `name`, `namespace` when namespaced |
//! | `custom_tool_call` | `id`, `type`, `call_id`, `name`, `input`, `namespace` when namespaced |
//! | `tool_search_call` | `id`, `type`, `status`, `call_id`, `execution: client`, `arguments` (an object) |
//! | `local_shell_call` | `id`, `type`, `status`, `call_id`, `action` |
//!
//! Ids derive from the call id ([`item_id`]): `resp_<call>`, `msg_<call>`, `rs_<call>`,
//! `fc_<call>_<n>` for the n-th tool call (and `ctc_`, `tsc_`, `lsh_` for the other
//! kinds); a second message or reasoning item of the same answer gets `_<n>` too.

use std::borrow::Cow;

use serde::ser::{self, Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;

use crate::citations::UrlCitation;
use crate::state::{Echo, ToolKind};
use crate::usage::Usage;

/// `status` of an item or of the response.
pub const IN_PROGRESS: &str = "in_progress";
/// `status` of a finished item or response.
pub const COMPLETED: &str = "completed";
/// `status` of an item or response cut short.
pub const INCOMPLETE: &str = "incomplete";
/// `status` of a response that failed.
pub const FAILED: &str = "failed";

/// The Response id of a call.
pub fn response_id(call_id: &str) -> String {
    ["resp_", call_id].concat()
}

/// The id of an item: `<prefix>_<call>`, or `<prefix>_<call>_<n>` when `n` is given.
pub fn item_id(prefix: &str, call_id: &str, n: Option<usize>) -> String {
    match n {
        Some(n) => format!("{prefix}_{call_id}_{n}"),
        None => format!("{prefix}_{call_id}"),
    }
}

/// The id prefix of a tool call item of `kind`.
pub fn tool_prefix(kind: ToolKind) -> &'static str {
    match kind {
        ToolKind::Function => "fc",
        ToolKind::Custom => "ctc",
        ToolKind::ToolSearch => "tsc",
        ToolKind::LocalShell => "lsh",
    }
}

/// A part of a message's `content`.
#[derive(Debug, Clone, PartialEq)]
pub enum Part<'a> {
    /// `output_text`.
    Text {
        /// The text.
        text: Cow<'a, str>,
        /// The sources it cites.
        annotations: Vec<UrlCitation>,
    },
    /// `refusal`.
    Refusal(Cow<'a, str>),
}

/// One output item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<'a> {
    /// The model's reasoning, as one summary text.
    Reasoning {
        /// Item id.
        id: Cow<'a, str>,
        /// The reasoning text (`summary: []` when empty).
        summary: Cow<'a, str>,
        /// Opaque state to send back (`crate::thinking`).
        encrypted_content: Option<Cow<'a, str>>,
    },
    /// The answer's text.
    Message {
        /// Item id.
        id: Cow<'a, str>,
        /// Item status.
        status: &'static str,
        /// Text and refusal parts.
        content: Vec<Part<'a>>,
    },
    /// A tool call.
    Tool(ToolCall<'a>),
}

/// A tool call item, of any [`ToolKind`].
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall<'a> {
    /// What kind of item it is.
    pub kind: ToolKind,
    /// Item id.
    pub id: Cow<'a, str>,
    /// Item status.
    pub status: &'static str,
    /// The chat tool call id.
    pub call_id: Cow<'a, str>,
    /// The tool's name (without its namespace).
    pub name: Cow<'a, str>,
    /// The tool's namespace.
    pub namespace: Option<Cow<'a, str>>,
    /// Function: the arguments text. Custom: the input. Tool search: the arguments
    /// object, as JSON. Local shell: the action object, as JSON.
    pub payload: Cow<'a, str>,
}

impl ToolCall<'_> {
    /// The same call, owning what it holds.
    pub fn into_owned(self) -> ToolCall<'static> {
        ToolCall {
            kind: self.kind,
            id: Cow::Owned(self.id.into_owned()),
            status: self.status,
            call_id: Cow::Owned(self.call_id.into_owned()),
            name: Cow::Owned(self.name.into_owned()),
            namespace: self.namespace.map(|n| Cow::Owned(n.into_owned())),
            payload: Cow::Owned(self.payload.into_owned()),
        }
    }
}

impl<'a> Part<'a> {
    /// An `output_text` part citing nothing.
    pub fn text(text: impl Into<Cow<'a, str>>) -> Self {
        Self::Text {
            text: text.into(),
            annotations: Vec::new(),
        }
    }
}

impl Serialize for Part<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text { text, annotations } => {
                let mut map = serializer.serialize_map(Some(4))?;
                map.serialize_entry("type", "output_text")?;
                map.serialize_entry("text", text)?;
                map.serialize_entry("annotations", annotations)?;
                map.serialize_entry("logprobs", &[(); 0])?;
                map.end()
            }
            Self::Refusal(refusal) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", "refusal")?;
                map.serialize_entry("refusal", refusal)?;
                map.end()
            }
        }
    }
}

/// A reasoning `summary` entry.
#[derive(serde::Serialize)]
struct SummaryText<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

impl Serialize for Item<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            Self::Reasoning {
                id,
                summary,
                encrypted_content,
            } => {
                map.serialize_entry("id", id)?;
                map.serialize_entry("type", "reasoning")?;
                let text = SummaryText {
                    kind: "summary_text",
                    text: summary,
                };
                let parts = if summary.is_empty() {
                    &[][..]
                } else {
                    &[text][..]
                };
                map.serialize_entry("summary", parts)?;
                if let Some(encrypted) = encrypted_content {
                    map.serialize_entry("encrypted_content", encrypted)?;
                }
            }
            Self::Message {
                id,
                status,
                content,
            } => {
                map.serialize_entry("id", id)?;
                map.serialize_entry("type", "message")?;
                map.serialize_entry("status", status)?;
                map.serialize_entry("role", "assistant")?;
                map.serialize_entry("content", content)?;
            }
            Self::Tool(call) => call.serialize_members(&mut map)?,
        }
        map.end()
    }
}

impl ToolCall<'_> {
    /// Writes the members of this call's item.
    fn serialize_members<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("id", &self.id)?;
        match self.kind {
            ToolKind::Function => {
                map.serialize_entry("type", "function_call")?;
                map.serialize_entry("status", self.status)?;
                map.serialize_entry("arguments", &self.payload)?;
                map.serialize_entry("call_id", &self.call_id)?;
                map.serialize_entry("name", &self.name)?;
            }
            ToolKind::Custom => {
                map.serialize_entry("type", "custom_tool_call")?;
                map.serialize_entry("call_id", &self.call_id)?;
                map.serialize_entry("name", &self.name)?;
                map.serialize_entry("input", &self.payload)?;
            }
            ToolKind::ToolSearch => {
                map.serialize_entry("type", "tool_search_call")?;
                map.serialize_entry("status", self.status)?;
                map.serialize_entry("call_id", &self.call_id)?;
                map.serialize_entry("execution", "client")?;
                map.serialize_entry("arguments", raw(&self.payload)?)?;
            }
            ToolKind::LocalShell => {
                map.serialize_entry("type", "local_shell_call")?;
                map.serialize_entry("status", self.status)?;
                map.serialize_entry("call_id", &self.call_id)?;
                map.serialize_entry("action", raw(&self.payload)?)?;
            }
        }
        if let Some(namespace) = &self.namespace {
            map.serialize_entry("namespace", namespace)?;
        }
        Ok(())
    }
}

/// JSON text as a value to embed; the text was checked when the call was made.
fn raw<E: ser::Error>(json: &str) -> Result<&RawValue, E> {
    serde_json::from_str(json).map_err(|e| E::custom(format!("invalid JSON in an item: {e}")))
}

/// `response.error`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResponseError<'a> {
    /// A code clients act on (`crate::error::failure`).
    pub code: &'static str,
    /// What happened.
    pub message: &'a str,
}

/// `response.incomplete_details`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
struct IncompleteDetails {
    reason: &'static str,
}

/// A `response` object.
#[derive(Debug, Clone)]
pub struct Response<'a> {
    /// `resp_<call>`.
    pub id: &'a str,
    /// When the call started.
    pub created_at: u64,
    /// `in_progress`, `completed`, `incomplete` or `failed`.
    pub status: &'static str,
    /// Set when the response failed.
    pub error: Option<ResponseError<'a>>,
    /// Why the response is incomplete (`max_output_tokens`, `content_filter`).
    pub incomplete_reason: Option<&'static str>,
    /// The model the client asked for.
    pub model: &'a str,
    /// The output items.
    pub output: &'a [Item<'a>],
    /// Token counts, when known.
    pub usage: Option<Usage>,
    /// The request fields echoed.
    pub echo: &'a Echo,
}

/// `"auto"`: the `tool_choice` of a request that named none.
const AUTO: &str = "auto";

impl Serialize for Response<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let echo = self.echo;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", self.id)?;
        map.serialize_entry("object", "response")?;
        map.serialize_entry("created_at", &self.created_at)?;
        map.serialize_entry("status", self.status)?;
        map.serialize_entry("error", &self.error)?;
        let incomplete = self
            .incomplete_reason
            .map(|reason| IncompleteDetails { reason });
        map.serialize_entry("incomplete_details", &incomplete)?;
        map.serialize_entry("instructions", &echo.instructions)?;
        map.serialize_entry("max_output_tokens", &echo.max_output_tokens)?;
        map.serialize_entry("model", self.model)?;
        map.serialize_entry("output", self.output)?;
        map.serialize_entry(
            "parallel_tool_calls",
            &echo.parallel_tool_calls.unwrap_or(true),
        )?;
        map.serialize_entry("previous_response_id", &echo.previous_response_id)?;
        map.serialize_entry("reasoning", &echo.reasoning)?;
        map.serialize_entry("store", &echo.store)?;
        map.serialize_entry("temperature", &echo.temperature)?;
        map.serialize_entry("text", &echo.text)?;
        match &echo.tool_choice {
            Some(choice) => map.serialize_entry("tool_choice", choice)?,
            None => map.serialize_entry("tool_choice", AUTO)?,
        }
        match &echo.tools {
            Some(tools) => map.serialize_entry("tools", tools)?,
            None => map.serialize_entry("tools", &[(); 0])?,
        }
        map.serialize_entry("top_p", &echo.top_p)?;
        map.serialize_entry("usage", &self.usage)?;
        map.serialize_entry("user", &echo.user)?;
        map.serialize_entry("metadata", &echo.metadata)?;
        map.end()
    }
}
