//! Adapters compiled to `wasm32-wasip2` by the build script and embedded in the binary.

include!(concat!(env!("OUT_DIR"), "/builtin_adapters.rs"));
