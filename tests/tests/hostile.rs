//! A hostile adapter (issue 13): a component that keeps to the WIT types but uses them
//! against the host. Whatever it returns, the host keeps its promises:
//!
//! - the request goes only to the model's configured origin, with the credential only
//!   where a credential may go, or it is refused before anything is sent (`origin`,
//!   `credentials`);
//! - adapter headers within the contract's limits pass, the rest is refused, and the
//!   client always gets an answer (`headers`);
//! - what reaches the client is an OpenAI body, an OpenAI error with a real error
//!   status, or a well-formed SSE stream with one `[DONE]` at its end (`answers`,
//!   `streams`);
//! - an adapter that describes itself with megabytes is refused at load (`info`).
//!
//! Each refusal is a 502 with code `adapter_failure` naming the adapter, and the gateway
//! keeps serving its other models. The attacks come from `tests/adapters/hostile`, which
//! picks one per configured model (see its crate docs), and `tests/adapters/bloat` and
//! `tests/adapters/longname` for `info()`.

mod answers;
mod credentials;
mod headers;
mod info;
mod origin;
mod streams;
mod support;
