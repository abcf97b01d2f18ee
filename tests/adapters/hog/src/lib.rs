//! Test adapter `hog`: `info()` works, `transform-request` allocates without bound. The host's memory limit must stop it.

use switchyard_guest_kit::error::bad_gateway;
use switchyard_guest_kit::{
    ApiError, CallContext, CredentialPlacement, Endpoint, Guest, NoStream, PluginInfo,
    TranslatedResponse, UpstreamRequest, UpstreamResponse,
};

/// Platform name this adapter registers under.
pub const NAME: &str = "hog";

/// The adapter, as the component exports it.
pub struct Adapter;

impl Guest for Adapter {
    type StreamTransformer = NoStream;

    fn info() -> PluginInfo {
        PluginInfo {
            name: NAME.to_owned(),
            version: "0.1.0".to_owned(),
            description: "test adapter: transform-request allocates without bound".to_owned(),
            endpoints: vec![Endpoint::ChatCompletions],
            credential: CredentialPlacement::None,
            // The discard port: nothing listens there.
            default_base_url: "http://127.0.0.1:9".to_owned(),
        }
    }

    fn transform_request(_ctx: CallContext, _body: Vec<u8>) -> Result<UpstreamRequest, ApiError> {
        const MIB: usize = 1 << 20;
        const PAGE: usize = 4096;
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            let mut block = vec![0u8; MIB];
            // Write every page so the memory is really used, not just reserved.
            for byte in block.iter_mut().step_by(PAGE) {
                *byte = 1;
            }
            hoard.push(std::hint::black_box(block));
        }
    }

    fn transform_response(
        _ctx: CallContext,
        _response: UpstreamResponse,
    ) -> Result<TranslatedResponse, ApiError> {
        Err(bad_gateway("the hog test adapter translates nothing"))
    }
}

switchyard_guest_kit::export_adapter!(Adapter);
