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
mod tools;

use serde_json::{Value, json};

use crate::bindings::{ApiError, DialectContext};
use crate::error::{bad_upstream, error_event, truncated};
use crate::response::{ThinkingBlock, message_id, upstream_error_message};
use crate::stop_reason::{Ending, stop_reason};
use crate::usage::ChatUsage;
use chunk::{Chunk, Delta};
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
    next_index: u32,
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

/// One event, serialised.
fn event(value: &Value) -> String {
    value.to_string()
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
            next_index: 0,
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
        let Some(finish_reason) = self.finish_reason.clone() else {
            return Err(truncated());
        };
        self.start(&mut out);
        self.close_all(&mut out);
        let ending = Ending {
            finish_reason: &finish_reason,
            tool_calls: !self.tools.is_empty(),
            refused: self.refused,
            stop_sequence: self.stop_sequence.as_deref(),
        };
        let (reason, sequence) = stop_reason(&ending);
        let usage = match &self.usage {
            Some(usage) => usage.to_messages(),
            None => json!({"output_tokens": 0}),
        };
        out.push(event(&json!({
            "type": "message_delta",
            "delta": {"stop_reason": reason, "stop_sequence": sequence},
            "usage": usage,
        })));
        out.push(event(&json!({"type": "message_stop"})));
        Ok(out)
    }

    /// The call failed: one `error` event; nothing is closed.
    pub fn fail(&mut self, error: &ApiError) -> Vec<String> {
        self.ended = true;
        self.pending_error = None;
        vec![event(&error_event(error))]
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
        self.start(out);
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            if let Some(delta) = choice.delta {
                self.delta(delta, out)?;
            }
            if let Some(reason) = choice.finish_reason {
                self.stop_sequence = choice
                    .stop_reason
                    .as_ref()
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                self.finish_reason = Some(reason);
                self.close_all(out);
            }
        }
        Ok(())
    }

    /// `message_start`, once.
    fn start(&mut self, out: &mut Vec<String>) {
        if self.started {
            return;
        }
        self.started = true;
        out.push(event(&json!({
            "type": "message_start",
            "message": {
                "id": self.id,
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": {
                    "input_tokens": 0,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "output_tokens": 0
                }
            }
        })));
    }

    /// One delta, its parts in the order thinking, text, tool calls.
    fn delta(&mut self, delta: Delta, out: &mut Vec<String>) -> Result<(), ApiError> {
        let reasoning = delta.reasoning_content.or(delta.reasoning);
        if let Some(thinking) = reasoning.filter(|r| !r.is_empty()) {
            self.thinking_text(&thinking, out);
        }
        for block in delta.thinking_blocks.into_iter().flatten() {
            self.whole_thinking(block, out);
        }
        if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
            self.text(&text, out);
        }
        if let Some(refusal) = delta.refusal.filter(|r| !r.is_empty()) {
            self.refused = true;
            self.text(&refusal, out);
        }
        for call in delta.tool_calls.into_iter().flatten() {
            self.tool_fragment(call, out)?;
        }
        Ok(())
    }

    /// Reasoning text: into the open thinking block, or a new one.
    fn thinking_text(&mut self, thinking: &str, out: &mut Vec<String>) {
        let index = match self.open {
            Some(Open::Thinking(index)) => index,
            _ => {
                let index = self.open_block(
                    out,
                    json!({"type": "thinking", "thinking": "", "signature": ""}),
                );
                self.open = Some(Open::Thinking(index));
                index
            }
        };
        out.push(block_delta(
            index,
            json!({"type": "thinking_delta", "thinking": thinking}),
        ));
    }

    /// Answer text: into the open text block, or a new one.
    fn text(&mut self, text: &str, out: &mut Vec<String>) {
        let index = match self.open {
            Some(Open::Text(index)) => index,
            _ => {
                let index = self.open_block(out, json!({"type": "text", "text": ""}));
                self.open = Some(Open::Text(index));
                index
            }
        };
        out.push(block_delta(
            index,
            json!({"type": "text_delta", "text": text}),
        ));
    }

    /// A whole thinking block from `thinking_blocks`.
    fn whole_thinking(&mut self, block: ThinkingBlock, out: &mut Vec<String>) {
        match block {
            ThinkingBlock::Thinking {
                thinking,
                signature,
            } => {
                if let Some(Open::Thinking(index)) = self.open {
                    if !signature.is_empty() {
                        out.push(block_delta(
                            index,
                            json!({"type": "signature_delta", "signature": signature}),
                        ));
                    }
                    out.push(block_stop(index));
                    self.open = None;
                } else if !self.unsigned_thinking_closed {
                    let index = self.open_block(
                        out,
                        json!({"type": "thinking", "thinking": "", "signature": ""}),
                    );
                    if !thinking.is_empty() {
                        out.push(block_delta(
                            index,
                            json!({"type": "thinking_delta", "thinking": thinking}),
                        ));
                    }
                    if !signature.is_empty() {
                        out.push(block_delta(
                            index,
                            json!({"type": "signature_delta", "signature": signature}),
                        ));
                    }
                    out.push(block_stop(index));
                }
                self.unsigned_thinking_closed = false;
            }
            ThinkingBlock::RedactedThinking { data } => {
                let index =
                    self.open_block(out, json!({"type": "redacted_thinking", "data": data}));
                out.push(block_stop(index));
            }
            ThinkingBlock::Other => {}
        }
    }

    /// Stops every block (the open one and waiting tool calls), then starts a block
    /// with the next index; the caller records it as open when it stays open.
    fn open_block(&mut self, out: &mut Vec<String>, content_block: Value) -> u32 {
        self.close_all(out);
        self.start_block(out, content_block)
    }

    /// Starts a block with the next index, the open one being stopped already.
    fn start_block(&mut self, out: &mut Vec<String>, content_block: Value) -> u32 {
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        out.push(event(&json!({
            "type": "content_block_start",
            "index": index,
            "content_block": content_block,
        })));
        index
    }

    /// Stops the open block, then starts and stops each waiting tool call.
    fn close_all(&mut self, out: &mut Vec<String>) {
        self.close_open(out);
        while let Some(position) = self.tools.next_waiting() {
            self.open_tool(position, out);
            self.close_open(out);
        }
    }

    /// Stops the open block, if any.
    fn close_open(&mut self, out: &mut Vec<String>) {
        match self.open.take() {
            None => {}
            Some(Open::Text(index)) => out.push(block_stop(index)),
            Some(Open::Thinking(index)) => {
                self.unsigned_thinking_closed = true;
                out.push(block_stop(index));
            }
            Some(Open::Tool(index, position)) => {
                if self.tools.close(position) {
                    out.push(block_delta(
                        index,
                        json!({"type": "input_json_delta", "partial_json": "{}"}),
                    ));
                }
                out.push(block_stop(index));
            }
        }
    }
}

/// A `content_block_delta` event.
fn block_delta(index: u32, delta: Value) -> String {
    event(&json!({"type": "content_block_delta", "index": index, "delta": delta}))
}

/// A `content_block_stop` event.
fn block_stop(index: u32) -> String {
    event(&json!({"type": "content_block_stop", "index": index}))
}

#[cfg(test)]
mod tests;
#[cfg(test)]
pub mod validate;
