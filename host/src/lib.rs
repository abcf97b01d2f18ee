//! Switchyard: a self-hosted, OpenAI-compatible LLM gateway whose platform adapters
//! are WebAssembly components.
//!
//! A request flows: [`routes`] -> [`models`] resolution -> [`plugins`] snapshot and
//! session -> `transform-request` -> [`upstream`] -> `transform-response`, or
//! [`sse`] framing + [`relay`] for streams (and [`aggregate`] for streaming-only
//! upstreams answering non-streaming clients).

pub mod aggregate;
pub mod auth;
pub mod check;
pub mod cli;
pub mod config;
pub mod conversation;
pub mod error;
pub mod keys;
pub mod keys_command;
pub mod ledger;
pub mod limits;
pub mod metrics;
pub mod models;
pub mod plugins;
pub mod proxy;
pub mod redact;
pub mod relay;
pub mod routes;
pub mod routing;
pub mod server;
pub mod sse;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod unfold;
pub mod upstream;

pub use config::Config;
pub use server::{App, serve};
