//! OpenAI error bodies → [`ApiError`], for non-2xx answers, 2xx answers that carry an
//! error, and mid-stream errors.
//!
//! OpenAI's error bodies are the reference every OpenAI-wire platform starts from, so
//! their reading lives in the kit ([`openai_wire::error`]); this adapter only names
//! the upstream in its messages.

use switchyard_guest_kit::openai_wire::{self, Platform};
use switchyard_guest_kit::{ApiError, UpstreamResponse};

use super::OpenAi;

/// OpenAI and compatible servers: the kit's defaults.
impl Platform for OpenAi {
    const NAME: &'static str = "upstream";
}

/// A non-2xx upstream answer as the client should see it: the upstream status, its
/// message/type/param/code when the body is an OpenAI error, else a message naming
/// the status with the start of the body; `retry-after` from the headers.
pub fn from_upstream(response: &UpstreamResponse) -> ApiError {
    openai_wire::error::from_upstream::<OpenAi>(response)
}

/// A `{"error": {...}}` value that came mid-stream, as the error that ends the stream
/// (502 unless its type or code says better).
pub fn from_stream_error(error_json: &str) -> ApiError {
    OpenAi::stream_error(error_json)
}

#[cfg(test)]
mod tests;
