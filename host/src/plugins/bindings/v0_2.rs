//! Host bindings for `switchyard:adapter@0.2.0`: the adapter world and the dialect
//! world, sharing one set of types. Generated code only.

#![allow(missing_docs)]

/// The adapter world; its `types` are the ones the whole host works with.
pub mod adapter {
    wasmtime::component::bindgen!({
        world: "adapter-world",
        path: "../wit/0.2",
        exports: { default: async },
    });
}

/// The dialect world, reusing the adapter world's `types`.
pub mod dialect {
    wasmtime::component::bindgen!({
        world: "dialect-world",
        path: "../wit/0.2",
        exports: { default: async },
        with: {
            "switchyard:adapter/types": super::adapter::switchyard::adapter::types,
        },
    });
}
