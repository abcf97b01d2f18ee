//! Anthropic Messages clients on an Anthropic model: pass-through (contract 0.2's
//! `messages` and `messages-count-tokens` endpoints).
//!
//! The client's body goes upstream byte for byte except its `model` value, which
//! becomes the deployment's model; `cache_control`, thinking blocks and signatures,
//! `context_management`, a `role: "system"` message and fields this adapter has never
//! heard of all survive. `anthropic-version` and `anthropic-beta` come from the model's
//! options as for chat; the host replaces them with the client's when it sent them.
//! Answers, stream events and errors come back unchanged too (a 529 stays a 529:
//! Anthropic clients know it), with the usage read for accounting.

pub mod stream;

use serde::Deserialize;
use serde_json::value::RawValue;
use switchyard_guest_kit::error::{bad_request, snippet};
use switchyard_guest_kit::headers::retry_after;
use switchyard_guest_kit::{
    ApiError, CallContext, Endpoint, Method, StreamFraming, TranslatedResponse, UpstreamRequest,
    UpstreamResponse,
};

use crate::error::{Envelope, SNIPPET_CHARS};
use crate::request::{MESSAGES_PATH, headers};
use crate::usage::AnthropicUsage;

/// Upstream path of the token-counting endpoint.
pub const COUNT_TOKENS_PATH: &str = "/v1/messages/count_tokens";

/// The top-level `model` member, borrowed where it sits in the body.
#[derive(Deserialize)]
struct ModelMember<'a> {
    #[serde(borrow)]
    model: &'a RawValue,
}

/// The upstream request for a Messages (or count-tokens) body.
pub fn request(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    let path = match ctx.endpoint {
        Endpoint::Messages => MESSAGES_PATH,
        Endpoint::MessagesCountTokens => COUNT_TOKENS_PATH,
        other => return Err(switchyard_guest_kit::error::unsupported_endpoint(other)),
    };
    Ok(UpstreamRequest {
        method: Method::Post,
        path_and_query: path.to_owned(),
        headers: headers(ctx),
        body: with_model(body, &ctx.upstream_model)?,
        response_framing: (ctx.endpoint == Endpoint::Messages && ctx.streaming)
            .then_some(StreamFraming::Sse),
        credential: None,
    })
}

/// `body` with its top-level `model` value replaced by `model`, every other byte kept.
pub fn with_model(body: &[u8], model: &str) -> Result<Vec<u8>, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| bad_request("the request body is not UTF-8", None))?;
    let member: ModelMember<'_> = serde_json::from_str(text).map_err(|err| {
        bad_request(
            format!("invalid request body: {err}"),
            err.to_string().contains("`model`").then_some("model"),
        )
    })?;
    let old = member.model.get();
    // The raw value borrows from `text`: its offset is where it sits in the body.
    let start = (old.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    let end = start.saturating_add(old.len());
    let (Some(before), Some(after)) = (body.get(..start), body.get(end..)) else {
        return Err(bad_request(
            "cannot locate `model` in the request body",
            Some("model"),
        ));
    };
    let quoted = serde_json::to_string(model)
        .map_err(|err| bad_request(format!("cannot write the model name: {err}"), None))?;
    let mut out = Vec::with_capacity(body.len() + quoted.len());
    out.extend_from_slice(before);
    out.extend_from_slice(quoted.as_bytes());
    out.extend_from_slice(after);
    Ok(out)
}

/// The usage of a Message or a count, as far as the answer carries one.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    usage: Option<AnthropicUsage>,
}

/// A whole answer: a 2xx body passes unchanged with its usage; anything else is the
/// error as Anthropic sent it.
pub fn response(response: UpstreamResponse) -> Result<TranslatedResponse, ApiError> {
    if !(200..300).contains(&response.status) {
        return Err(error(&response));
    }
    let answer: Answer = serde_json::from_slice(&response.body).map_err(|_| {
        switchyard_guest_kit::error::bad_gateway(format!(
            "Anthropic answered {} with a body that is not a JSON object: {}",
            response.status,
            snippet(&response.body, SNIPPET_CHARS)
        ))
    })?;
    Ok(TranslatedResponse {
        usage: answer.usage.map(|usage| usage.to_wit()),
        body: response.body,
    })
}

/// An Anthropic error answer with its own status and type; a foreign body (a proxy's
/// page) gets a message naming the status.
pub fn error(response: &UpstreamResponse) -> ApiError {
    let status = switchyard_guest_kit::error::error_status(response.status);
    let object = serde_json::from_slice::<Envelope>(&response.body)
        .ok()
        .and_then(|envelope| envelope.error);
    let (kind, message) = match object {
        Some(object) => (object.error_type, object.message),
        None => (None, None),
    };
    ApiError {
        status,
        message: message.filter(|m| !m.is_empty()).unwrap_or_else(|| {
            format!(
                "Anthropic answered HTTP {}: {}",
                response.status,
                snippet(&response.body, SNIPPET_CHARS)
            )
        }),
        error_type: kind.unwrap_or_else(|| "api_error".to_owned()),
        param: None,
        code: None,
        retry_after: retry_after(&response.headers),
    }
}

#[cfg(test)]
mod tests;
