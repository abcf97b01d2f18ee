//! A Switchyard adapter for Ollama's native chat API (`POST /api/chat`), built
//! outside the gateway and loaded from its plugin folder.
//!
//! This file only wires the translation to the component's exports; the
//! translation is plain Rust, tested natively with `cargo test`:
//! [`request`] and [`messages`] (OpenAI → Ollama), [`response`] (a whole answer),
//! [`stream`] (NDJSON lines → chunks), [`error`], and [`ids`] (ids and timestamps
//! Ollama does not send). [`wire`] and [`openai`] are the two JSON dialects.

use std::cell::RefCell;

mod bindings;
pub mod error;
pub mod ids;
pub mod messages;
pub mod openai;
pub mod request;
pub mod response;
pub mod stream;
pub mod wire;

use bindings::exports::switchyard::adapter::adapter::{Guest, GuestStreamTransformer};
pub use bindings::switchyard::adapter::types::{
    ApiError, CallContext, CredentialPlacement, Endpoint, Method, PluginInfo, StreamEvent,
    StreamFraming, StreamOutput, TranslatedResponse, UpstreamRequest, UpstreamResponse, Usage,
};

/// Ollama's address when a model's configuration names no `base_url`.
pub const DEFAULT_BASE_URL: &str = "http://localhost:11434";

/// The adapter's name: the package name without `plugin-` (`ollama`).
pub fn name() -> &'static str {
    let package = env!("CARGO_PKG_NAME");
    package.strip_prefix("plugin-").unwrap_or(package)
}

/// What the adapter says about itself.
pub fn info() -> PluginInfo {
    PluginInfo {
        name: name().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        description: env!("CARGO_PKG_DESCRIPTION").to_owned(),
        endpoints: vec![Endpoint::ChatCompletions],
        // A local Ollama takes no key. Behind an authenticating proxy, the model option
        // `auth = "bearer"` switches each request to a bearer token (see `request.rs`).
        credential: CredentialPlacement::None,
        default_base_url: DEFAULT_BASE_URL.to_owned(),
    }
}

/// The component's exports.
pub struct Adapter;

impl Guest for Adapter {
    type StreamTransformer = StreamResource;

    fn info() -> PluginInfo {
        info()
    }

    fn transform_request(ctx: CallContext, body: Vec<u8>) -> Result<UpstreamRequest, ApiError> {
        request::from_openai(&ctx, &body)
    }

    fn transform_response(
        ctx: CallContext,
        response: UpstreamResponse,
    ) -> Result<TranslatedResponse, ApiError> {
        response::to_openai(&ctx, &response)
    }
}

/// The exported `stream-transformer` resource (a `RefCell` turns the bindings' `&self`
/// into the `&mut self` the state needs; a stream is never called re-entrantly).
pub struct StreamResource(RefCell<stream::Transformer>);

impl StreamResource {
    fn with(
        &self,
        f: impl FnOnce(&mut stream::Transformer) -> Result<StreamOutput, ApiError>,
    ) -> Result<StreamOutput, ApiError> {
        let mut state = self
            .0
            .try_borrow_mut()
            .map_err(|_| error::bad_gateway("stream transformer called re-entrantly"))?;
        f(&mut state)
    }
}

impl GuestStreamTransformer for StreamResource {
    fn new(ctx: CallContext, _status: u16, _headers: Vec<(String, String)>) -> Self {
        StreamResource(RefCell::new(stream::Transformer::new(&ctx)))
    }

    fn push(&self, events: Vec<StreamEvent>) -> Result<StreamOutput, ApiError> {
        self.with(|state| state.push(&events))
    }

    fn finish(&self) -> Result<StreamOutput, ApiError> {
        self.with(stream::Transformer::finish)
    }
}

// Exports exist on wasm only (a native test build cannot carry their names); the
// generated glue is the crate's only unsafe code.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod export {
    use super::Adapter;
    crate::bindings::export!(Adapter with_types_in crate::bindings);
}

/// A call context for tests.
#[cfg(test)]
pub(crate) fn test_ctx(streaming: bool, include_usage: bool) -> CallContext {
    CallContext {
        endpoint: Endpoint::ChatCompletions,
        public_model: "local".into(),
        upstream_model: "llama3.2".into(),
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
    fn info_describes_a_keyless_local_ollama() {
        let info = info();
        assert_eq!(info.name, "ollama");
        assert!(matches!(info.credential, CredentialPlacement::None));
        assert_eq!(info.default_base_url, "http://localhost:11434");
        assert_eq!(info.endpoints, vec![Endpoint::ChatCompletions]);
    }
}
