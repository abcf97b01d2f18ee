//! The Messages stream events, as borrowed structs serialised straight to JSON with
//! `type` first.

use serde::Serialize;

use crate::bindings::ApiError;
use crate::error::bad_upstream;
use crate::message::{Block, Message};
use crate::usage::MessagesUsage;

/// One stream event.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event<'a> {
    /// The answer starts: its id and model, nothing else yet.
    MessageStart { message: Message<'a> },
    /// A block starts at `index`.
    ContentBlockStart {
        index: u32,
        content_block: Block<'a>,
    },
    /// More of block `index`.
    ContentBlockDelta { index: u32, delta: BlockDelta<'a> },
    /// Block `index` is complete.
    ContentBlockStop { index: u32 },
    /// The answer's end: why it stopped, and its usage.
    MessageDelta { delta: Stop<'a>, usage: DeltaUsage },
    /// The last event.
    MessageStop,
}

/// A `content_block_delta`'s `delta`.
#[derive(Debug, Serialize)]
#[serde(tag = "type")]
pub enum BlockDelta<'a> {
    /// Answer text.
    #[serde(rename = "text_delta")]
    Text { text: &'a str },
    /// Thinking text.
    #[serde(rename = "thinking_delta")]
    Thinking { thinking: &'a str },
    /// The signature of the open thinking block.
    #[serde(rename = "signature_delta")]
    Signature { signature: &'a str },
    /// A fragment of a tool call's arguments.
    #[serde(rename = "input_json_delta")]
    InputJson { partial_json: &'a str },
}

/// `message_delta.delta`.
#[derive(Debug, Serialize)]
pub struct Stop<'a> {
    pub stop_reason: &'static str,
    pub stop_sequence: Option<&'a str>,
}

/// `message_delta.usage`: the whole usage when the upstream reported it, else only
/// `output_tokens: 0`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum DeltaUsage {
    /// The upstream reported usage.
    Reported(MessagesUsage),
    /// It did not.
    Unknown { output_tokens: u64 },
}

impl Event<'_> {
    /// The event as JSON.
    pub fn to_json(&self) -> Result<String, ApiError> {
        serde_json::to_string(self).map_err(|e| bad_upstream(format!("cannot write an event: {e}")))
    }
}
