//! The Azure OpenAI adapter: OpenAI clients in, an Azure OpenAI resource out.
//!
//! Azure takes OpenAI's bodies; what differs is the URL (deployment in the path and an
//! `api-version` query, or the newer `/openai/v1` API), the credential (`api-key`
//! header or an Entra ID bearer token), the content-filter annotations in streams, and
//! the error bodies. Responses API clients (`POST /v1/responses`) are served by
//! pass-through: the body changes in `model` only (the deployment), the Response and
//! the stream's events come back as Azure sent them, content-filter members included,
//! with usage read for accounting
//! ([`openai_wire::responses`](switchyard_guest_kit::openai_wire::responses)).
//! This file is the bindings glue only; the translation lives in
//! [`request`], [`response`], [`stream`] and [`error`], which are tested natively.
//! What Azure shares with OpenAI (the body rewrite, answers passed through, OpenAI's
//! error rules) is the kit's [`openai_wire`](switchyard_guest_kit::openai_wire), the
//! same code the OpenAI adapter runs; this crate holds what is Azure's own.
//!
//! # Model options (`[models.options]`)
//!
//! | Option | Values | Default | Meaning |
//! |---|---|---|---|
//! | `api-style` | `deployments`, `v1` | `deployments` | `deployments`: `POST /openai/deployments/{upstream_model}/chat/completions?api-version=…` (Responses: `POST /openai/responses?api-version=…`, Azure's only shape for it there); `v1`: `POST /openai/v1/chat/completions` (`/openai/v1/responses`). `model = upstream_model` is always in the body; the Responses API reads the deployment from it in both styles. |
//! | `api-version` | any Azure API version | `2025-04-01-preview` (deployments), none (v1) | The `api-version` query parameter; on `v1` it is only sent when set (e.g. `preview`). The Responses API needs `2025-03-01-preview` or later on the deployments style. |
//! | `auth` | `api-key`, `bearer` | `api-key` | Where the model's key goes: the `api-key` header, or `Authorization: Bearer` (an Entra ID token, or a key on the v1 API). |
//! | `force-stream-usage` | `true`, `false` | `true` | Ask for `stream_options.include_usage` upstream on streams so usage is always accounted; set `false` for API versions before `2024-09-01-preview`, which reject `stream_options`. |
//!
//! `base_url` is the resource endpoint, e.g. `https://my-resource.openai.azure.com` (or
//! `…cognitiveservices.azure.com`), without `/openai`.

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
pub const NAME: &str = "azure";
/// This adapter's version.
pub const VERSION: &str = "0.1.0";
/// Base URL when a model names none: a placeholder, since every Azure resource has its
/// own endpoint. Configure `base_url` per model.
pub const DEFAULT_BASE_URL: &str = "https://YOUR-RESOURCE.openai.azure.com";
/// The header carrying the key when `auth = "api-key"` (the default).
pub const API_KEY_HEADER: &str = "api-key";

/// What this adapter says about itself.
pub fn info() -> PluginInfo {
    PluginInfo {
        name: NAME.to_owned(),
        version: VERSION.to_owned(),
        description:
            "Azure OpenAI (deployments and v1 API; chat completions, embeddings, Responses API)"
                .to_owned(),
        endpoints: vec![
            Endpoint::ChatCompletions,
            Endpoint::Embeddings,
            Endpoint::Responses,
        ],
        credential: CredentialPlacement::Header(API_KEY_HEADER.to_owned()),
        default_base_url: DEFAULT_BASE_URL.to_owned(),
    }
}

/// The adapter, as the component exports it.
pub struct Azure;

/// A stream in the call's dialect: chat chunks as [`stream`] cleans them, Responses
/// events passed through.
pub type Streams = openai_wire::responses::Streams<stream::Transformer, Azure>;

switchyard_guest_kit::impl_guest!(Azure {
    info: info,
    transform_request: request::from_openai,
    transform_response: response::to_openai,
    stream: Streams,
});

#[cfg(feature = "export")]
switchyard_guest_kit::export_adapter!(Azure);
