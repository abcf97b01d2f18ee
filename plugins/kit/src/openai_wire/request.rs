//! The OpenAI request body for an OpenAI-wire upstream.
//!
//! The body passes through untouched (unknown fields, tools, images, `response_format`,
//! all of it) except `model`, which becomes the configured upstream model, and, on a
//! streamed chat call, `stream_options.include_usage`, which is forced on so the host
//! can always account usage (the stream transformer hides the extra usage again).

use super::object::{RawObject, with_include_usage};
use crate::error::bad_request;
use crate::options::flag;
use crate::{ApiError, CallContext, Endpoint};

/// Option: `"false"` stops forcing `stream_options.include_usage` upstream (for servers
/// and API versions that reject `stream_options`); usage then goes unaccounted on
/// streams whose client did not ask for it.
pub const OPTION_FORCE_STREAM_USAGE: &str = "force-stream-usage";

/// The upstream body for one call.
pub fn body(ctx: &CallContext, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut object =
        RawObject::parse(body).map_err(|e| bad_request(format!("the request body {e}"), None))?;
    object
        .set_json("model", &ctx.upstream_model)
        .map_err(|e| bad_request(format!("cannot set `model`: {e}"), Some("model")))?;
    if forces_stream_usage(ctx) {
        let stream_options = with_include_usage(object.get("stream_options"))?;
        object.set("stream_options", stream_options);
    }
    object
        .to_vec()
        .map_err(|e| bad_request(format!("cannot write the request body: {e}"), None))
}

/// Whether this call's upstream answer is an SSE stream.
pub fn streams(ctx: &CallContext) -> bool {
    ctx.streaming && ctx.endpoint == Endpoint::ChatCompletions
}

/// Whether `stream_options.include_usage` is forced on upstream for this call.
pub fn forces_stream_usage(ctx: &CallContext) -> bool {
    streams(ctx) && flag(ctx, OPTION_FORCE_STREAM_USAGE) != Some(false)
}

/// Whether the stream must hide usage again: it was forced on upstream and the client
/// did not ask for it.
pub fn hides_usage(ctx: &CallContext) -> bool {
    forces_stream_usage(ctx) && !ctx.include_usage
}
