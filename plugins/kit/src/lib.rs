//! The Switchyard guest kit: the `switchyard:adapter@0.1.0` bindings, re-exported, plus
//! the few helpers every platform adapter needs (OpenAI-shaped errors, `retry-after`,
//! per-model options, OpenAI usage, writing OpenAI chunks, the rules every stream
//! keeps: how it ends and where its errors go), and the translation shared by
//! platforms that speak OpenAI's own wire format ([`openai_wire`]).
//!
//! An adapter crate implements [`Guest`] and a [`StreamState`] (the kit's [`Stream`] is
//! its `stream-transformer`) and exports them with
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
pub mod openai_wire;
pub mod options;
pub mod stream;
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
