//! The Anthropic adapter: OpenAI clients in, the Anthropic Messages API
//! (`POST /v1/messages`) out.
//!
//! This file is the bindings glue only; the translation lives in [`request`],
//! [`response`], [`stream`] and [`error`], which are plain Rust and tested natively.
//!
//! The credential goes in `x-api-key`; every request carries `anthropic-version`.
//!
//! # Model options (`options` table of a model)
//!
//! | Option | Default | Meaning |
//! |---|---|---|
//! | `default-max-tokens` | `4096` | `max_tokens` sent when the client sets neither `max_completion_tokens` nor `max_tokens` (Anthropic requires one). |
//! | `anthropic-version` | `2023-06-01` | The `anthropic-version` header. |
//! | `anthropic-beta` | none | Sent as the `anthropic-beta` header (comma-separated beta ids). |
//! | `thinking` | by model name | `adaptive` (`thinking.type: adaptive` + `output_config.effort`) or `budget` (`enabled` + `budget_tokens`). |
//! | `sampling` | by model name | `send` or `drop`: whether `temperature`, `top_p`, `top_k` are sent (never while thinking). |
//! | `efforts` | by model name | The `output_config.effort` values the model accepts, e.g. `low,medium,high,max`. |
//! | `web-search-tool` | `web_search_20250305` | The server tool `type` sent for `web_search_options`, e.g. `web_search_20260209` (dynamic filtering, Opus and Sonnet 4.6 and later). |
//! | `web-search-max-uses` | `5` | The web search tool's `max_uses`: the searches one call may run. |
//!
//! # What maps to what
//!
//! - `system` and `developer` messages become the top-level `system`; consecutive
//!   same-role turns are merged; empty text is dropped; tool results go into one user
//!   turn; `n > 1` is refused with a 400.
//! - `reasoning_effort` becomes `thinking` the way the model wants it: adaptive with
//!   `output_config.effort` on Opus 4.6 and later, a budget on older models (see
//!   [`request::rules`] for the table and the `thinking`, `sampling` and `efforts`
//!   options that override it); thinking comes back as `reasoning_content`, and whole
//!   with its signature as `thinking_blocks`, which an assistant message may carry back
//!   (they go first in the turn, unmodified).
//! - `temperature`, `top_p` and `top_k` are dropped for models that refuse them (Opus
//!   4.7 and later answer 400 to any of them) and whenever thinking is on.
//! - `web_search_options` adds Anthropic's server tool `web_search` (see
//!   [`request::search`]); its `server_tool_use` and `web_search_tool_result` blocks
//!   never become tool calls, and the citations in the answer's text become
//!   `url_citation` annotations ([`citations`]).
//! - `response_format` `json_schema` becomes `output_config.format`; a tool's `strict`
//!   and `cache_control` on parts and tools are kept; a `user` that looks like an email
//!   or phone number is sent as an opaque hash.
//! - Errors keep Anthropic's status, except 529 (overloaded), which becomes 503.
//!
//! Anthropic Messages clients (`/v1/messages`, `/v1/messages/count_tokens`) are served
//! by pass-through: see [`native`].

pub mod citations;
pub mod error;
#[cfg(test)]
mod fixtures;
pub mod native;
pub mod request;
pub mod response;
pub mod stream;
pub mod usage;

use switchyard_guest_kit::{
    ApiError, CallContext, CredentialPlacement, Endpoint, PluginInfo, StreamEvent, StreamState,
    TranslatedResponse, UpstreamRequest, UpstreamResponse, Usage,
};

/// Platform name models select this adapter by.
pub const NAME: &str = "anthropic";
/// This adapter's version.
pub const VERSION: &str = "0.1.0";
/// Base URL when a model names none; the adapter appends `/v1/messages`.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// The header carrying the API key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// What this adapter says about itself.
pub fn info() -> PluginInfo {
    PluginInfo {
        name: NAME.to_owned(),
        version: VERSION.to_owned(),
        description: "Anthropic Messages API (Claude chat, tools, images, thinking)".to_owned(),
        endpoints: vec![
            Endpoint::ChatCompletions,
            Endpoint::Messages,
            Endpoint::MessagesCountTokens,
        ],
        credential: CredentialPlacement::Header(API_KEY_HEADER.to_owned()),
        default_base_url: DEFAULT_BASE_URL.to_owned(),
    }
}

/// The adapter, as the component exports it.
pub struct Anthropic;

switchyard_guest_kit::impl_guest!(Anthropic {
    info: info,
    transform_request: transform_request,
    transform_response: transform_response,
    stream: Streams,
});

/// Chat calls are translated; Messages calls pass through ([`native`]).
fn transform_request(ctx: &CallContext, body: &[u8]) -> Result<UpstreamRequest, ApiError> {
    match ctx.endpoint {
        Endpoint::ChatCompletions => request::from_openai(ctx, body),
        _ => native::request(ctx, body),
    }
}

/// A whole answer in the call's dialect.
fn transform_response(
    ctx: &CallContext,
    response: UpstreamResponse,
) -> Result<TranslatedResponse, ApiError> {
    match ctx.endpoint {
        Endpoint::ChatCompletions => response::to_openai(ctx, response),
        _ => native::response(response),
    }
}

/// A stream in the call's dialect: chat chunks translated, Messages events passed on.
#[derive(Debug)]
pub enum Streams {
    /// An OpenAI client's stream (boxed: its state is the larger by far).
    Chat(Box<stream::Transformer>),
    /// An Anthropic client's stream.
    Native(native::stream::Passthrough),
}

impl StreamState for Streams {
    fn start(ctx: &CallContext) -> Self {
        match ctx.endpoint {
            Endpoint::ChatCompletions => Self::Chat(Box::new(stream::Transformer::start(ctx))),
            _ => Self::Native(native::stream::Passthrough::start(ctx)),
        }
    }

    fn event(&mut self, event: StreamEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        match self {
            Self::Chat(state) => state.event(event, out),
            Self::Native(state) => state.event(event, out),
        }
    }

    fn finish(&mut self, out: &mut Vec<String>) -> Result<(), ApiError> {
        match self {
            Self::Chat(state) => state.finish(out),
            Self::Native(state) => state.finish(),
        }
    }

    fn usage(&self) -> Option<Usage> {
        match self {
            Self::Chat(state) => state.usage(),
            Self::Native(state) => state.usage(),
        }
    }
}

#[cfg(feature = "export")]
switchyard_guest_kit::export_adapter!(Anthropic);
