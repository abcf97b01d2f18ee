//! Upstream SSE events → OpenAI chunks, for one stream.
//!
//! OpenAI already sends OpenAI chunks, so most events pass through as the same string.
//! The work is bookkeeping: note `usage` for accounting; when usage was forced on
//! upstream but the client did not ask for it, hide it again (drop the usage-only
//! chunk, strip `"usage":null`) so the client sees what OpenAI would have sent it;
//! turn a `{"error":...}` event into the error that ends the stream.
//!
//! A complete stream ends with `data: [DONE]`; events after it are ignored, as the
//! OpenAI SDKs stop reading there (the rule every OpenAI-wire stream keeps,
//! [`openai_wire::stream`]). A stream that closes without it was cut, and
//! [`Transformer::finish`] says so (502 `upstream_stream_truncated`) instead of letting
//! the client take a partial answer for a whole one. A chunk with a `finish_reason` is
//! not the end: the usage chunk follows it (and, from compatible servers, further
//! choices may still be running).

mod members;

use switchyard_guest_kit::error::{bad_gateway, snippet};
use switchyard_guest_kit::openai_wire::error::SNIPPET_CHARS;
use switchyard_guest_kit::openai_wire::request::hides_usage;
use switchyard_guest_kit::openai_wire::{self, stream::chunk_text};
use switchyard_guest_kit::{
    ApiError, CallContext, StreamEnd, StreamEvent, StreamState, Usage, usage,
};

use super::error::from_stream_error;

/// Per-stream state.
#[derive(Debug)]
pub struct Transformer {
    /// Usage was forced on upstream and the client did not ask for it.
    hide_usage: bool,
    /// The latest usage seen.
    usage: Option<Usage>,
    /// Whether `[DONE]` arrived.
    end: StreamEnd,
}

impl StreamState for Transformer {
    fn start(ctx: &CallContext) -> Self {
        Transformer {
            hide_usage: hides_usage(ctx),
            usage: None,
            end: openai_wire::stream::end("OpenAI"),
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
    fn chunk(&mut self, mut data: String) -> Result<Option<String>, ApiError> {
        let Some(trimmed) = chunk_text(&data, &mut self.end) else {
            return Ok(None);
        };
        if !trimmed.starts_with('{') {
            return Err(bad_gateway(format!(
                "upstream sent a stream event that is not a JSON object: {}",
                snippet(trimmed.as_bytes(), SNIPPET_CHARS)
            )));
        }
        // Most chunks mention neither; they pass through without being looked at.
        let may_error = data.contains("\"error\"");
        let may_usage = data.contains("\"usage\"");
        if !may_error && !may_usage {
            return Ok(Some(data));
        }

        let (mut usage_span, mut choices_empty) = (None, true);
        for (name, span) in members::members(&data) {
            let value = data.get(span.value.clone()).unwrap_or("null");
            match name {
                "error" if value != "null" => return Err(from_stream_error(value)),
                "usage" => usage_span = Some((value == "null", span)),
                "choices" => choices_empty = is_empty_array(value),
                _ => {}
            }
        }
        let Some((usage_is_null, span)) = usage_span else {
            return Ok(Some(data));
        };
        if !usage_is_null {
            if let Some(usage) = data.get(span.value.clone()).and_then(usage::parse) {
                self.usage = Some(usage);
            }
            if self.hide_usage && choices_empty {
                return Ok(None);
            }
        }
        if self.hide_usage {
            members::remove(&mut data, &span);
        }
        Ok(Some(data))
    }
}

fn is_empty_array(json: &str) -> bool {
    json.strip_prefix('[')
        .is_some_and(|rest| rest.trim_start() == "]")
}

#[cfg(test)]
mod tests;
