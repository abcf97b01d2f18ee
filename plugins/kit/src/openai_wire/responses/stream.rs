//! A Responses stream, passed through: every upstream event goes to the client as the
//! same data string (the host names each SSE event after its `type`), and the usage of
//! the terminal event's `response.usage` is kept for accounting.
//!
//! How the stream ends:
//! - `response.completed`, `response.incomplete` or `response.failed` ends it; anything
//!   after that is ignored.
//! - An `error` event is passed on and ends it too: what follows is ignored, except
//!   the `response.failed` (or other terminal event) that OpenAI sends right after an
//!   `error` to close the same failure. Clients read the failure from that one (Codex
//!   takes quota, context-window and retry-after from `response.failed.response.error`
//!   and ignores `error` events), so dropping it would turn a quota error into a
//!   generic, retried one.
//! - A stream that closes before any of these was cut: `finish` says so (502
//!   `upstream_stream_truncated`, [`crate::truncated`]) instead of letting the client
//!   take a partial answer for a whole one.
//!
//! Data that is not a JSON object is a 502 naming it. `[DONE]`, which the Responses API
//! does not send but compatible servers may, and blank data are skipped. An object
//! without `type` that carries an `error` (a chat-style mid-stream error from a
//! compatible server) is no Responses event: it ends the stream as that error, read by
//! the platform's rules ([`Platform::stream_error`]).

use std::marker::PhantomData;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::usage;
use crate::error::{bad_gateway, snippet};
use crate::openai_wire::Platform;
use crate::openai_wire::error::SNIPPET_CHARS;
use crate::{ApiError, CallContext, StreamEnd, StreamEvent, StreamState, Usage};

/// What a complete Responses stream ends with, for the truncation message.
pub const TERMINAL: &str =
    "`response.completed`, `response.incomplete`, `response.failed` or `error`";

/// The events that close a Response, carrying it whole (with its `usage`).
pub const TERMINAL_EVENTS: [&str; 3] = [
    "response.completed",
    "response.incomplete",
    "response.failed",
];

/// The `type` of an error event.
pub const ERROR_EVENT: &str = "error";

/// What the pass-through reads from an event: its `type`, and the members a terminal
/// event or a typeless error carries. Values stay raw: no event is rejected for its
/// shape, only for not being JSON.
#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    response: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

/// The `usage` of a terminal event's `response`.
#[derive(Deserialize)]
struct ResponseUsage<'a> {
    #[serde(borrow, default)]
    usage: Option<&'a RawValue>,
}

/// One Responses stream's state; `P` reads a typeless error the platform's way.
#[derive(Debug)]
pub struct Passthrough<P> {
    /// The usage of the terminal event.
    usage: Option<Usage>,
    /// A terminal or `error` event arrived: the stream is complete.
    end: StreamEnd,
    /// A terminal event arrived: nothing more passes.
    closed: bool,
    platform: PhantomData<fn() -> P>,
}

impl<P: Platform + 'static> StreamState for Passthrough<P> {
    fn start(_ctx: &CallContext) -> Self {
        Passthrough {
            usage: None,
            end: StreamEnd::new("Responses API", TERMINAL),
            closed: false,
            platform: PhantomData,
        }
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        if self.closed {
            return Ok(());
        }
        let trimmed = event.data.trim();
        if trimmed.is_empty() || trimmed == "[DONE]" {
            return Ok(());
        }
        let not_an_event = |detail: &str| {
            bad_gateway(format!(
                "upstream sent a Responses stream event that is not a JSON object ({detail}): {}",
                snippet(trimmed.as_bytes(), SNIPPET_CHARS)
            ))
        };
        if !trimmed.starts_with('{') {
            return Err(not_an_event("not an object"));
        }
        let peek: Peek<'_> =
            serde_json::from_str(trimmed).map_err(|e| not_an_event(&e.to_string()))?;
        let kind = match peek.kind {
            Some(raw) => raw
                .get()
                .strip_prefix('"')
                .and_then(|k| k.strip_suffix('"')),
            None => event.event.as_deref(),
        };
        match kind {
            Some(kind) if TERMINAL_EVENTS.contains(&kind) => {
                self.usage = peek
                    .response
                    .and_then(|raw| serde_json::from_str::<ResponseUsage<'_>>(raw.get()).ok())
                    .and_then(|response| response.usage)
                    .and_then(|raw| usage(raw.get()))
                    .or(self.usage);
                self.end.reach();
                self.closed = true;
            }
            // After an `error`, only the terminal event that closes it still passes.
            _ if self.end.reached() => return Ok(()),
            Some(ERROR_EVENT) => self.end.reach(),
            None => {
                if let Some(error) = peek.error.filter(|e| e.get() != "null") {
                    return Err(P::stream_error(error.get()));
                }
            }
            Some(_) => {}
        }
        out.push(event.data);
        Ok(())
    }

    /// Nothing is buffered: the stream is complete once a terminal or `error` event came.
    fn finish(&mut self, _out: &mut Vec<String>) -> Result<(), ApiError> {
        self.end.finish()
    }

    fn usage(&self) -> Option<Usage> {
        self.usage
    }
}
