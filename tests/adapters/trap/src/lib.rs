//! Test adapter `trap`: `info()` works, `transform-request` panics, which is a wasm trap. The host must answer 502 and keep serving.

use switchyard_guest_kit::error::bad_gateway;
use switchyard_guest_kit::{
    ApiError, CallContext, CredentialPlacement, Endpoint, Guest, NoStream, PluginInfo,
    TranslatedResponse, UpstreamRequest, UpstreamResponse,
};

/// Platform name this adapter registers under.
pub const NAME: &str = "trap";

/// The adapter, as the component exports it.
pub struct Adapter;

impl Guest for Adapter {
    type StreamTransformer = NoStream;

    fn info() -> PluginInfo {
        PluginInfo {
            name: NAME.to_owned(),
            version: "0.1.0".to_owned(),
            description: "test adapter: transform-request traps".to_owned(),
            endpoints: vec![Endpoint::ChatCompletions],
            credential: CredentialPlacement::None,
            // The discard port: nothing listens there.
            default_base_url: "http://127.0.0.1:9".to_owned(),
        }
    }

    #[expect(clippy::panic, reason = "trapping is what this adapter is for")]
    fn transform_request(_ctx: CallContext, _body: Vec<u8>) -> Result<UpstreamRequest, ApiError> {
        panic!("the trap test adapter traps in transform-request, on purpose")
    }

    fn transform_response(
        _ctx: CallContext,
        _response: UpstreamResponse,
    ) -> Result<TranslatedResponse, ApiError> {
        Err(bad_gateway("the trap test adapter translates nothing"))
    }
}

switchyard_guest_kit::export_adapter!(Adapter);
