//! Switchyard: a self-hosted, OpenAI-compatible LLM gateway whose platform adapters
//! are WebAssembly components.
//!
//! The modules follow one request's path: [`http`] (routes, extractors, the accept
//! loop) -> [`access`] (who is calling, may they, how much) -> [`dispatch`] (model ->
//! deployments -> attempts: adapter session, upstream, relay) -> [`plugins`] (the
//! adapter runtime), then [`record`] (metrics, request log, conversations) -> [`store`].
//! [`app`] wires them together; [`cli`] holds the tools around the server.

pub mod access;
pub mod app;
pub mod cli;
pub mod config;
pub mod dispatch;
pub mod error;
pub mod http;
pub mod memory;
pub mod plugins;
pub mod record;
pub mod redact;
pub mod spend;
pub mod state;
pub mod store;
pub mod telemetry;

pub use app::{App, serve};
pub use config::Config;
