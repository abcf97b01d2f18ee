//! The OpenAI adapter: OpenAI clients in, OpenAI (or an OpenAI-compatible server) out.
//!
//! This file is the bindings glue only; the translation lives in [`request`],
//! [`response`], [`stream`] and [`error`], which are plain Rust and tested natively.
//! Most of it is the kit's [`openai_wire`](switchyard_guest_kit::openai_wire), which
//! the Azure adapter shares: OpenAI's own error bodies are its defaults.
//!
//! Responses API clients (`POST /v1/responses`) are served by pass-through to
//! `{base_url}/responses`: the body changes in `model` only, the Response and the
//! stream's events come back as OpenAI sent them, with usage read for accounting
//! ([`openai_wire::responses`](switchyard_guest_kit::openai_wire::responses)).
//!
//! The `shout` test adapter compiles these sources as a module of its own crate, so
//! paths between them are relative (`super::..`), never `crate::..`.

pub mod error;
#[cfg(test)]
mod fixtures;
pub mod request;
pub mod response;
pub mod stream;
#[cfg(test)]
mod tests;

use switchyard_guest_kit::openai_wire;
use switchyard_guest_kit::{CredentialPlacement, Endpoint, PluginInfo};

/// Platform name models select this adapter by.
pub const NAME: &str = "openai";
/// This adapter's version.
pub const VERSION: &str = "0.1.0";
/// Base URL when a model names none. It includes `/v1`, like the OpenAI SDKs' `base_url`.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// What this adapter says about itself.
pub fn info() -> PluginInfo {
    PluginInfo {
        name: NAME.to_owned(),
        version: VERSION.to_owned(),
        description:
            "OpenAI API and OpenAI-compatible servers (chat completions, embeddings, Responses API)"
                .to_owned(),
        endpoints: vec![
            Endpoint::ChatCompletions,
            Endpoint::Embeddings,
            Endpoint::Responses,
        ],
        credential: CredentialPlacement::Bearer,
        default_base_url: DEFAULT_BASE_URL.to_owned(),
    }
}

/// The adapter, as the component exports it.
pub struct OpenAi;

/// A stream in the call's dialect: chat chunks as [`stream`] keeps them, Responses
/// events passed through.
pub type Streams = openai_wire::responses::Streams<stream::Transformer, OpenAi>;

switchyard_guest_kit::impl_guest!(OpenAi {
    info: info,
    transform_request: request::from_openai,
    transform_response: response::for_call,
    stream: Streams,
});

// Off only where these sources are compiled into another adapter (`shout`), which
// exports itself: two exports of one interface do not link.
#[cfg(feature = "export")]
switchyard_guest_kit::export_adapter!(OpenAi);
