//! Test adapter `bloat`: `info()` returns a 4 MiB version string. The contract caps a
//! version at 64 bytes: the host must refuse the adapter at load and keep `/health` small.

use switchyard_guest_kit::error::bad_gateway;
use switchyard_guest_kit::{
    ApiError, CallContext, CredentialPlacement, Endpoint, Guest, NoStream, PluginInfo,
    TranslatedResponse, UpstreamRequest, UpstreamResponse,
};

/// Platform name this adapter registers under.
pub const NAME: &str = "bloat";

/// Bytes in the version string.
pub const VERSION_BYTES: usize = 4 << 20;

/// The adapter, as the component exports it.
pub struct Adapter;

impl Guest for Adapter {
    type StreamTransformer = NoStream;

    fn info() -> PluginInfo {
        PluginInfo {
            name: NAME.to_owned(),
            version: "9".repeat(VERSION_BYTES),
            description: "test adapter: a 4 MiB version".to_owned(),
            endpoints: vec![Endpoint::ChatCompletions],
            credential: CredentialPlacement::None,
            // The discard port: nothing listens there.
            default_base_url: "http://127.0.0.1:9".to_owned(),
        }
    }

    fn transform_request(_ctx: CallContext, _body: Vec<u8>) -> Result<UpstreamRequest, ApiError> {
        Err(bad_gateway("the bloat test adapter translates nothing"))
    }

    fn transform_response(
        _ctx: CallContext,
        _response: UpstreamResponse,
    ) -> Result<TranslatedResponse, ApiError> {
        Err(bad_gateway("the bloat test adapter translates nothing"))
    }
}

switchyard_guest_kit::export_adapter!(Adapter);
