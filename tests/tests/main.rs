//! The integration suites, compiled into one test binary: each links the whole
//! gateway and wasmtime, and two dozen binaries cost minutes of linking and gigabytes
//! of disk. Every module is one suite against the real gateway; `cargo test <module>::`
//! runs one.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test loudly, with the reason; clippy only exempts #[test] bodies"
)]

mod anthropic;
mod azure;
mod bad_input;
mod conformance;
mod connections;
mod conversations;
mod coze;
mod egress;
mod faults;
mod gemini;
mod honest_streams;
mod hostile;
mod keys;
mod metrics_labels;
mod mock_upstream;
mod operations;
mod plugin_check;
mod process;
mod proxy;
mod reload;
mod resilience;
