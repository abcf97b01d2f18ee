//! The `messages` dialect: Anthropic Messages API clients (Claude Code, the `anthropic`
//! SDKs) served through any platform adapter, by translation to and from OpenAI chat
//! completions, the gateway's pivot.
//!
//! This file is the bindings glue only; the translation lives in [`request`]
//! (Messages request → chat request), [`response`] (chat completion → Message),
//! [`stream`] (chat chunks → Messages events), [`stop_reason`], [`usage`] and
//! [`error`], which are plain Rust over serde types and tested natively. Each module's
//! doc has its mapping table. Bodies are read into types that borrow from them
//! ([`text`]) and written from types that borrow what they carry ([`message`],
//! `request::chat`), never through `serde_json::Value` trees.
//!
//! Pure translation: no I/O, no clock, no randomness; ids come from the call context.

pub mod bindings;
pub mod error;
#[cfg(test)]
mod fixtures;
pub mod message;
pub mod request;
pub mod response;
pub mod stop_reason;
pub mod stream;
pub mod text;
pub mod usage;

use std::cell::RefCell;

pub use bindings::{ApiError, DialectContext, DialectInfo, Endpoint};
use bindings::{Guest, GuestStreamConverter};

/// The dialect's name; the component file is named after it.
pub const NAME: &str = "messages";
/// This dialect's version.
pub const VERSION: &str = "0.1.0";

/// What this dialect says about itself.
pub fn info() -> DialectInfo {
    DialectInfo {
        name: NAME.to_owned(),
        version: VERSION.to_owned(),
        description: "Anthropic Messages API (POST /v1/messages) over chat completions".to_owned(),
        endpoint: Endpoint::Messages,
    }
}

/// The dialect, as the component exports it.
pub struct Messages;

impl Guest for Messages {
    type StreamConverter = StreamConverter;

    fn info() -> DialectInfo {
        info()
    }

    fn to_chat(_ctx: DialectContext, body: Vec<u8>) -> Result<Vec<u8>, ApiError> {
        request::to_chat(&body)
    }

    fn from_chat(ctx: DialectContext, body: Vec<u8>) -> Result<Vec<u8>, ApiError> {
        response::from_chat(&ctx, &body)
    }
}

/// The exported stream resource: a [`stream::Converter`] behind the `&self` methods
/// the bindings call.
pub struct StreamConverter(RefCell<stream::Converter>);

impl GuestStreamConverter for StreamConverter {
    fn new(ctx: DialectContext) -> Self {
        Self(RefCell::new(stream::Converter::new(&ctx)))
    }

    fn push(&self, chunks: Vec<String>) -> Result<Vec<String>, ApiError> {
        self.0.borrow_mut().push(&chunks)
    }

    fn finish(&self) -> Result<Vec<String>, ApiError> {
        self.0.borrow_mut().finish()
    }

    fn fail(&self, error: ApiError) -> Vec<String> {
        self.0.borrow_mut().fail(&error)
    }
}

// The exports exist on `wasm32` only: a native `cdylib` cannot carry the component's
// export names (its linker rejects the colons in them), and native builds are for unit
// tests, which call the translation directly.
#[cfg(all(target_arch = "wasm32", feature = "export"))]
#[expect(
    unsafe_code,
    reason = "wit-bindgen's export! expands to the component ABI glue, which is unsafe"
)]
mod export {
    use super::Messages;

    crate::bindings::export!(Messages with_types_in crate::bindings);
}
