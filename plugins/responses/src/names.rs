//! Chat function names for Responses tools that live in a `namespace`.
//!
//! Chat completions has no namespaces, and a function name must match
//! `^[a-zA-Z0-9_-]{1,64}$`. A namespaced tool is offered to chat under one flat name
//! ([`flatten`]); the call comes back under that name and is answered with `name` and
//! `namespace` apart again, through the call's [`crate::state::ToolMap`].
//!
//! | namespace, name | chat name |
//! |---|---|
//! | `crm`, `find` | `crm__find` |
//! | `mcp__github__`, `create_issue` (Codex's MCP namespaces end in `__`) | `mcp__github__create_issue` |
//! | characters outside `[a-zA-Z0-9_-]` | each becomes `_` |
//! | longer than 64 characters | the first 47, `_`, and 16 hex digits of a hash of the whole ([`folded`]) |

/// The longest function name chat completions accepts.
pub const MAX_NAME: usize = 64;

/// Characters kept from a long name before its hash.
const FOLDED_PREFIX: usize = MAX_NAME - 17;

/// Joins a namespace and a tool name into one valid chat function name.
pub fn flatten(namespace: &str, name: &str) -> String {
    let separator = if namespace.ends_with("__") { "" } else { "__" };
    let joined: String = [namespace, separator, name]
        .concat()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if joined.len() <= MAX_NAME {
        return joined;
    }
    folded(&joined, &joined)
}

/// `name` cut to fit, with a hash of `key` after it: stable across calls, and distinct
/// for distinct keys.
pub fn folded(name: &str, key: &str) -> String {
    let prefix: String = name.chars().take(FOLDED_PREFIX).collect();
    format!("{prefix}_{:016x}", fnv1a(key.as_bytes()))
}

/// 64-bit FNV-1a: a small, deterministic hash (no randomness in this component).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_join_with_a_double_underscore() {
        assert_eq!(flatten("crm", "find"), "crm__find");
        assert_eq!(
            flatten("mcp__github__", "create_issue"),
            "mcp__github__create_issue"
        );
        assert_eq!(flatten("my.ns", "do it"), "my_ns__do_it");
    }

    #[test]
    fn long_names_are_folded_stably() {
        let long = "n".repeat(60);
        let a = flatten(&long, "alpha");
        let b = flatten(&long, "beta");
        assert_eq!(a.len(), MAX_NAME);
        assert_ne!(a, b);
        assert_eq!(a, flatten(&long, "alpha"));
        assert!(a.starts_with(&"n".repeat(FOLDED_PREFIX)));
    }
}
