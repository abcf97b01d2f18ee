//! Test adapter `longname`: `info()` returns a 1 KiB name. The contract caps a name at
//! 64 bytes: the host must refuse the adapter at load and keep `/health` small.

use switchyard_guest_kit::error::bad_gateway;
use switchyard_guest_kit::{
    ApiError, CallContext, CredentialPlacement, Endpoint, Guest, NoStream, PluginInfo,
    TranslatedResponse, UpstreamRequest, UpstreamResponse,
};

/// Bytes in the name.
pub const NAME_BYTES: usize = 1024;

/// The adapter, as the component exports it.
pub struct Adapter;

impl Guest for Adapter {
    type StreamTransformer = NoStream;

    fn info() -> PluginInfo {
        PluginInfo {
            name: "n".repeat(NAME_BYTES),
            version: "0.1.0".to_owned(),
            description: "test adapter: a 1 KiB name".to_owned(),
            endpoints: vec![Endpoint::ChatCompletions],
            credential: CredentialPlacement::None,
            // The discard port: nothing listens there.
            default_base_url: "http://127.0.0.1:9".to_owned(),
        }
    }

    fn transform_request(_ctx: CallContext, _body: Vec<u8>) -> Result<UpstreamRequest, ApiError> {
        Err(bad_gateway("the longname test adapter translates nothing"))
    }

    fn transform_response(
        _ctx: CallContext,
        _response: UpstreamResponse,
    ) -> Result<TranslatedResponse, ApiError> {
        Err(bad_gateway("the longname test adapter translates nothing"))
    }
}

switchyard_guest_kit::export_adapter!(Adapter);
