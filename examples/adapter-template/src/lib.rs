//! A Switchyard adapter, ready to copy: it translates OpenAI chat requests for an
//! OpenAI-compatible chat platform (a local inference server, say) and the platform's
//! answers back, plain and streamed, errors included.
//!
//! This file only wires the translation to the component's exports. The translation
//! is plain Rust, tested natively with `cargo test`:
//!
//! - [`request`]: OpenAI request body → the platform's request ([`wire`] types);
//! - [`response`]: the platform's whole answer → an OpenAI `chat.completion`;
//! - [`stream`]: the platform's stream events → OpenAI `chat.completion.chunk`s;
//! - [`error`]: the platform's error bodies → OpenAI-shaped errors.
//!
//! To adapt another platform, change [`wire`] to its JSON and the three conversions to
//! match; [`openai`] (the client side) stays as it is.

use std::cell::RefCell;

mod bindings;
pub mod error;
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

/// Base URL when a model's configuration names none. Like the OpenAI SDKs' `base_url`,
/// it includes `/v1`; request paths are relative to it.
pub const DEFAULT_BASE_URL: &str = "http://localhost:8000/v1";

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

impl Guest for Adapter {
    type StreamTransformer = StreamResource;

    fn info() -> PluginInfo {
        info()
    }

    fn transform_request(ctx: CallContext, body: Vec<u8>) -> Result<UpstreamRequest, ApiError> {
        request::from_openai(&ctx, &body)
    }

    fn transform_response(
        _ctx: CallContext,
        response: UpstreamResponse,
    ) -> Result<TranslatedResponse, ApiError> {
        response::to_openai(&response)
    }
}

/// The exported `stream-transformer` resource: one per streamed call. The bindings
/// call it through `&self`, the translation state wants `&mut self`; a `RefCell`
/// bridges the two (the gateway never calls one stream re-entrantly).
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

// Only a wasm build defines the component's exports: a native build (for `cargo test`)
// cannot carry their names, and its tests call the functions above directly. The
// generated export glue is the crate's only unsafe code.
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
