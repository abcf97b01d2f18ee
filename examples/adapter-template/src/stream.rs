//! The platform's stream → OpenAI chunks, for one streamed call.
//!
//! The gateway frames the upstream bytes (server-sent events, as the request asked
//! with `StreamFraming::Sse`) and hands over complete events; each event's `data` is
//! one JSON chunk, and `data: [DONE]` ends a complete stream. This file says what each
//! event means; the kit's [`ChatStream`] writes the chunks (role first, tool calls by
//! index, finish, usage when asked) and its driver keeps the error rules.

use switchyard_guest_kit::error::{bad_gateway, snippet};
use switchyard_guest_kit::openai::ChatStream;
use switchyard_guest_kit::{ApiError, CallContext, StreamEnd, StreamEvent, StreamState, Usage};

use crate::response::{finish_reason, usage};
use crate::wire::{Chunk, StreamData};
use crate::{PLATFORM, error};

/// How much of an unreadable event an error quotes.
const SNIPPET_CHARS: usize = 200;

/// The state of one stream.
#[derive(Debug)]
pub struct Transformer {
    /// The chunks written so far.
    chat: ChatStream,
    /// Whether `data: [DONE]` arrived: a stream that closes before it lost its end.
    end: StreamEnd,
}

impl StreamState for Transformer {
    fn start(ctx: &CallContext) -> Self {
        Transformer {
            chat: ChatStream::new(ctx),
            end: StreamEnd::new(PLATFORM, "`data: [DONE]`"),
        }
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        let data = event.data.trim();
        if data == "[DONE]" {
            self.end.reach();
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        match serde_json::from_str::<StreamData>(data) {
            Ok(StreamData::Chunk(chunk)) => self.chunk(chunk, out),
            Ok(StreamData::Error(body)) => Err(error::from_stream_error(body)),
            Err(e) => Err(bad_gateway(format!(
                "{PLATFORM} sent a stream event this adapter cannot read ({e}): {}",
                snippet(data.as_bytes(), SNIPPET_CHARS)
            ))),
        }
    }

    fn finish(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        self.end.finish()?;
        self.chat.end(out)
    }

    fn usage(&self) -> Option<Usage> {
        self.chat.usage()
    }
}

impl Transformer {
    /// One platform chunk: its text, reasoning, tool call deltas, finish and usage.
    fn chunk(&mut self, chunk: Chunk, out: &mut Vec<String>) -> Result<(), ApiError> {
        self.chat
            .identify(chunk.id.as_deref(), chunk.created, chunk.model.as_deref());
        if let Some(counts) = chunk.usage {
            self.chat.set_usage(usage(counts));
        }
        // One choice: the request refused `n > 1`.
        for choice in chunk.choices {
            let delta = choice.delta;
            if let Some(text) = &delta.reasoning_content {
                self.chat.reasoning(text, out)?;
            }
            if let Some(text) = &delta.content {
                self.chat.text(text, out)?;
            }
            for call in delta.tool_calls {
                let arguments = call.function.arguments.as_deref().unwrap_or_default();
                match &call.function.name {
                    Some(name) => {
                        self.chat.tool_call(
                            call.index,
                            call.id.as_deref(),
                            name,
                            arguments,
                            out,
                        )?;
                    }
                    None => self.chat.tool_arguments(call.index, arguments, out)?,
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.chat.finish(finish_reason(Some(&reason)), out)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
