//! OpenAI request body → OpenAI upstream request.
//!
//! The body passes through untouched (unknown fields, tools, images, `response_format`,
//! all of it) except `model`, which becomes the configured upstream model, and, on a
//! streamed chat call, `stream_options.include_usage`, which is forced on so the host
//! can always account usage (the stream transformer hides the extra usage again).

use switchyard_guest_kit::error::bad_request;
use switchyard_guest_kit::options::{flag, option};
use switchyard_guest_kit::{
    ApiError, CallContext, Endpoint, Method, StreamFraming, UpstreamRequest,
};

use super::object::{RawObject, with_include_usage};

/// Upstream path of the chat completions endpoint, relative to a base URL ending in `/v1`.
pub const CHAT_COMPLETIONS_PATH: &str = "/chat/completions";
/// Upstream path of the embeddings endpoint.
pub const EMBEDDINGS_PATH: &str = "/embeddings";

/// Option: `"false"` stops forcing `stream_options.include_usage` upstream (for
/// OpenAI-compatible servers that reject `stream_options`); usage then goes unaccounted
/// on streams whose client did not ask for it.
pub const OPTION_FORCE_STREAM_USAGE: &str = "force-stream-usage";
/// Option: sent as the `OpenAI-Organization` header.
pub const OPTION_ORGANIZATION: &str = "organization";
/// Option: sent as the `OpenAI-Project` header.
pub const OPTION_PROJECT: &str = "project";

/// Builds the upstream request for one call.
pub fn from_openai(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    let mut object =
        RawObject::parse(body).map_err(|e| bad_request(format!("the request body {e}"), None))?;
    object
        .set_json("model", &ctx.upstream_model)
        .map_err(|e| bad_request(format!("cannot set `model`: {e}"), Some("model")))?;

    let streamed = streams(ctx);
    if streamed && forces_stream_usage(ctx) {
        let stream_options = with_include_usage(object.get("stream_options"))?;
        object.set("stream_options", stream_options);
    }

    let body = object
        .to_vec()
        .map_err(|e| bad_request(format!("cannot write the request body: {e}"), None))?;
    Ok(UpstreamRequest {
        method: Method::Post,
        path_and_query: path(ctx.endpoint).to_owned(),
        headers: headers(ctx),
        body,
        response_framing: streamed.then_some(StreamFraming::Sse),
        credential: None,
    })
}

/// Whether this call's upstream answer is an SSE stream.
fn streams(ctx: &CallContext) -> bool {
    ctx.streaming && ctx.endpoint == Endpoint::ChatCompletions
}

/// Whether `stream_options.include_usage` is forced on upstream for this call.
pub fn forces_stream_usage(ctx: &CallContext) -> bool {
    streams(ctx) && flag(ctx, OPTION_FORCE_STREAM_USAGE) != Some(false)
}

/// The upstream path for an endpoint.
pub fn path(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::ChatCompletions => CHAT_COMPLETIONS_PATH,
        Endpoint::Embeddings => EMBEDDINGS_PATH,
    }
}

/// `OpenAI-Organization` / `OpenAI-Project` from the model's options.
fn headers(ctx: &CallContext) -> Vec<(String, String)> {
    [
        (OPTION_ORGANIZATION, "OpenAI-Organization"),
        (OPTION_PROJECT, "OpenAI-Project"),
    ]
    .into_iter()
    .filter_map(|(key, header)| Some((header.to_owned(), option(ctx, key)?.to_owned())))
    .collect()
}

#[cfg(test)]
mod tests;
