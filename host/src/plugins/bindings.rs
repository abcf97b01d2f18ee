//! Host bindings generated from the `switchyard:adapter` WIT package. Generated code
//! only: the logic that uses it lives in the sibling modules.

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    world: "adapter-world",
    path: "../wit",
    exports: { default: async },
});

pub use self::exports::switchyard::adapter::adapter::GuestStreamTransformer;
pub use self::switchyard::adapter::types::{
    ApiError, CallContext, CredentialPlacement, Endpoint, Method, PluginInfo, StreamEvent,
    StreamFraming, StreamOutput, TranslatedResponse, UpstreamRequest, UpstreamResponse, Usage,
};

/// The contract package this host implements.
pub const CONTRACT_PACKAGE: &str = "switchyard:adapter";
/// The contract version the host was built against; any `0.1.x` is accepted.
pub const CONTRACT_VERSION: &str = "0.1.0";
