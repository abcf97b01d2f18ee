//! The Messages objects this dialect writes: the `message` (the answer of `from-chat`,
//! and the head of a stream's `message_start`) and its content blocks.
//!
//! They borrow what they carry and are serialised straight to JSON, members in the
//! order Anthropic's API writes them (`type` first in a block).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;

use crate::usage::MessagesUsage;

/// The key under which [`ToolInput::Raw`] keeps arguments that are not a JSON object.
pub const RAW_ARGUMENTS_KEY: &str = "_raw";

/// A Messages `message`.
#[derive(Debug, serde::Serialize)]
pub struct Message<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: Vec<Block<'a>>,
    stop_reason: Option<&'static str>,
    stop_sequence: Option<&'a str>,
    usage: MessagesUsage,
}

impl<'a> Message<'a> {
    /// A whole answer.
    pub fn answer(
        id: &'a str,
        model: &'a str,
        content: Vec<Block<'a>>,
        (stop_reason, stop_sequence): (&'static str, Option<&'a str>),
        usage: MessagesUsage,
    ) -> Self {
        Self {
            id,
            kind: "message",
            role: "assistant",
            model,
            content,
            stop_reason: Some(stop_reason),
            stop_sequence,
            usage,
        }
    }

    /// The empty answer of `message_start`: no content, no stop reason, usage all 0.
    pub fn start(id: &'a str, model: &'a str) -> Self {
        Self {
            id,
            kind: "message",
            role: "assistant",
            model,
            content: Vec::new(),
            stop_reason: None,
            stop_sequence: None,
            usage: MessagesUsage::default(),
        }
    }
}

/// A content block, in a `message` or a stream's `content_block_start`.
#[derive(Debug, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block<'a> {
    /// Thinking text and the signature that lets it be sent back (`""` when none).
    Thinking {
        /// The thinking text.
        thinking: &'a str,
        /// Its signature.
        signature: &'a str,
    },
    /// Encrypted thinking.
    RedactedThinking {
        /// The encrypted data.
        data: &'a str,
    },
    /// Answer text.
    Text {
        /// The text.
        text: &'a str,
    },
    /// A tool call.
    ToolUse {
        /// The call id.
        id: &'a str,
        /// The tool's name.
        name: &'a str,
        /// The arguments.
        input: ToolInput<'a>,
    },
}

/// A `tool_use` `input`, which is always a JSON object.
#[derive(Debug, Clone, Copy)]
pub enum ToolInput<'a> {
    /// `{}`.
    Empty,
    /// Arguments that are a JSON object, as the model wrote them.
    Object(&'a RawValue),
    /// Arguments that are not a JSON object, kept whole as
    /// `{"_raw": "<arguments>"}` ([`RAW_ARGUMENTS_KEY`]).
    Raw(&'a str),
}

/// A tool call's `arguments` as a `tool_use` `input`: blank arguments are `{}`; a JSON
/// object is itself; anything else (invalid JSON, an array, a string) is kept whole as
/// `{"_raw": "<arguments>"}`, so the client's tool sees (and can report) what the model
/// sent instead of the call being lost.
pub fn tool_input(arguments: &str) -> ToolInput<'_> {
    if arguments.trim().is_empty() {
        return ToolInput::Empty;
    }
    match serde_json::from_str::<&RawValue>(arguments) {
        Ok(object) if object.get().starts_with('{') => ToolInput::Object(object),
        _ => ToolInput::Raw(arguments),
    }
}

impl Serialize for ToolInput<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Empty => serializer.serialize_map(Some(0))?.end(),
            Self::Object(object) => object.serialize(serializer),
            Self::Raw(arguments) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(RAW_ARGUMENTS_KEY, arguments)?;
                map.end()
            }
        }
    }
}
