//! Host bindings for `switchyard:adapter@0.1.0` (frozen), for adapters built before
//! 0.2. Generated code only; `compat.rs` converts to and from the 0.2 types the host
//! works with.

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    world: "adapter-world",
    path: "../wit/0.1",
    exports: { default: async },
});
