//! Chat `chat.completion.chunk`s → Responses stream events, for one streamed answer.
//!
//! Every event carries `sequence_number`, counting from 0.
//!
//! | Chat chunk | Responses events |
//! |---|---|
//! | the first pushed chunk, whatever it holds | `response.created`, `response.in_progress` (`status: in_progress`, `output: []`, `usage: null`) |
//! | `reasoning_content` / `reasoning` | a `reasoning` item: `output_item.added`, `reasoning_summary_part.added`, `reasoning_summary_text.delta`s (`summary_index` 0) |
//! | `thinking_blocks` | kept for the open (or a new) reasoning item's `encrypted_content` ([`crate::thinking`]) |
//! | `content` | a `message` item: `output_item.added` (`content: []`), `content_part.added` (`output_text`, `text: ""`), `output_text.delta`s (`logprobs: []`) |
//! | `refusal` | a `refusal` part in the message: `content_part.added`, `refusal.delta`s |
//! | `annotations` (`url_citation`s) | kept for the open text part ([`crate::citations`]): its `content_part.done`, the message's `output_item.done` and the terminal response carry them (`output_text.done` has no place for them in the SDK's type); dropped when no text part is open |
//! | `tool_calls` fragments, by `index` | one item per call (`stream/tools.rs`) |
//! | `finish_reason` | every open item closes (`length` and `content_filter` leave them `incomplete`) |
//! | `usage` (the `choices: []` chunk after the finish) | kept for the terminal event |
//! | a chunk with an `error` | the error ends the stream |
//! | [`Converter::finish`] | `response.completed`, or `response.incomplete` for `length` / `content_filter` ([`crate::response::ending`]), with every item and the usage |
//! | [`Converter::fail`] | `response.failed`: the items done so far, `error: {code, message}` ([`crate::error::failure`]) |
//!
//! A new kind of output closes the open one: reasoning closes with
//! `reasoning_summary_text.done`, `reasoning_summary_part.done`, `output_item.done`;
//! text with `output_text.done`, `content_part.done`, `output_item.done`. Output
//! indices count from 0 in the order items are added. Only choice 0 is translated.
//!
//! An answer with no message and no tool call gets an empty message, so that a stream
//! with no chunks at all still reads created, in progress, an empty message,
//! completed. A stream that sent chunks but ended with no `finish_reason` was cut:
//! [`Converter::finish`] returns a 502 and the host ends the stream with
//! [`Converter::fail`]. Exactly one terminal event ends every stream. An error after
//! some events of the same push is kept for the next call, so the events before it are
//! not lost.

mod chunk;
mod event;
mod items;
mod tools;

use crate::bindings::{ApiError, DialectContext};
use crate::citations;
use crate::error::{bad_upstream, failure, truncated};
use crate::output::{
    COMPLETED, FAILED, IN_PROGRESS, INCOMPLETE, Item, Response, ResponseError, item_id, response_id,
};
use crate::response::{ending, upstream_error_message};
use crate::state::{self, CallState};
use crate::usage::ChatUsage;
use chunk::{Chunk, Delta};
use event::Event;
use items::Open;
use tools::ToolCalls;

/// Events made by one call of the converter, numbered from where the stream stands.
#[derive(Debug)]
struct Out {
    events: Vec<String>,
    seq: u64,
}

impl Out {
    /// Adds `event` with the next sequence number.
    fn emit(&mut self, event: &Event<'_>) -> Result<(), ApiError> {
        self.events.push(event.to_json(self.seq)?);
        self.seq = self.seq.saturating_add(1);
        Ok(())
    }
}

/// The state of one streamed answer.
#[derive(Debug)]
pub struct Converter {
    call_id: String,
    response_id: String,
    model: String,
    created: u64,
    call: CallState,
    seq: u64,
    started: bool,
    chunks_seen: bool,
    /// No more chunks are read.
    ended: bool,
    /// The terminal event was sent.
    terminal: bool,
    /// Items by output index; `Some` once done.
    output: Vec<Option<Item<'static>>>,
    open: Option<Open>,
    tools: ToolCalls,
    messages: usize,
    reasonings: usize,
    finish_reason: Option<String>,
    usage: Option<ChatUsage>,
    /// An error met after other events of the same push, for the next call.
    pending_error: Option<ApiError>,
}

impl Converter {
    /// Starts converting one answer, with what `to-chat` kept of its request.
    pub fn new(ctx: &DialectContext) -> Self {
        Self {
            call_id: ctx.call_id.clone(),
            response_id: response_id(&ctx.call_id),
            model: ctx.public_model.clone(),
            created: ctx.created,
            call: state::take(&ctx.call_id),
            seq: 0,
            started: false,
            chunks_seen: false,
            ended: false,
            terminal: false,
            output: Vec::new(),
            open: None,
            tools: ToolCalls::default(),
            messages: 0,
            reasonings: 0,
            finish_reason: None,
            usage: None,
            pending_error: None,
        }
    }

    /// Translates chunks (JSON) into events (JSON).
    pub fn push(&mut self, chunks: &[String]) -> Result<Vec<String>, ApiError> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        let mut out = Out {
            events: Vec::new(),
            seq: self.seq,
        };
        if self.ended {
            return Ok(out.events);
        }
        for chunk in chunks {
            if let Err(error) = self.chunk(chunk, &mut out) {
                self.ended = true;
                if out.events.is_empty() {
                    return Err(error);
                }
                self.pending_error = Some(error);
                break;
            }
        }
        self.seq = out.seq;
        Ok(out.events)
    }

    /// The chat stream ended: the events that close the answer, or the error of a
    /// stream that was cut.
    pub fn finish(&mut self) -> Result<Vec<String>, ApiError> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        let mut out = Out {
            events: Vec::new(),
            seq: self.seq,
        };
        if self.ended {
            return Ok(out.events);
        }
        self.ended = true;
        if self.chunks_seen && self.finish_reason.is_none() {
            return Err(truncated());
        }
        self.start(&mut out)?;
        let finish_reason = self.finish_reason.take().unwrap_or_default();
        let (status, incomplete) = ending(&finish_reason);
        self.close_all(status, &mut out)?;
        if self.messages == 0 && self.tools.is_empty() {
            self.text("", false, &mut out)?;
            self.close_all(status, &mut out)?;
        }
        self.terminal(status, incomplete, None, &mut out)?;
        self.seq = out.seq;
        Ok(out.events)
    }

    /// The call failed: `response.failed` with the items done so far; nothing more is
    /// closed.
    pub fn fail(&mut self, error: &ApiError) -> Vec<String> {
        let mut out = Out {
            events: Vec::new(),
            seq: self.seq,
        };
        if self.terminal {
            return out.events;
        }
        self.ended = true;
        self.pending_error = None;
        let (code, message) = failure(error);
        let error = ResponseError {
            code,
            message: &message,
        };
        let written = self
            .start(&mut out)
            .and_then(|()| self.terminal(FAILED, None, Some(error), &mut out));
        if written.is_err() {
            // Only serialisation can fail, and these events are plain: keep what was
            // written.
            self.terminal = true;
        }
        self.seq = out.seq;
        out.events
    }

    /// One chunk.
    fn chunk(&mut self, text: &str, out: &mut Out) -> Result<(), ApiError> {
        let chunk: Chunk = serde_json::from_str(text).map_err(|e| {
            bad_upstream(format!(
                "the upstream sent a chunk that is not a chat completion chunk: {e}"
            ))
        })?;
        if let Some(error) = &chunk.error {
            return Err(bad_upstream(upstream_error_message(error)));
        }
        self.chunks_seen = true;
        self.start(out)?;
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        for choice in chunk.choices.iter().filter(|c| c.index == 0) {
            if let Some(delta) = &choice.delta {
                self.delta(delta, out)?;
            }
            if let Some(reason) = &choice.finish_reason {
                let (status, _) = ending(reason);
                self.finish_reason = Some(reason.to_string());
                self.close_all(status, out)?;
            }
        }
        Ok(())
    }

    /// One delta, its parts in the order reasoning, text, tool calls.
    fn delta(&mut self, delta: &Delta<'_>, out: &mut Out) -> Result<(), ApiError> {
        let reasoning = delta
            .reasoning_content
            .as_ref()
            .or(delta.reasoning.as_ref());
        if let Some(text) = reasoning.filter(|r| !r.is_empty()) {
            self.reasoning_text(text, out)?;
        }
        if let Some(blocks) = delta.thinking_blocks.as_ref().filter(|b| !b.is_empty()) {
            self.open_reasoning(out)?;
            if let Some(Open::Reasoning { blocks: kept, .. }) = &mut self.open {
                kept.extend(blocks.iter().map(|block| (*block).to_owned()));
            }
        }
        if let Some(text) = delta.content.as_ref().filter(|t| !t.is_empty()) {
            self.text(text, false, out)?;
        }
        if let Some(refusal) = delta.refusal.as_ref().filter(|r| !r.is_empty()) {
            self.text(refusal, true, out)?;
        }
        if let Some(annotations) = delta.annotations.as_deref().filter(|a| !a.is_empty()) {
            self.cite(citations::from_chat(annotations));
        }
        for call in delta.tool_calls.iter().flatten() {
            self.close_open(COMPLETED, out)?;
            self.tool_fragment(call, out)?;
        }
        Ok(())
    }

    /// `response.created` and `response.in_progress`, once.
    fn start(&mut self, out: &mut Out) -> Result<(), ApiError> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let response = self.response(IN_PROGRESS, None, None, &[], None);
        out.emit(&Event::Created {
            response: response.clone(),
        })?;
        out.emit(&Event::InProgress { response })
    }

    /// The terminal event, with every item done.
    fn terminal(
        &mut self,
        status: &'static str,
        incomplete: Option<&'static str>,
        error: Option<ResponseError<'_>>,
        out: &mut Out,
    ) -> Result<(), ApiError> {
        self.terminal = true;
        let items: Vec<Item<'static>> = self.output.iter().flatten().cloned().collect();
        let usage = self.usage.map(|u| u.to_responses());
        let response = self.response(status, incomplete, error, &items, usage);
        out.emit(&match status {
            FAILED => Event::Failed { response },
            INCOMPLETE => Event::Incomplete { response },
            _ => Event::Completed { response },
        })
    }

    /// The `response` object as it stands.
    fn response<'a>(
        &'a self,
        status: &'static str,
        incomplete_reason: Option<&'static str>,
        error: Option<ResponseError<'a>>,
        output: &'a [Item<'a>],
        usage: Option<crate::usage::Usage>,
    ) -> Response<'a> {
        Response {
            id: &self.response_id,
            created_at: self.created,
            status,
            error,
            incomplete_reason,
            model: &self.model,
            output,
            usage,
            echo: &self.call.echo,
        }
    }

    /// The next output index, reserved for an item being added.
    fn reserve(&mut self) -> usize {
        self.output.push(None);
        self.output.len().saturating_sub(1)
    }

    /// The id of the next item with `prefix`, counted by `count`.
    fn next_id(call_id: &str, prefix: &str, count: &mut usize) -> String {
        let n = *count;
        *count = count.saturating_add(1);
        item_id(prefix, call_id, (n > 0).then_some(n))
    }

    /// Closes every open item: the reasoning or message, then the tool calls.
    fn close_all(&mut self, status: &'static str, out: &mut Out) -> Result<(), ApiError> {
        self.close_open(status, out)?;
        self.close_tools(status, out)
    }

    /// `output_item.done` for the item at `index`, which is kept for the response.
    fn done(&mut self, index: usize, item: Item<'static>, out: &mut Out) -> Result<(), ApiError> {
        out.emit(&Event::ItemDone {
            output_index: index,
            item: &item,
        })?;
        if let Some(slot) = self.output.get_mut(index) {
            *slot = Some(item);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
pub mod validate;
