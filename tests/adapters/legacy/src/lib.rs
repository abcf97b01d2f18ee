//! Test adapter `legacy`: built against `switchyard:adapter@0.1.0` (a copy of `wit/0.1`
//! in `wit/`), the contract before dialects. The host must keep serving it unchanged
//! through its 0.1 bindings: it passes OpenAI chat through to an OpenAI-compatible
//! upstream, whole and streamed, with no translation at all.

mod bindings {
    //! Guest bindings for `switchyard:adapter@0.1.0`.
    wit_bindgen::generate!({
        world: "adapter-world",
        path: "wit",
    });
}

use std::cell::Cell;

use bindings::exports::switchyard::adapter::adapter::{Guest, GuestStreamTransformer};
use bindings::switchyard::adapter::types::{
    ApiError, CallContext, CredentialPlacement, Endpoint, Method, PluginInfo, StreamEvent,
    StreamFraming, StreamOutput, TranslatedResponse, UpstreamRequest, UpstreamResponse,
};

/// Platform name this adapter registers under.
pub const NAME: &str = "legacy";

/// The adapter, as the component exports it.
pub struct Adapter;

impl Guest for Adapter {
    type StreamTransformer = Passthrough;

    fn info() -> PluginInfo {
        PluginInfo {
            name: NAME.to_owned(),
            version: "0.1.0".to_owned(),
            description: "test adapter built against switchyard:adapter@0.1.0".to_owned(),
            endpoints: vec![Endpoint::ChatCompletions],
            credential: CredentialPlacement::Bearer,
            default_base_url: String::new(),
        }
    }

    fn transform_request(ctx: CallContext, body: Vec<u8>) -> Result<UpstreamRequest, ApiError> {
        Ok(UpstreamRequest {
            method: Method::Post,
            path_and_query: "/chat/completions".to_owned(),
            headers: Vec::new(),
            body,
            response_framing: ctx.streaming.then_some(StreamFraming::Sse),
            credential: None,
        })
    }

    fn transform_response(
        _ctx: CallContext,
        response: UpstreamResponse,
    ) -> Result<TranslatedResponse, ApiError> {
        if !(200..300).contains(&response.status) {
            return Err(ApiError {
                status: response.status,
                message: String::from_utf8_lossy(&response.body).into_owned(),
                error_type: "upstream_error".to_owned(),
                param: None,
                code: None,
                retry_after: None,
            });
        }
        Ok(TranslatedResponse {
            body: response.body,
            usage: None,
        })
    }
}

/// Passes each upstream chunk on; `[DONE]` ends the stream.
pub struct Passthrough {
    done: Cell<bool>,
}

impl GuestStreamTransformer for Passthrough {
    fn new(_ctx: CallContext, _status: u16, _headers: Vec<(String, String)>) -> Self {
        Passthrough {
            done: Cell::new(false),
        }
    }

    fn push(&self, events: Vec<StreamEvent>) -> Result<StreamOutput, ApiError> {
        let mut chunks = Vec::new();
        for event in events {
            if event.data == "[DONE]" {
                self.done.set(true);
            } else if !self.done.get() {
                chunks.push(event.data);
            }
        }
        Ok(StreamOutput {
            chunks,
            usage: None,
        })
    }

    fn finish(&self) -> Result<StreamOutput, ApiError> {
        Ok(StreamOutput {
            chunks: Vec::new(),
            usage: None,
        })
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
