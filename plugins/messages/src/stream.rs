//! Chat `chat.completion.chunk`s → Messages stream events, for one streamed answer.
//!
//! | Chat chunk | Messages events |
//! |---|---|
//! | the first pushed chunk, whatever it holds | `message_start` (`usage` all 0: chat reports usage only at the end) |
//! | `reasoning_content` / `reasoning` | a `thinking` block (`thinking: "", signature: ""` at start), `thinking_delta`s |
//! | `thinking_blocks` `thinking` while that thinking block is open | `signature_delta`, then the block stops |
//! | `thinking_blocks` `thinking` otherwise | a whole `thinking` block (text and signature), unless it signs a thinking block already closed (dropped: a stopped block cannot be signed) |
//! | `thinking_blocks` `redacted_thinking` | a `redacted_thinking` block (`data` at start), stopped at once |
//! | `content`, `refusal` | a `text` block, opened on the first non-empty text only; `text_delta`s |
//! | `tool_calls` fragment with `id` + `name` | a `tool_use` block (`input: {}`), `input_json_delta`s of the `arguments` fragments |
//! | a tool call whose arguments streamed empty | one `input_json_delta` `"{}"` before its stop |
//! | `finish_reason` | the open block stops; the reason is kept |
//! | `usage` (the `choices: []` chunk after the finish) | kept for `message_delta` |
//! | [`Converter::finish`] | `message_delta` (`stop_reason` from [`crate::stop_reason`], usage from [`crate::usage`]), `message_stop` |
//! | a chunk with an `error` | the error ends the stream |
//!
//! One block is open at a time; indices count from 0 in the order blocks start. A new
//! kind of content stops the open block. Only choice 0 is translated.
//!
//! **Tool calls that interleave.** Chat sends tool-call fragments by `index`; usually one
//! call after the other, but a server may interleave them. A call whose first fragment
//! comes while another `tool_use` block is open starts at once (the open one stops) if
//! the open call's arguments so far are complete JSON, since nothing valid can follow
//! them; otherwise it waits, its fragments buffered, until the open call's arguments
//! are complete or other content or the finish stops the open block; then it starts
//! with its buffered arguments as one `input_json_delta`. A fragment (other than
//! whitespace) for a call whose block has stopped is an upstream error.
//!
//! Arguments are passed on as they come: only empty arguments are rewritten (to `{}`).
//!
//! A stream that ends with no `finish_reason` was cut: [`Converter::finish`] returns a
//! 502 rather than a clean end. An error after some events of the same push is kept
//! for the next call, so the events before it are not lost.

mod chunk;
mod event;
mod tools;

use serde_json::Value;

use crate::bindings::{ApiError, DialectContext};
use crate::error::{bad_upstream, error_event, truncated};
use crate::message::{Block, Message};
use crate::response::{ThinkingBlock, message_id, upstream_error_message};
use crate::stop_reason::{Ending, stop_reason};
use crate::usage::ChatUsage;
use chunk::{Chunk, Delta};
use event::{BlockDelta, DeltaUsage, Event, Stop};
use tools::ToolCalls;

/// The block that is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text(u32),
    Thinking(u32),
    /// A `tool_use` block, for the tool call at this position in [`ToolCalls`].
    Tool(u32, usize),
}

/// The state of one streamed answer.
#[derive(Debug)]
pub struct Converter {
    id: String,
    model: String,
    call_id: String,
    started: bool,
    ended: bool,
    next_index: NextIndex,
    open: Option<Open>,
    tools: ToolCalls,
    /// A thinking block stopped before any signature came for it.
    unsigned_thinking_closed: bool,
    refused: bool,
    finish_reason: Option<String>,
    stop_sequence: Option<String>,
    usage: Option<ChatUsage>,
    /// An error met after other events of the same push, for the next call.
    pending_error: Option<ApiError>,
}

/// Adds `event`, serialised, to `out`.
fn emit(out: &mut Vec<String>, event: &Event<'_>) -> Result<(), ApiError> {
    out.push(event.to_json()?);
    Ok(())
}

/// The index of the next block to start.
#[derive(Debug, Default)]
struct NextIndex(u32);

impl NextIndex {
    /// The index for a block that starts now.
    fn take(&mut self) -> u32 {
        let index = self.0;
        self.0 = self.0.saturating_add(1);
        index
    }
}

/// A `content_block_start` event.
fn block_start(out: &mut Vec<String>, index: u32, block: Block<'_>) -> Result<(), ApiError> {
    let start = Event::ContentBlockStart {
        index,
        content_block: block,
    };
    emit(out, &start)
}

/// A `content_block_delta` event.
fn block_delta(out: &mut Vec<String>, index: u32, delta: BlockDelta<'_>) -> Result<(), ApiError> {
    emit(out, &Event::ContentBlockDelta { index, delta })
}

/// A `content_block_stop` event.
fn block_stop(out: &mut Vec<String>, index: u32) -> Result<(), ApiError> {
    emit(out, &Event::ContentBlockStop { index })
}

impl Converter {
    /// Starts converting one answer.
    pub fn new(ctx: &DialectContext) -> Self {
        Self {
            id: message_id(ctx),
            model: ctx.public_model.clone(),
            call_id: ctx.call_id.clone(),
            started: false,
            ended: false,
            next_index: NextIndex::default(),
            open: None,
            tools: ToolCalls::default(),
            unsigned_thinking_closed: false,
            refused: false,
            finish_reason: None,
            stop_sequence: None,
            usage: None,
            pending_error: None,
        }
    }

    /// Translates chunks (JSON) into events (JSON).
    pub fn push(&mut self, chunks: &[String]) -> Result<Vec<String>, ApiError> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        let mut out = Vec::new();
        if self.ended {
            return Ok(out);
        }
        for chunk in chunks {
            if let Err(error) = self.chunk(chunk, &mut out) {
                self.ended = true;
                if out.is_empty() {
                    return Err(error);
                }
                self.pending_error = Some(error);
                break;
            }
        }
        Ok(out)
    }

    /// The chat stream ended: the events that close the answer, or the error of a
    /// stream that never finished.
    pub fn finish(&mut self) -> Result<Vec<String>, ApiError> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        let mut out = Vec::new();
        if self.ended {
            return Ok(out);
        }
        self.ended = true;
        let Some(finish_reason) = self.finish_reason.take() else {
            return Err(truncated());
        };
        self.start(&mut out)?;
        self.close_all(&mut out)?;
        let ending = Ending {
            finish_reason: &finish_reason,
            tool_calls: !self.tools.is_empty(),
            refused: self.refused,
            stop_sequence: self.stop_sequence.as_deref(),
        };
        let (stop_reason, stop_sequence) = stop_reason(&ending);
        let usage = match &self.usage {
            Some(usage) => DeltaUsage::Reported(usage.to_messages()),
            None => DeltaUsage::Unknown { output_tokens: 0 },
        };
        let delta = Stop {
            stop_reason,
            stop_sequence,
        };
        emit(&mut out, &Event::MessageDelta { delta, usage })?;
        emit(&mut out, &Event::MessageStop)?;
        Ok(out)
    }

    /// The call failed: one `error` event; nothing is closed.
    pub fn fail(&mut self, error: &ApiError) -> Vec<String> {
        self.ended = true;
        self.pending_error = None;
        vec![error_event(error).to_string()]
    }

    /// One chunk.
    fn chunk(&mut self, text: &str, out: &mut Vec<String>) -> Result<(), ApiError> {
        let chunk: Chunk = serde_json::from_str(text).map_err(|e| {
            bad_upstream(format!(
                "the upstream sent a chunk that is not a chat completion chunk: {e}"
            ))
        })?;
        if let Some(error) = &chunk.error {
            return Err(bad_upstream(upstream_error_message(error)));
        }
        self.start(out)?;
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        for choice in chunk.choices.iter().filter(|c| c.index == 0) {
            if let Some(delta) = &choice.delta {
                self.delta(delta, out)?;
            }
            if let Some(reason) = &choice.finish_reason {
                self.stop_sequence = choice
                    .stop_reason
                    .as_ref()
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                self.finish_reason = Some(reason.to_string());
                self.close_all(out)?;
            }
        }
        Ok(())
    }

    /// `message_start`, once.
    fn start(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let message = Message::start(&self.id, &self.model);
        emit(out, &Event::MessageStart { message })
    }

    /// One delta, its parts in the order thinking, text, tool calls.
    fn delta(&mut self, delta: &Delta<'_>, out: &mut Vec<String>) -> Result<(), ApiError> {
        let reasoning = delta
            .reasoning_content
            .as_ref()
            .or(delta.reasoning.as_ref());
        if let Some(thinking) = reasoning.filter(|r| !r.is_empty()) {
            self.thinking_text(thinking, out)?;
        }
        for block in delta.thinking_blocks.iter().flatten() {
            self.whole_thinking(block, out)?;
        }
        if let Some(text) = delta.content.as_ref().filter(|t| !t.is_empty()) {
            self.text(text, out)?;
        }
        if let Some(refusal) = delta.refusal.as_ref().filter(|r| !r.is_empty()) {
            self.refused = true;
            self.text(refusal, out)?;
        }
        for call in delta.tool_calls.iter().flatten() {
            self.tool_fragment(call, out)?;
        }
        Ok(())
    }

    /// Reasoning text: into the open thinking block, or a new one.
    fn thinking_text(&mut self, thinking: &str, out: &mut Vec<String>) -> Result<(), ApiError> {
        let index = match self.open {
            Some(Open::Thinking(index)) => index,
            _ => {
                let index = self.open_block(out, EMPTY_THINKING)?;
                self.open = Some(Open::Thinking(index));
                index
            }
        };
        block_delta(out, index, BlockDelta::Thinking { thinking })
    }

    /// Answer text: into the open text block, or a new one.
    fn text(&mut self, text: &str, out: &mut Vec<String>) -> Result<(), ApiError> {
        let index = match self.open {
            Some(Open::Text(index)) => index,
            _ => {
                let index = self.open_block(out, Block::Text { text: "" })?;
                self.open = Some(Open::Text(index));
                index
            }
        };
        block_delta(out, index, BlockDelta::Text { text })
    }

    /// A whole thinking block from `thinking_blocks`.
    fn whole_thinking(
        &mut self,
        block: &ThinkingBlock<'_>,
        out: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        match block {
            ThinkingBlock::Thinking {
                thinking,
                signature,
            } => {
                if let Some(Open::Thinking(index)) = self.open {
                    if !signature.is_empty() {
                        block_delta(out, index, BlockDelta::Signature { signature })?;
                    }
                    block_stop(out, index)?;
                    self.open = None;
                } else if !self.unsigned_thinking_closed {
                    let index = self.open_block(out, EMPTY_THINKING)?;
                    if !thinking.is_empty() {
                        block_delta(out, index, BlockDelta::Thinking { thinking })?;
                    }
                    if !signature.is_empty() {
                        block_delta(out, index, BlockDelta::Signature { signature })?;
                    }
                    block_stop(out, index)?;
                }
                self.unsigned_thinking_closed = false;
            }
            ThinkingBlock::RedactedThinking { data } => {
                let index = self.open_block(out, Block::RedactedThinking { data })?;
                block_stop(out, index)?;
            }
            ThinkingBlock::Other => {}
        }
        Ok(())
    }

    /// Stops every block (the open one and waiting tool calls), then starts a block
    /// with the next index; the caller records it as open when it stays open.
    fn open_block(&mut self, out: &mut Vec<String>, block: Block<'_>) -> Result<u32, ApiError> {
        self.close_all(out)?;
        let index = self.next_index.take();
        block_start(out, index, block)?;
        Ok(index)
    }

    /// Stops the open block, then starts and stops each waiting tool call.
    fn close_all(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        self.close_open(out)?;
        while let Some(position) = self.tools.next_waiting() {
            self.open_tool(position, out)?;
            self.close_open(out)?;
        }
        Ok(())
    }

    /// Stops the open block, if any.
    fn close_open(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        match self.open.take() {
            None => Ok(()),
            Some(Open::Text(index)) => block_stop(out, index),
            Some(Open::Thinking(index)) => {
                self.unsigned_thinking_closed = true;
                block_stop(out, index)
            }
            Some(Open::Tool(index, position)) => {
                if self.tools.close(position) {
                    let partial_json = "{}";
                    block_delta(out, index, BlockDelta::InputJson { partial_json })?;
                }
                block_stop(out, index)
            }
        }
    }
}

/// The start of a thinking block: its text and signature come in deltas.
const EMPTY_THINKING: Block<'static> = Block::Thinking {
    thinking: "",
    signature: "",
};

#[cfg(test)]
mod tests;
#[cfg(test)]
pub mod validate;
