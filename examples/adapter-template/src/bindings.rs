//! Rust bindings for the contract in `wit/` (a copy of Switchyard's
//! `switchyard:adapter@0.2.0` package, see `wit/README.md`).
//!
//! Generated code stays in this file; the rest of the crate uses the re-exports in
//! `lib.rs`. The generated items carry the WIT's doc comments; wit-bindgen's own
//! plumbing has none.
#![allow(missing_docs, unsafe_code)]

wit_bindgen::generate!({
    world: "adapter-world",
    path: "wit",
});
