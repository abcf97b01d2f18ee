//! OpenAI request body → Azure OpenAI upstream request.
//!
//! The body is OpenAI's ([`openai_wire::request`]): untouched except `model`, which
//! becomes the configured deployment (the v1 API reads it; the deployments path ignores
//! it), and, on a streamed chat call, `stream_options.include_usage`, forced on so usage
//! is always accounted (the stream transformer hides the extra usage chunk again). A
//! Responses body changes in `model` only ([`openai_wire::responses::body`]; the
//! Responses API rejects `stream_options`), and there `model` is what names the
//! deployment in both URL shapes. The work here is the URL and where the credential
//! goes.
//!
//! Azure serves the Responses API without a deployment in the path, unlike chat and
//! embeddings: `POST /openai/responses?api-version=…` (the preview API, from
//! `2025-03-01-preview`; the default version here serves it) or `POST
//! /openai/v1/responses` (the v1 API). This is also how the OpenAI SDKs' `AzureOpenAI`
//! client builds it: `/responses` is not among its deployment-path operations.

use switchyard_guest_kit::openai_wire::{self, request::streams, responses};
use switchyard_guest_kit::options::option;
use switchyard_guest_kit::url::encode;
use switchyard_guest_kit::{
    ApiError, CallContext, CredentialPlacement, Endpoint, Method, StreamFraming, UpstreamRequest,
};

use super::API_KEY_HEADER;

pub use switchyard_guest_kit::openai_wire::request::{
    OPTION_FORCE_STREAM_USAGE, forces_stream_usage,
};

/// Option: `deployments` (default) or `v1`.
pub const OPTION_API_STYLE: &str = "api-style";
/// Option: the `api-version` query parameter.
pub const OPTION_API_VERSION: &str = "api-version";
/// Option: `api-key` (default) or `bearer`.
pub const OPTION_AUTH: &str = "auth";
/// `api-version` on the deployments path when the model sets none: the first version
/// that takes what GPT-5 and the o-series need (`max_completion_tokens`,
/// `reasoning_effort`, `developer` messages); 2024-10-21, the older GA version, answers
/// 400 to them.
pub const DEFAULT_API_VERSION: &str = "2025-04-01-preview";

/// The two URL shapes Azure OpenAI serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiStyle {
    /// `/openai/deployments/{deployment}/{operation}?api-version=…`; Responses at
    /// `/openai/responses?api-version=…`, deployment in the body's `model`.
    Deployments,
    /// `/openai/v1/{operation}`, deployment in the body's `model`.
    V1,
}

/// Builds the upstream request for one call.
pub fn from_openai(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    let style = api_style(ctx)?;
    let credential = credential(ctx)?;
    let path_and_query = path_and_query(ctx, style)?;
    let (body, streams) = match ctx.endpoint {
        Endpoint::Responses => (responses::body(ctx, body)?, ctx.streaming),
        _ => (openai_wire::request::body(ctx, body)?, streams(ctx)),
    };
    Ok(UpstreamRequest {
        method: Method::Post,
        path_and_query,
        headers: Vec::new(),
        body,
        response_framing: streams.then_some(StreamFraming::Sse),
        credential: Some(credential),
    })
}

/// The model's `api-style`.
pub fn api_style(ctx: &CallContext) -> Result<ApiStyle, ApiError> {
    match option(ctx, OPTION_API_STYLE).map(str::trim) {
        None | Some("deployments") => Ok(ApiStyle::Deployments),
        Some("v1") => Ok(ApiStyle::V1),
        Some(other) => Err(config_error(format!(
            "option `{OPTION_API_STYLE}` is `{other}`; expected `deployments` or `v1`"
        ))),
    }
}

/// Where the key goes, from the model's `auth` option.
fn credential(ctx: &CallContext) -> Result<CredentialPlacement, ApiError> {
    match option(ctx, OPTION_AUTH).map(str::trim) {
        None | Some("api-key") => Ok(CredentialPlacement::Header(API_KEY_HEADER.to_owned())),
        Some("bearer") => Ok(CredentialPlacement::Bearer),
        Some(other) => Err(config_error(format!(
            "option `{OPTION_AUTH}` is `{other}`; expected `api-key` or `bearer`"
        ))),
    }
}

/// A model misconfiguration: the operator must fix it, not the client.
fn config_error(message: String) -> ApiError {
    let mut error =
        switchyard_guest_kit::error::bad_gateway(format!("Azure model configuration: {message}"));
    error.status = 500;
    error
}

/// The path and query for this call.
pub fn path_and_query(ctx: &CallContext, style: ApiStyle) -> Result<String, ApiError> {
    let operation = match ctx.endpoint {
        Endpoint::ChatCompletions => "chat/completions",
        Endpoint::Embeddings => "embeddings",
        Endpoint::Responses => "responses",
        other => return Err(switchyard_guest_kit::error::unsupported_endpoint(other)),
    };
    let version = option(ctx, OPTION_API_VERSION).map(str::trim);
    Ok(match style {
        // The deployment is the body's `model`, as on the v1 API.
        ApiStyle::Deployments if ctx.endpoint == Endpoint::Responses => format!(
            "/openai/{operation}?api-version={}",
            encode(version.unwrap_or(DEFAULT_API_VERSION))
        ),
        ApiStyle::Deployments => format!(
            "/openai/deployments/{}/{operation}?api-version={}",
            encode(&ctx.upstream_model),
            encode(version.unwrap_or(DEFAULT_API_VERSION))
        ),
        ApiStyle::V1 => match version {
            Some(version) => format!("/openai/v1/{operation}?api-version={}", encode(version)),
            None => format!("/openai/v1/{operation}"),
        },
    })
}

#[cfg(test)]
mod tests;
