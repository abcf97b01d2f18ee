//! The Responses stream events, as borrowed structs serialised straight to JSON:
//! `type` first, `sequence_number` last, the members between as the `openai` SDK's
//! event types require them (`response_*_event.py`).

use serde::Serialize;

use crate::bindings::ApiError;
use crate::error::bad_upstream;
use crate::output::{Item, Part, Response};

/// One stream event.
#[derive(Debug, Serialize)]
#[serde(tag = "type")]
pub enum Event<'a> {
    /// The response exists (`in_progress`, no output yet).
    #[serde(rename = "response.created")]
    Created { response: Response<'a> },
    /// The response is being generated.
    #[serde(rename = "response.in_progress")]
    InProgress { response: Response<'a> },
    /// The response is complete.
    #[serde(rename = "response.completed")]
    Completed { response: Response<'a> },
    /// The response stopped short (output limit, content filter).
    #[serde(rename = "response.incomplete")]
    Incomplete { response: Response<'a> },
    /// The response failed.
    #[serde(rename = "response.failed")]
    Failed { response: Response<'a> },
    /// An output item starts.
    #[serde(rename = "response.output_item.added")]
    ItemAdded {
        output_index: usize,
        item: &'a Item<'a>,
    },
    /// An output item is complete.
    #[serde(rename = "response.output_item.done")]
    ItemDone {
        output_index: usize,
        item: &'a Item<'a>,
    },
    /// A content part of a message starts.
    #[serde(rename = "response.content_part.added")]
    PartAdded {
        item_id: &'a str,
        output_index: usize,
        content_index: usize,
        part: &'a Part<'a>,
    },
    /// A content part of a message is complete.
    #[serde(rename = "response.content_part.done")]
    PartDone {
        item_id: &'a str,
        output_index: usize,
        content_index: usize,
        part: &'a Part<'a>,
    },
    /// More answer text.
    #[serde(rename = "response.output_text.delta")]
    TextDelta {
        item_id: &'a str,
        output_index: usize,
        content_index: usize,
        delta: &'a str,
        logprobs: [(); 0],
    },
    /// The whole text of a part.
    #[serde(rename = "response.output_text.done")]
    TextDone {
        item_id: &'a str,
        output_index: usize,
        content_index: usize,
        text: &'a str,
        logprobs: [(); 0],
    },
    /// More refusal text.
    #[serde(rename = "response.refusal.delta")]
    RefusalDelta {
        item_id: &'a str,
        output_index: usize,
        content_index: usize,
        delta: &'a str,
    },
    /// The whole refusal.
    #[serde(rename = "response.refusal.done")]
    RefusalDone {
        item_id: &'a str,
        output_index: usize,
        content_index: usize,
        refusal: &'a str,
    },
    /// A reasoning summary part starts.
    #[serde(rename = "response.reasoning_summary_part.added")]
    SummaryPartAdded {
        item_id: &'a str,
        output_index: usize,
        summary_index: usize,
        part: SummaryPart<'a>,
    },
    /// More reasoning summary text.
    #[serde(rename = "response.reasoning_summary_text.delta")]
    SummaryTextDelta {
        item_id: &'a str,
        output_index: usize,
        summary_index: usize,
        delta: &'a str,
    },
    /// The whole text of a reasoning summary part.
    #[serde(rename = "response.reasoning_summary_text.done")]
    SummaryTextDone {
        item_id: &'a str,
        output_index: usize,
        summary_index: usize,
        text: &'a str,
    },
    /// A reasoning summary part is complete.
    #[serde(rename = "response.reasoning_summary_part.done")]
    SummaryPartDone {
        item_id: &'a str,
        output_index: usize,
        summary_index: usize,
        part: SummaryPart<'a>,
    },
    /// More function call arguments.
    #[serde(rename = "response.function_call_arguments.delta")]
    ArgumentsDelta {
        item_id: &'a str,
        output_index: usize,
        delta: &'a str,
    },
    /// The whole arguments.
    #[serde(rename = "response.function_call_arguments.done")]
    ArgumentsDone {
        item_id: &'a str,
        output_index: usize,
        arguments: &'a str,
    },
    /// More custom tool input.
    #[serde(rename = "response.custom_tool_call_input.delta")]
    InputDelta {
        item_id: &'a str,
        output_index: usize,
        delta: &'a str,
    },
    /// The whole custom tool input.
    #[serde(rename = "response.custom_tool_call_input.done")]
    InputDone {
        item_id: &'a str,
        output_index: usize,
        input: &'a str,
    },
}

/// A reasoning summary part.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SummaryPart<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: &'a str,
}

impl<'a> SummaryPart<'a> {
    /// A `summary_text` part.
    pub fn new(text: &'a str) -> Self {
        Self {
            kind: "summary_text",
            text,
        }
    }
}

/// An event with its place in the stream.
#[derive(Debug, Serialize)]
struct Numbered<'e, 'a> {
    #[serde(flatten)]
    event: &'e Event<'a>,
    sequence_number: u64,
}

impl Event<'_> {
    /// The event as JSON, numbered.
    pub fn to_json(&self, sequence_number: u64) -> Result<String, ApiError> {
        let numbered = Numbered {
            event: self,
            sequence_number,
        };
        serde_json::to_string(&numbered)
            .map_err(|e| bad_upstream(format!("cannot write an event: {e}")))
    }
}
