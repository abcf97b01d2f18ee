//! The Gemini adapter: OpenAI clients in, Google's native Gemini API out
//! (`generateContent`, `streamGenerateContent?alt=sse`, `batchEmbedContents`).
//!
//! This file is the bindings glue only; the translation lives in [`request`],
//! [`embeddings`], [`response`], [`stream`], [`grounding`] (a Google Search's sources as
//! `url_citation` annotations) and [`error`], which are plain Rust and tested natively.
//!
//! # Model options
//!
//! Set in a model's `options` table; all are optional.
//!
//! | Option | Values | Effect |
//! |---|---|---|
//! | `api-version` | e.g. `v1beta` (default), `v1alpha` | Version segment of the upstream path. |
//! | `reasoning-content` | `true` (default) / `false` | Thought parts reach the client as `reasoning_content`; `false` drops them. |
//! | `include-thoughts` | `true` / `false` | Forces `thinkingConfig.includeThoughts`; by default it is sent (as `true`) only when the request has `reasoning_effort`. |
//! | `thinking` | `level` / `budget` | How `reasoning_effort` is sent: `thinkingLevel` or `thinkingBudget`. Default: by model ([`request::rules`]). |
//! | `thinking-levels` | e.g. `low,high` | The `thinkingLevel` values the model accepts. Default: by model. |
//! | `penalties` | `send` / `drop` | Whether `presence_penalty` and `frequency_penalty` are sent. Default: by model (dropped on 2.5 and 3). |
//! | `safety-threshold` | e.g. `BLOCK_NONE`, `OFF` | Sent as `safetySettings` with that threshold for every harm category. |
//! | `embedding-task-type` | e.g. `RETRIEVAL_DOCUMENT` | `taskType` of every embeddings request. |
//!
//! Sources compiled into another adapter should keep paths relative (`super::..`).

pub mod candidate;
pub mod embeddings;
pub mod error;
#[cfg(test)]
mod fixtures;
pub mod grounding;
pub mod request;
pub mod response;
pub mod schema;
pub mod stream;
pub mod tool_id;
pub mod wire;

use switchyard_guest_kit::{
    ApiError, CallContext, CredentialPlacement, Endpoint, PluginInfo, TranslatedResponse,
    UpstreamRequest, UpstreamResponse,
};

/// Platform name models select this adapter by.
pub const NAME: &str = "gemini";
/// This adapter's version.
pub const VERSION: &str = "0.1.0";
/// Base URL when a model names none (the version goes in the path).
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// Header carrying the API key (what Google's SDKs send; a `?key=` query would leak
/// into URL logs).
pub const API_KEY_HEADER: &str = "x-goog-api-key";

/// What this adapter says about itself.
pub fn info() -> PluginInfo {
    PluginInfo {
        name: NAME.to_owned(),
        version: VERSION.to_owned(),
        description:
            "Google Gemini API, native generateContent (chat, streaming, tools, embeddings)"
                .to_owned(),
        endpoints: vec![Endpoint::ChatCompletions, Endpoint::Embeddings],
        credential: CredentialPlacement::Header(API_KEY_HEADER.to_owned()),
        default_base_url: DEFAULT_BASE_URL.to_owned(),
    }
}

/// The adapter, as the component exports it.
pub struct Gemini;

switchyard_guest_kit::impl_guest!(Gemini {
    info: info,
    transform_request: transform_request,
    transform_response: transform_response,
    stream: stream::Transformer,
});

/// Chat and embeddings are different Gemini methods with different bodies.
fn transform_request(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    match ctx.endpoint {
        Endpoint::ChatCompletions => request::from_openai(ctx, body),
        Endpoint::Embeddings => embeddings::from_openai(ctx, body),
        other => Err(switchyard_guest_kit::error::unsupported_endpoint(other)),
    }
}

/// A complete answer of either method; an error status reads the same for both.
fn transform_response(
    ctx: &CallContext,
    response: UpstreamResponse,
) -> Result<TranslatedResponse, ApiError> {
    if !(200..300).contains(&response.status) {
        return Err(error::from_upstream(&response));
    }
    match ctx.endpoint {
        Endpoint::ChatCompletions => response::to_openai(ctx, &response),
        Endpoint::Embeddings => embeddings::to_openai(ctx, &response),
        other => Err(switchyard_guest_kit::error::unsupported_endpoint(other)),
    }
}

#[cfg(feature = "export")]
switchyard_guest_kit::export_adapter!(Gemini);
