//! Components compiled to `wasm32-wasip2` by the build script and embedded in the binary.

/// One embedded component.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// Its name (the adapter's or dialect's).
    pub name: &'static str,
    /// The component's bytes.
    pub bytes: &'static [u8],
    /// Hex SHA-256 of `bytes`, computed by the build script: a start that finds the
    /// compiled code in the cache need not read the bytes at all.
    pub digest: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/builtin_adapters.rs"));

/// The built-ins that are dialects (the rest are platform adapters): a start serves
/// them before it is ready whatever its models route to. Known here, not after a
/// load, because a first start picks what to compile before anything is loaded.
pub const DIALECTS: &[&str] = &["messages", "responses"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_digest_is_the_sha256_of_its_bytes() {
        assert!(ADAPTERS.len() >= 7, "five adapters and two dialects");
        for builtin in ADAPTERS {
            assert_eq!(
                builtin.digest,
                crate::plugins::load::digest(builtin.bytes),
                "{}",
                builtin.name
            );
        }
    }
}
