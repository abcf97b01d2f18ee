//! End-to-end test support for Switchyard.
//!
//! - [`MockUpstream`]: a mock OpenAI upstream on loopback that answers from the recorded
//!   wire format (also run as the `mock-upstream` binary for the Python tests).
//! - [`TestGateway`]: the real gateway (`switchyard::serve`) on `127.0.0.1:0` with
//!   temporary data and plugin folders, configured with [`TestConfig`].
//! - [`sse::ChatStream`]: a client-side reading of a streamed answer; [`checks`]: reading
//!   answers and checking that errors are OpenAI-shaped.
//! - [`platforms`]: the five platforms as the shared case lists see them, and
//!   [`platform_cases!`] that runs a case list for each.
//! - [`wasm`]: paths of the adapter components built by `build.rs`; [`binary`]: the real
//!   `switchyard` binary, for tests that run its commands.

pub mod binary;
pub mod checks;
pub mod config;
pub mod gateway;
pub mod mock_upstream;
pub mod platforms;
pub mod sse;

pub use config::TestConfig;
pub use gateway::TestGateway;
pub use mock_upstream::{MockUpstream, RecordedRequest};

/// Paths of the adapter components built for `wasm32-wasip2` by `build.rs`.
pub mod wasm {
    include!(concat!(env!("OUT_DIR"), "/wasm_paths.rs"));
}

/// Sends the gateway's logs to the test output; `RUST_LOG` picks the level (default
/// `warn`). Safe to call many times.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // A second initialisation fails harmlessly: one subscriber per test binary.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}
