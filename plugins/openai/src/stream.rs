//! Upstream SSE events → OpenAI chunks, for one stream.
//!
//! OpenAI already sends OpenAI chunks, so most events pass through as the same string.
//! The work is bookkeeping: note `usage` for accounting; when usage was forced on
//! upstream but the client did not ask for it, hide it again (drop the usage-only
//! chunk, strip `"usage":null`) so the client sees what OpenAI would have sent it;
//! turn a `{"error":...}` event into the error that ends the stream.

mod members;

use switchyard_guest_kit::error::{bad_gateway, snippet};
use switchyard_guest_kit::{ApiError, CallContext, StreamEvent, StreamOutput, Usage, usage};

use super::error::{SNIPPET_CHARS, from_stream_error};
use super::request::forces_stream_usage;

/// Per-stream state.
#[derive(Debug)]
pub struct Transformer {
    /// Usage was forced on upstream and the client did not ask for it.
    hide_usage: bool,
    /// The latest usage seen.
    usage: Option<Usage>,
    /// An error met after chunks in the same batch; reported on the next call, so the
    /// chunks before it still reach the client in order.
    pending_error: Option<ApiError>,
}

impl Transformer {
    /// Starts a stream for the call described by `ctx`.
    pub fn new(ctx: &CallContext) -> Self {
        Transformer {
            hide_usage: forces_stream_usage(ctx) && !ctx.include_usage,
            usage: None,
            pending_error: None,
        }
    }

    /// Translates a batch of events.
    pub fn push(&mut self, events: Vec<StreamEvent>) -> Result<StreamOutput, ApiError> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        let mut chunks = Vec::with_capacity(events.len());
        for event in events {
            match self.event(event.data) {
                Ok(Some(chunk)) => chunks.push(chunk),
                Ok(None) => {}
                Err(error) if chunks.is_empty() => return Err(error),
                Err(error) => {
                    self.pending_error = Some(error);
                    break;
                }
            }
        }
        Ok(StreamOutput {
            chunks,
            usage: self.usage,
        })
    }

    /// Ends the stream: nothing is buffered, so this reports the final usage (or an
    /// error still pending).
    pub fn finish(&mut self) -> Result<StreamOutput, ApiError> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        Ok(StreamOutput {
            chunks: Vec::new(),
            usage: self.usage,
        })
    }

    /// One event's data → the chunk to send, if any.
    fn event(&mut self, mut data: String) -> Result<Option<String>, ApiError> {
        let trimmed = data.trim();
        // The host ends the client's stream with its own `[DONE]`.
        if trimmed.is_empty() || trimmed == "[DONE]" {
            return Ok(None);
        }
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
