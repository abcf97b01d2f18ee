//! The client side of every adapter, ready-made: the OpenAI chat request an adapter
//! reads, and the answers it writes back, whole or streamed.
//!
//! An adapter for a platform that does not speak OpenAI writes only the platform's
//! side:
//! - [`ChatRequest::parse`] reads the client's body (messages with text, images, audio
//!   and files; tools and `tool_choice`; `response_format`; sampling fields), naming
//!   the field at fault in a 400 when it does not fit;
//! - [`completion`] writes a whole `chat.completion` from the platform's answer;
//! - [`ChatStream`] writes the chunks of a streamed answer and keeps OpenAI's rules on
//!   its own: the role delta first, a tool call announced once then its arguments by
//!   index, the finish chunk, the usage chunk only when the client asked;
//! - [`ids`] makes the `id` and `created` a platform does not send.
//!
//! What OpenAI clients expect of those answers is written out in
//! `docs/plugin-guide.md` ("What an adapter must produce").

pub mod completion;
pub mod content;
pub mod ids;
pub mod request;
pub mod stream;

pub use completion::{Answer, FunctionCall, completion};
pub use content::{Content, Part};
pub use request::{ChatRequest, FunctionDef, Message, ResponseFormat, Tool, ToolChoice};
pub use stream::ChatStream;

/// Why a choice ended: OpenAI's `finish_reason` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FinishReason {
    /// The model ended its answer, or met a stop sequence.
    #[default]
    Stop,
    /// The output limit (`max_tokens`) cut the answer.
    Length,
    /// The model called tools and waits for their results.
    ToolCalls,
    /// The platform's safety filter withheld or cut the answer.
    ContentFilter,
}

impl FinishReason {
    /// The value OpenAI writes.
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::ContentFilter => "content_filter",
        }
    }

    /// The reason a choice that called tools reports: a platform's plain "stop" after a
    /// tool call is `tool_calls` to OpenAI clients, which wait for it to run the tools.
    pub fn with_tool_calls(self, called: bool) -> Self {
        match self {
            FinishReason::Stop if called => FinishReason::ToolCalls,
            other => other,
        }
    }
}

impl serde::Serialize for FinishReason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
