//! The Switchyard guest kit: the `switchyard:adapter@0.2.0` bindings, re-exported, plus
//! the few helpers every platform adapter needs (OpenAI-shaped errors, `retry-after`,
//! per-model options, OpenAI usage, the rules every stream keeps: how it ends and where
//! its errors go), the client side every adapter shares ([`openai`]: the chat request
//! read, the completion and chunks written), the translation shared by platforms
//! that speak OpenAI's own wire format ([`openai_wire`], its Responses API included),
//! and the body rule of every pass-through endpoint ([`passthrough`]: only `model`
//! changes).
//!
//! An adapter crate writes its translation as plain functions and a [`StreamState`],
//! implements [`Guest`] with [`impl_guest!`] and exports it with
//!
//! ```ignore
//! switchyard_guest_kit::export_adapter!(MyAdapter);
//! ```
//!
//! Export once per component: the macro defines the component's exported symbols.
//!
//! This is a kit, not a framework: adapters call these functions, nothing calls adapters.

// The generated export macro names paths through `switchyard_guest_kit::..`, which must
// also resolve inside this crate.
extern crate self as switchyard_guest_kit;

pub mod bindings;
pub mod chunk;
pub mod error;
pub mod headers;
pub mod no_stream;
pub mod openai;
pub mod openai_wire;
pub mod options;
pub mod passthrough;
pub mod stream;
pub mod transcript;
pub mod url;
pub mod usage;

pub use bindings::exports::switchyard::adapter::adapter::{
    Guest, GuestStreamTransformer, StreamTransformer, StreamTransformerBorrow,
};
pub use bindings::switchyard::adapter::types::{
    ApiError, CallContext, CredentialPlacement, Endpoint, Method, PluginInfo, StreamEvent,
    StreamFraming, StreamOutput, TranslatedResponse, UpstreamRequest, UpstreamResponse, Usage,
};

pub use chunk::{ChunkWriter, Delta, ToolCall};
pub use no_stream::NoStream;
pub use stream::end::{StreamEnd, truncated};
pub use stream::{Driver, Stream, StreamState};

/// The wit-bindgen runtime the generated code and the export macro refer to.
#[doc(hidden)]
pub use wit_bindgen;

/// Exports `$ty`, a type implementing [`Guest`] named by an identifier in scope, as
/// the component's `adapter`.
///
/// The exports exist on `wasm32` only: a native `cdylib` cannot carry the component's
/// export names (its linker rejects the colons in them), and native builds are for
/// unit tests, which call the adapter's functions directly. The adapter crate must name
/// this dependency `switchyard_guest_kit` (the generated code refers to it so).
#[macro_export]
macro_rules! export_adapter {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export_adapter_bindings!($ty with_types_in $crate::bindings);
    };
}

/// Implements [`Guest`] for `$adapter` from plain functions, so an adapter's `lib.rs`
/// names its translation instead of repeating the bindings' signatures.
///
/// `transform_request` is called with `(&CallContext, &[u8])`, `transform_response`
/// with `(&CallContext, UpstreamResponse)`; each may be a function path or a closure.
/// `stream` is the adapter's [`StreamState`], exported as [`Stream`]; use
/// `type StreamTransformer = NoStream;` in a hand-written impl for an adapter that does
/// not stream.
///
/// ```ignore
/// switchyard_guest_kit::impl_guest!(MyAdapter {
///     info: info,
///     transform_request: request::from_openai,
///     transform_response: |_ctx, response| response::to_openai(response),
///     stream: stream::Transformer,
/// });
/// ```
#[macro_export]
macro_rules! impl_guest {
    ($adapter:ty {
        info: $info:expr,
        transform_request: $request:expr,
        transform_response: $response:expr,
        stream: $state:ty $(,)?
    }) => {
        impl $crate::Guest for $adapter {
            type StreamTransformer = $crate::Stream<$state>;

            fn info() -> $crate::PluginInfo {
                ($info)()
            }

            fn transform_request(
                ctx: $crate::CallContext,
                body: ::std::vec::Vec<u8>,
            ) -> ::core::result::Result<$crate::UpstreamRequest, $crate::ApiError> {
                ($request)(&ctx, &body)
            }

            fn transform_response(
                ctx: $crate::CallContext,
                response: $crate::UpstreamResponse,
            ) -> ::core::result::Result<$crate::TranslatedResponse, $crate::ApiError> {
                ($response)(&ctx, response)
            }
        }
    };
}
