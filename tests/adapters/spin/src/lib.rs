//! Test adapter `spin`: `info()` works, `transform-request` never returns. The host's epoch deadline must stop it.

use switchyard_guest_kit::error::bad_gateway;
use switchyard_guest_kit::{
    ApiError, CallContext, CredentialPlacement, Endpoint, Guest, NoStream, PluginInfo,
    TranslatedResponse, UpstreamRequest, UpstreamResponse,
};

/// Platform name this adapter registers under.
pub const NAME: &str = "spin";

/// The adapter, as the component exports it.
pub struct Adapter;

impl Guest for Adapter {
    type StreamTransformer = NoStream;

    fn info() -> PluginInfo {
        PluginInfo {
            name: NAME.to_owned(),
            version: "0.1.0".to_owned(),
            description: "test adapter: transform-request never returns".to_owned(),
            endpoints: vec![Endpoint::ChatCompletions],
            credential: CredentialPlacement::None,
            // The discard port: nothing listens there.
            default_base_url: "http://127.0.0.1:9".to_owned(),
        }
    }

    fn transform_request(_ctx: CallContext, _body: Vec<u8>) -> Result<UpstreamRequest, ApiError> {
        let mut turns: u64 = 0;
        // black_box keeps the optimiser from proving the loop useless.
        loop {
            turns = std::hint::black_box(turns.wrapping_add(1));
        }
    }

    fn transform_response(
        _ctx: CallContext,
        _response: UpstreamResponse,
    ) -> Result<TranslatedResponse, ApiError> {
        Err(bad_gateway("the spin test adapter translates nothing"))
    }
}

switchyard_guest_kit::export_adapter!(Adapter);
