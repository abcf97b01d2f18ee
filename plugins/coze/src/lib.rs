//! The Coze adapter: OpenAI clients in, Coze API v3 chat (`/v3/chat`) out.
//!
//! Coze is not chat completions: the model is a bot (`upstream_model` is the bot id),
//! every call needs a `user_id`, there is no system role, and tool calls are continued
//! with `POST /v3/chat/submit_tool_outputs`. The upstream is always streamed; when the
//! client asked for no stream, the host folds the chunks into one completion (no
//! polling anywhere). This file is the bindings glue only; the translation lives in
//! [`request`], [`stream`], [`response`], [`error`] and [`tool_id`].
//!
//! # Mapping
//!
//! - `user_id` is the request's `user`, else the stable id of the calling client.
//! - The whole history goes into `additional_messages`: user turns as `question`,
//!   assistant turns as `answer`. Images given by http(s) URL become `object_string`
//!   content; data URLs are refused (Coze needs an upload).
//! - System and developer messages: Coze has no system role. By default their text
//!   (in order, blank-line separated) is prepended to the first user message; with the
//!   option `system-messages = "reject"` such a request is a 400 instead. Never dropped.
//! - A bot's local-plugin call (`conversation.chat.requires_action`) becomes OpenAI
//!   `tool_calls` with `finish_reason: "tool_calls"`. Each tool call id carries the
//!   Coze conversation and chat ids ([`tool_id`]); a follow-up request that ends with
//!   `tool` messages is sent as one `submit_tool_outputs` call.
//! - Earlier tool rounds inside the history (assistant `tool_calls` and `tool`
//!   messages that are not at the end) cannot be replayed to Coze and are left out;
//!   the assistant answers that followed them are kept.
//! - `n > 1` is refused; sampling parameters and `tools` are ignored (they live in the
//!   bot's configuration on Coze).
//!
//! # Model options (`[models.options]`)
//!
//! | Option | Values | Default | Meaning |
//! |---|---|---|---|
//! | `system-messages` | `merge`, `reject` | `merge` | What to do with system/developer messages (see above). |
//!
//! `base_url` is `https://api.coze.com` (the default) or `https://api.coze.cn`.

pub mod error;
#[cfg(test)]
mod fixtures;
pub mod request;
pub mod response;
pub mod stream;
pub mod tool_id;
mod wire;

use switchyard_guest_kit::{CredentialPlacement, Endpoint, PluginInfo};

/// Platform name models select this adapter by.
pub const NAME: &str = "coze";
/// This adapter's version.
pub const VERSION: &str = "0.1.0";
/// Base URL when a model names none (international; China is `https://api.coze.cn`).
pub const DEFAULT_BASE_URL: &str = "https://api.coze.com";

/// What this adapter says about itself.
pub fn info() -> PluginInfo {
    PluginInfo {
        name: NAME.to_owned(),
        version: VERSION.to_owned(),
        description:
            "Coze API v3 chat (bots; streamed upstream, tool calls via submit_tool_outputs)"
                .to_owned(),
        endpoints: vec![Endpoint::ChatCompletions],
        credential: CredentialPlacement::Bearer,
        default_base_url: DEFAULT_BASE_URL.to_owned(),
    }
}

/// The adapter, as the component exports it.
pub struct Coze;

switchyard_guest_kit::impl_guest!(Coze {
    info: info,
    transform_request: request::from_openai,
    transform_response: |_ctx, answer| response::to_openai(&answer),
    stream: stream::Transformer,
});

#[cfg(feature = "export")]
switchyard_guest_kit::export_adapter!(Coze);
