//! A Switchyard adapter, ready to copy: it translates OpenAI chat requests, tools
//! included, for an OpenAI-compatible chat platform (a local inference server, say) and
//! the platform's answers back, plain and streamed, errors included.
//!
//! The client side comes from the kit (`switchyard_guest_kit::openai`): the request
//! types, the completion and chunk writers, the error helpers. This crate holds the
//! platform's side only, as plain Rust tested natively with `cargo test`:
//!
//! - [`wire`]: the platform's JSON;
//! - [`request`]: the OpenAI request → the platform's request;
//! - [`response`]: the platform's whole answer → an OpenAI `chat.completion`;
//! - [`stream`]: the platform's stream events → OpenAI `chat.completion.chunk`s;
//! - [`error`]: the platform's error bodies → OpenAI-shaped errors.
//!
//! To adapt another platform, change [`wire`] to its JSON and the four translations to
//! match; this file only names them.

pub mod error;
pub mod request;
pub mod response;
pub mod stream;
pub mod wire;

use switchyard_guest_kit::{CredentialPlacement, Endpoint, PluginInfo};

/// Base URL when a model's configuration names none. Like the OpenAI SDKs' `base_url`,
/// it includes `/v1`; request paths are relative to it.
pub const DEFAULT_BASE_URL: &str = "http://localhost:8000/v1";

/// How errors and logs name the platform.
pub const PLATFORM: &str = "the template platform";

/// The adapter's name: the package name without `plugin-`. Models select the adapter
/// with `adapter = "<name>"`, and the gateway loads it from `<name>.wasm`.
pub fn name() -> &'static str {
    let package = env!("CARGO_PKG_NAME");
    package.strip_prefix("plugin-").unwrap_or(package)
}

/// What the adapter says about itself; the gateway reads it once, when it loads.
pub fn info() -> PluginInfo {
    PluginInfo {
        name: name().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        description: env!("CARGO_PKG_DESCRIPTION").to_owned(),
        endpoints: vec![Endpoint::ChatCompletions],
        // The gateway sends the model's `api_key` as `Authorization: Bearer …`. Use
        // `Header("x-api-key".into())`, `Query("key".into())` or `None` if your
        // platform wants it elsewhere.
        credential: CredentialPlacement::Bearer,
        default_base_url: DEFAULT_BASE_URL.to_owned(),
    }
}

/// The component's exports.
pub struct Adapter;

switchyard_guest_kit::impl_guest!(Adapter {
    info: info,
    transform_request: request::from_openai,
    transform_response: response::to_openai,
    stream: stream::Transformer,
});

switchyard_guest_kit::export_adapter!(Adapter);

/// A call context for tests.
#[cfg(test)]
pub(crate) fn test_ctx(streaming: bool, include_usage: bool) -> switchyard_guest_kit::CallContext {
    switchyard_guest_kit::CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "my-model".into(),
        upstream_model: "upstream-model".into(),
        streaming,
        include_usage,
        client_id: "test-client".into(),
        options: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_takes_its_name_from_the_package() {
        let info = info();
        assert!(!info.name.is_empty() && !info.name.starts_with("plugin-"));
        assert!(
            info.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "`{}` is a valid file stem and model adapter name",
            info.name
        );
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(info.endpoints, vec![Endpoint::ChatCompletions]);
        assert!(matches!(info.credential, CredentialPlacement::Bearer));
        assert!(!info.default_base_url.ends_with('/'), "no trailing slash");
    }
}
