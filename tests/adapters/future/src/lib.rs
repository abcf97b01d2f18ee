//! Test adapter `future`: built against `switchyard:adapter@0.3.0` (a copy of the WIT
//! with only the version changed, in `wit/`), so the host must refuse it as outside
//! the contract versions it supports. It generates its own bindings: the guest kit is
//! built against 0.1.0 or 0.2.0.

mod bindings {
    //! Guest bindings for `switchyard:adapter@0.3.0`.
    wit_bindgen::generate!({
        world: "adapter-world",
        path: "wit",
    });
}

use bindings::exports::switchyard::adapter::adapter::{Guest, GuestStreamTransformer};
use bindings::switchyard::adapter::types::{
    ApiError, CallContext, CredentialPlacement, Endpoint, PluginInfo, StreamEvent, StreamOutput,
    TranslatedResponse, UpstreamRequest, UpstreamResponse,
};

/// Platform name this adapter registers under.
pub const NAME: &str = "future";

/// The adapter, as the component exports it.
pub struct Adapter;

impl Guest for Adapter {
    type StreamTransformer = NoStream;

    fn info() -> PluginInfo {
        PluginInfo {
            name: NAME.to_owned(),
            version: "0.1.0".to_owned(),
            description: "test adapter built against switchyard:adapter@0.3.0".to_owned(),
            endpoints: vec![Endpoint::ChatCompletions],
            credential: CredentialPlacement::None,
            default_base_url: "http://127.0.0.1:9".to_owned(),
        }
    }

    fn transform_request(_ctx: CallContext, _body: Vec<u8>) -> Result<UpstreamRequest, ApiError> {
        Err(refused())
    }

    fn transform_response(
        _ctx: CallContext,
        _response: UpstreamResponse,
    ) -> Result<TranslatedResponse, ApiError> {
        Err(refused())
    }
}

/// A stream transformer that produces nothing.
pub struct NoStream;

impl GuestStreamTransformer for NoStream {
    fn new(_ctx: CallContext, _status: u16, _headers: Vec<(String, String)>) -> Self {
        NoStream
    }

    fn push(&self, _events: Vec<StreamEvent>) -> Result<StreamOutput, ApiError> {
        Err(refused())
    }

    fn finish(&self) -> Result<StreamOutput, ApiError> {
        Err(refused())
    }
}

/// What every call answers, should a host ever load this adapter.
fn refused() -> ApiError {
    ApiError {
        status: 502,
        message: "the future test adapter must never be loaded".to_owned(),
        error_type: "server_error".to_owned(),
        param: None,
        code: None,
        retry_after: None,
    }
}

/// The component's exports. Native cdylibs cannot carry the component's export names
/// (their linker rejects the colons), so the exports are for wasm only.
#[cfg(target_arch = "wasm32")]
#[expect(
    unsafe_code,
    reason = "wit-bindgen's export! expands to the component ABI glue, which is unsafe"
)]
mod export {
    use super::Adapter;

    crate::bindings::export!(Adapter with_types_in crate::bindings);
}
