//! Azure SSE events → OpenAI chunks, for one stream.
//!
//! Azure streams OpenAI chunks plus content-filter annotations that break OpenAI
//! clients which read `choices[0].delta` (reference §2.3, §7.6):
//! - a first chunk with `prompt_filter_results` (or `prompt_annotations`) and
//!   `choices: []`, with an empty `id`: dropped;
//! - annotation chunks whose choices have `content_filter_results` /
//!   `content_filter_offsets` but no `delta`, interleaved with content or after the stop
//!   chunk: dropped, unless one carries a `finish_reason` (`content_filter` when the
//!   asynchronous filter cut the completion), which becomes an ordinary finish chunk
//!   `{"delta":{},"finish_reason":…}` under the stream's id.
//!
//! So every chunk the client gets has a non-empty `choices` with a `delta` in each
//! choice, except the usage chunk (`choices: []`), which is sent only when the client
//! asked for it. Ordinary chunks pass through as the same string.
//!
//! A complete stream ends with `data: [DONE]`. A chunk with a `finish_reason` is not
//! the end: the asynchronous filter sends annotations (even a `content_filter` finish)
//! after the stop chunk, and the usage chunk comes last. A stream that closes without
//! `[DONE]` was cut, and [`Transformer::finish`] says so (502
//! `upstream_stream_truncated`); events after `[DONE]` are ignored. Those rules are
//! OpenAI's, kept once for both adapters in [`openai_wire::stream`].

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use switchyard_guest_kit::chunk::{self, ChunkWriter, Delta};
use switchyard_guest_kit::error::{bad_gateway, snippet};
use switchyard_guest_kit::openai_wire::error::SNIPPET_CHARS;
use switchyard_guest_kit::openai_wire::request::hides_usage;
use switchyard_guest_kit::openai_wire::{self, stream::chunk_text};
use switchyard_guest_kit::{
    ApiError, CallContext, StreamEnd, StreamEvent, StreamState, Usage, usage,
};

use super::error::from_stream_error;

/// `id` of chunks built before Azure named the completion (an annotation first).
pub const FALLBACK_ID: &str = "chatcmpl-azure";

/// Per-stream state.
#[derive(Debug)]
pub struct Transformer {
    /// Usage was forced on upstream and the client did not ask for it.
    hide_usage: bool,
    /// The latest usage seen.
    usage: Option<Usage>,
    /// `id`, `created` and `model` of the first real chunk, for rebuilt chunks.
    id: Option<String>,
    created: u64,
    model: String,
    /// Choice indexes that already got a finish reason.
    finished: Vec<u64>,
    /// `[DONE]` seen, or the error that ended the stream.
    end: StreamEnd,
}

#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    created: Option<u64>,
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    choices: Option<Vec<Choice<'a>>>,
    #[serde(borrow, default)]
    usage: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(default)]
    index: u64,
    #[serde(borrow, default)]
    delta: Option<&'a RawValue>,
    #[serde(borrow, default)]
    finish_reason: Option<&'a RawValue>,
}

/// A rebuilt choice's delta: Azure's own, or the empty delta of a finish.
#[derive(Serialize)]
#[serde(untagged)]
enum Kept<'a> {
    Azure(&'a RawValue),
    Finish(Delta<'static>),
}

impl StreamState for Transformer {
    fn start(ctx: &CallContext) -> Self {
        Transformer {
            hide_usage: hides_usage(ctx),
            usage: None,
            id: None,
            created: 0,
            model: ctx.upstream_model.clone(),
            finished: Vec::new(),
            end: openai_wire::stream::end("Azure OpenAI"),
        }
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        out.extend(self.chunk(event.data)?);
        Ok(())
    }

    /// Nothing is buffered: the stream is complete once `[DONE]` came.
    fn finish(&mut self, _out: &mut Vec<String>) -> Result<(), ApiError> {
        self.end.finish()
    }

    fn usage(&self) -> Option<Usage> {
        self.usage
    }
}

impl Transformer {
    /// One event's data → the chunk to send, if any.
    fn chunk(&mut self, data: String) -> Result<Option<String>, ApiError> {
        let Some(trimmed) = chunk_text(&data, &mut self.end) else {
            return Ok(None);
        };
        let not_a_chunk = |detail: &dyn std::fmt::Display| {
            bad_gateway(format!(
                "Azure sent a stream event that is not a chunk ({detail}): {}",
                snippet(trimmed.as_bytes(), SNIPPET_CHARS)
            ))
        };
        if !trimmed.starts_with('{') {
            return Err(not_a_chunk(&"not a JSON object"));
        }
        let chunk: Chunk<'_> = serde_json::from_str(trimmed).map_err(|e| not_a_chunk(&e))?;
        if let Some(error) = chunk.error {
            return Err(from_stream_error(error.get()));
        }
        if let Some(usage) = chunk.usage.and_then(|raw| usage::parse(raw.get())) {
            self.usage = Some(usage);
        }
        let id = chunk.id.as_deref().filter(|id| !id.is_empty());
        if self.id.is_none()
            && let Some(id) = id
        {
            self.id = Some(id.to_owned());
            self.created = chunk.created.unwrap_or(0);
            if let Some(model) = chunk.model.as_deref().filter(|m| !m.is_empty()) {
                self.model = model.to_owned();
            }
        }
        let choices = chunk.choices.unwrap_or_default();
        if choices.is_empty() {
            // The usage chunk, when the client asked for it; never an annotation chunk.
            let wanted = chunk.usage.is_some() && !self.hide_usage;
            return Ok(wanted.then_some(data));
        }
        for choice in &choices {
            if is_set(choice.finish_reason) && choice.delta.is_some() {
                self.finished.push(choice.index);
            }
        }
        if id.is_some() && choices.iter().all(|c| c.delta.is_some()) {
            // Usage is forced on upstream; a client that did not ask for it gets chunks
            // without the `"usage": null` that comes with it, as from OpenAI.
            if self.hide_usage && trimmed.contains("\"usage\"") {
                return without_usage(trimmed).map(Some);
            }
            return Ok(Some(data));
        }
        self.rebuild(&choices)
    }

    /// A chunk under this stream's id from choices of which some have no `delta`.
    fn rebuild(&mut self, choices: &[Choice<'_>]) -> Result<Option<String>, ApiError> {
        let mut kept = Vec::with_capacity(choices.len());
        for choice in choices {
            let finish = choice
                .finish_reason
                .filter(|_| is_set(choice.finish_reason));
            match (choice.delta, finish) {
                (Some(delta), _) => {
                    kept.push(chunk::Choice::new(choice.index, Kept::Azure(delta), finish));
                }
                (None, Some(reason)) if !self.finished.contains(&choice.index) => {
                    self.finished.push(choice.index);
                    let delta = Kept::Finish(Delta::default());
                    kept.push(chunk::Choice::new(choice.index, delta, Some(reason)));
                }
                (None, _) => {}
            }
        }
        if kept.is_empty() {
            return Ok(None);
        }
        let id = self.id.as_deref().unwrap_or(FALLBACK_ID);
        ChunkWriter::new(id, self.created, &self.model)
            .choices(&kept)
            .map(Some)
    }
}

/// A `finish_reason` that is present and not `null`.
fn is_set(reason: Option<&RawValue>) -> bool {
    reason.is_some_and(|raw| raw.get() != "null")
}

/// A chunk without its `usage` member.
fn without_usage(chunk: &str) -> Result<String, ApiError> {
    let mut value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(chunk)
        .map_err(|e| bad_gateway(format!("Azure sent a chunk that is not JSON ({e})")))?;
    value.remove("usage");
    serde_json::to_string(&value).map_err(|e| bad_gateway(format!("cannot write a chunk: {e}")))
}

#[cfg(test)]
mod tests;
