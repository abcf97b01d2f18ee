//! The `responses` dialect: OpenAI Responses API clients (Codex CLI, the `openai` SDK's
//! `client.responses.create` / `stream`, the Agents SDK) served through any platform
//! adapter, by translation to and from OpenAI chat completions, the gateway's pivot.
//!
//! This file is the bindings glue only; the translation lives in [`request`]
//! (Responses request → chat request), [`response`] (chat completion → Response),
//! [`stream`] (chat chunks → Responses events), with [`output`] (the Response and its
//! items), [`calls`] (tool calls as items), [`citations`] (a web search's sources),
//! [`usage`] and [`error`]. [`state`] is what `to-chat` remembers for the answer of the
//! same call (custom tools, namespaces, the echoed request fields). Each module's doc
//! has its mapping table. Bodies are read into types that borrow from them ([`text`])
//! and written from types that borrow what they carry, never through
//! `serde_json::Value` trees.
//!
//! Pure translation: no I/O, no clock, no randomness; ids come from the call context.

pub mod bindings;
pub mod calls;
pub mod citations;
pub mod custom_input;
pub mod error;
#[cfg(test)]
mod fixtures;
pub mod local_shell;
pub mod names;
pub mod output;
pub mod request;
pub mod response;
pub mod state;
pub mod stream;
pub mod text;
pub mod thinking;
pub mod usage;

use std::cell::RefCell;

pub use bindings::{ApiError, DialectContext, DialectInfo, Endpoint};
use bindings::{Guest, GuestStreamConverter};

/// The dialect's name; the component file is named after it.
pub const NAME: &str = "responses";
/// This dialect's version.
pub const VERSION: &str = "0.1.0";

/// What this dialect says about itself.
pub fn info() -> DialectInfo {
    DialectInfo {
        name: NAME.to_owned(),
        version: VERSION.to_owned(),
        description: "OpenAI Responses API (POST /v1/responses) over chat completions".to_owned(),
        endpoint: Endpoint::Responses,
    }
}

/// The dialect, as the component exports it.
pub struct Responses;

impl Guest for Responses {
    type StreamConverter = StreamConverter;

    fn info() -> DialectInfo {
        info()
    }

    fn to_chat(ctx: DialectContext, body: Vec<u8>) -> Result<Vec<u8>, ApiError> {
        request::to_chat(&ctx, &body)
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
    use super::Responses;

    crate::bindings::export!(Responses with_types_in crate::bindings);
}
