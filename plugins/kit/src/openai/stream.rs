//! The chunks of one streamed choice, with OpenAI's rules kept by the writer.
//!
//! An adapter says what the platform's events mean ("more text", "a tool call named
//! `get_weather` began", "its arguments continue with `{\"ci`", "done, because of the
//! length limit", "these are the counts"); [`ChatStream`] writes the chunks:
//! - the role delta `{"role":"assistant","content":""}` before anything else;
//! - each tool call announced once, with its id (made when the platform has none),
//!   `"type":"function"` and name, under an `index` counted over tool calls only, then
//!   its arguments as fragments under the same index;
//! - one finish chunk with an empty delta, `tool_calls` when the model called tools and
//!   the platform said it stopped;
//! - the usage chunk (`choices: []`) at the end, only when the client asked for it
//!   (`stream_options.include_usage`); choice chunks then carry `"usage": null`.

use super::FinishReason;
use super::ids::{completion_id, now, tool_call_id};
use crate::chunk::{ChunkWriter, Delta, ToolCall};
use crate::error::bad_gateway;
use crate::usage::UsageJson;
use crate::{ApiError, CallContext, Usage};

/// One streamed choice being written.
#[derive(Debug)]
pub struct ChatStream {
    id: String,
    created: u64,
    model: String,
    include_usage: bool,
    /// The role delta went out.
    opened: bool,
    /// The platform's key of each announced tool call; its position is the OpenAI index.
    calls: Vec<u64>,
    /// The finish chunk went out.
    finished: bool,
    usage: Option<Usage>,
    /// The usage chunk went out.
    usage_written: bool,
}

impl ChatStream {
    /// A stream for the call `ctx`: a fresh completion id, `created` now, the call's
    /// upstream model. [`ChatStream::identify`] replaces them with the platform's own.
    pub fn new(ctx: &CallContext) -> Self {
        ChatStream {
            id: completion_id(None),
            created: now(),
            model: ctx.upstream_model.clone(),
            include_usage: ctx.include_usage,
            opened: false,
            calls: Vec::new(),
            finished: false,
            usage: None,
            usage_written: false,
        }
    }

    /// Uses the platform's response id, creation time and model name, where it sent
    /// them. Every chunk of a stream repeats the same three, so this takes effect only
    /// before the first chunk.
    pub fn identify(&mut self, id: Option<&str>, created: Option<u64>, model: Option<&str>) {
        if self.opened {
            return;
        }
        if id.is_some_and(|id| !id.is_empty()) {
            self.id = completion_id(id);
        }
        if let Some(created) = created {
            self.created = created;
        }
        if let Some(model) = model.filter(|model| !model.is_empty()) {
            model.clone_into(&mut self.model);
        }
    }

    /// More answer text.
    pub fn text(&mut self, text: &str, out: &mut Vec<String>) -> Result<(), ApiError> {
        self.delta(&Delta::content(text), text.is_empty(), out)
    }

    /// More reasoning (thinking) text, as `reasoning_content`.
    pub fn reasoning(&mut self, text: &str, out: &mut Vec<String>) -> Result<(), ApiError> {
        self.delta(&Delta::reasoning(text), text.is_empty(), out)
    }

    /// A refusal.
    pub fn refusal(&mut self, text: &str, out: &mut Vec<String>) -> Result<(), ApiError> {
        self.delta(&Delta::refusal(text), text.is_empty(), out)
    }

    /// A tool call begins: `key` tells the platform's calls apart (its index or
    /// position), `id` is the platform's call id if it has one, and `arguments` what
    /// the platform sent with the start (all of them, for platforms that send calls
    /// whole; often nothing). A key already announced continues that call instead.
    pub fn tool_call(
        &mut self,
        key: u64,
        id: Option<&str>,
        name: &str,
        arguments: &str,
        out: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        if self.calls.contains(&key) {
            return self.tool_arguments(key, arguments, out);
        }
        let index = self.calls.len() as u64;
        self.calls.push(key);
        let made;
        let id = match id.filter(|id| !id.is_empty()) {
            Some(id) => id,
            None => {
                made = tool_call_id();
                &made
            }
        };
        let call = [ToolCall::start(index, id, name, arguments)];
        self.delta(&Delta::tool_calls(&call), false, out)
    }

    /// More arguments of the tool call `key`; a 502 if no call with that key began,
    /// since the client could not tell which call they belong to.
    pub fn tool_arguments(
        &mut self,
        key: u64,
        fragment: &str,
        out: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        let Some(index) = self.calls.iter().position(|known| *known == key) else {
            return Err(bad_gateway(format!(
                "the upstream sent arguments for tool call {key}, which it never started"
            )));
        };
        let call = [ToolCall::arguments(index as u64, fragment)];
        self.delta(&Delta::tool_calls(&call), fragment.is_empty(), out)
    }

    /// The choice ended. Written once; later calls write nothing.
    pub fn finish(&mut self, reason: FinishReason, out: &mut Vec<String>) -> Result<(), ApiError> {
        if self.finished {
            return Ok(());
        }
        self.open(out)?;
        let reason = reason.with_tool_calls(!self.calls.is_empty());
        out.push(self.writer().finish(0, reason.as_str())?);
        self.finished = true;
        Ok(())
    }

    /// The latest (cumulative) counts the platform reported.
    pub fn set_usage(&mut self, usage: Usage) {
        self.usage = Some(usage);
    }

    /// The counts known so far, for [`StreamState::usage`](crate::StreamState::usage).
    pub fn usage(&self) -> Option<Usage> {
        self.usage
    }

    /// Whether the finish chunk went out.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// The stream is over: the usage chunk, when the client asked for it and the
    /// platform reported counts. Written once.
    pub fn end(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        if let Some(usage) = &self.usage
            && self.include_usage
            && !self.usage_written
        {
            out.push(self.writer().usage(&UsageJson(usage))?);
            self.usage_written = true;
        }
        Ok(())
    }

    fn delta(
        &mut self,
        delta: &Delta<'_>,
        empty: bool,
        out: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        self.open(out)?;
        if !empty {
            out.push(self.writer().delta(0, delta)?);
        }
        Ok(())
    }

    fn open(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        if !self.opened {
            out.push(self.writer().role(0)?);
            self.opened = true;
        }
        Ok(())
    }

    fn writer(&self) -> ChunkWriter<'_> {
        ChunkWriter::new(&self.id, self.created, &self.model).usage_null(self.include_usage)
    }
}

#[cfg(test)]
mod tests;
