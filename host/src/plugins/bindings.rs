//! The `switchyard:adapter` contract, one bindings module per version (decision 7 in
//! DESIGN.md). The host works with the newest version's types; components built for
//! an older one are converted at the session boundary (`compat.rs`).

pub mod v0_1;
pub mod v0_2;

pub use v0_2::adapter::exports::switchyard::adapter::adapter::GuestStreamTransformer;
pub use v0_2::adapter::switchyard::adapter::types::{
    ApiError, CallContext, CredentialPlacement, Endpoint, Method, PluginInfo, StreamEvent,
    StreamFraming, StreamOutput, TranslatedResponse, UpstreamRequest, UpstreamResponse, Usage,
};
pub use v0_2::dialect::exports::switchyard::adapter::dialect::{DialectContext, DialectInfo};

/// The contract package this host implements.
pub const CONTRACT_PACKAGE: &str = "switchyard:adapter";
/// The contract versions the host implements, oldest first; any patch of each is accepted.
pub const CONTRACT_VERSIONS: &[&str] = &["0.1.0", "0.2.0"];
/// The newest contract version, the one the built-in components target.
pub const CONTRACT_VERSION: &str = "0.2.0";
