//! OpenAI request body → OpenAI upstream request.
//!
//! The body is the kit's OpenAI-wire body ([`openai_wire::request`]): untouched except
//! `model` and, on chat streams, `stream_options.include_usage`. A Responses body
//! ([`openai_wire::responses::body`]) changes in `model` only: the Responses API
//! rejects `stream_options`. What is OpenAI's own is the path and the organization and
//! project headers, the same for every endpoint.

use switchyard_guest_kit::openai_wire::{self, request::streams, responses};
use switchyard_guest_kit::options::option;
use switchyard_guest_kit::{
    ApiError, CallContext, Endpoint, Method, StreamFraming, UpstreamRequest,
};

pub use switchyard_guest_kit::openai_wire::request::{
    OPTION_FORCE_STREAM_USAGE, forces_stream_usage,
};

/// Upstream path of the chat completions endpoint, relative to a base URL ending in `/v1`.
pub const CHAT_COMPLETIONS_PATH: &str = "/chat/completions";
/// Upstream path of the embeddings endpoint.
pub const EMBEDDINGS_PATH: &str = "/embeddings";
/// Upstream path of the Responses endpoint.
pub const RESPONSES_PATH: &str = "/responses";

/// Option: sent as the `OpenAI-Organization` header.
pub const OPTION_ORGANIZATION: &str = "organization";
/// Option: sent as the `OpenAI-Project` header.
pub const OPTION_PROJECT: &str = "project";

/// Builds the upstream request for one call.
pub fn from_openai(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    let path = path(ctx.endpoint)?;
    let (body, streams) = match ctx.endpoint {
        Endpoint::Responses => (responses::body(ctx, body)?, ctx.streaming),
        _ => (openai_wire::request::body(ctx, body)?, streams(ctx)),
    };
    Ok(UpstreamRequest {
        method: Method::Post,
        path_and_query: path.to_owned(),
        headers: headers(ctx),
        body,
        response_framing: streams.then_some(StreamFraming::Sse),
        credential: None,
    })
}

/// The upstream path for an endpoint.
pub fn path(endpoint: Endpoint) -> Result<&'static str, ApiError> {
    match endpoint {
        Endpoint::ChatCompletions => Ok(CHAT_COMPLETIONS_PATH),
        Endpoint::Embeddings => Ok(EMBEDDINGS_PATH),
        Endpoint::Responses => Ok(RESPONSES_PATH),
        other => Err(switchyard_guest_kit::error::unsupported_endpoint(other)),
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
