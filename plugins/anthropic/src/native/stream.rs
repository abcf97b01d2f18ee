//! A native Messages stream: every upstream event passes unchanged (the host names the
//! SSE event after each event's `type`), with the usage of `message_start` and
//! `message_delta` kept for accounting. An `error` event ends the stream with that
//! error, which the host sends as the stream's last event. A stream that closes
//! before `message_stop` was cut, and says so.

use serde::Deserialize;
use switchyard_guest_kit::{ApiError, CallContext, StreamEvent, Usage};

use crate::error::from_stream_error;
use crate::usage::AnthropicUsage;

/// What the pass-through reads from an event.
#[derive(Deserialize)]
struct Peek {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    message: Option<StartMessage>,
    #[serde(default)]
    usage: Option<AnthropicUsage>,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    usage: Option<AnthropicUsage>,
}

/// One native stream's state.
#[derive(Debug, Default)]
pub struct Passthrough {
    usage: Option<AnthropicUsage>,
    stopped: bool,
}

impl Passthrough {
    /// A new stream.
    pub fn start(_ctx: &CallContext) -> Self {
        Self::default()
    }

    /// Passes one event on, reading its usage; an `error` event ends the stream.
    pub fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        let peek: Option<Peek> = serde_json::from_str(&event.data).ok();
        let kind = peek
            .as_ref()
            .and_then(|p| p.kind.as_deref())
            .or(event.event.as_deref())
            .unwrap_or_default();
        match kind {
            "error" => return Err(from_stream_error(&event.data)),
            "message_stop" => self.stopped = true,
            _ => {}
        }
        if let Some(peek) = peek {
            let found = peek.usage.or(peek.message.and_then(|m| m.usage));
            if let Some(found) = found {
                self.usage
                    .get_or_insert_with(AnthropicUsage::default)
                    .update(&found);
            }
            out.push(event.data);
        }
        Ok(())
    }

    /// A stream that closed before `message_stop` was cut short.
    pub fn finish(&mut self) -> Result<(), ApiError> {
        if self.stopped {
            Ok(())
        } else {
            Err(switchyard_guest_kit::truncated("Anthropic", "message_stop"))
        }
    }

    /// The usage so far.
    pub fn usage(&self) -> Option<Usage> {
        self.usage.as_ref().map(AnthropicUsage::to_wit)
    }
}
