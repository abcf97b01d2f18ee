//! The first look at a file: is it a component at all? Answered with advice before the
//! compiler would answer with a dump of header bytes.

use super::LoadError;

/// Refuses, with advice, what is not a component before the compiler reports it as a
/// dump of header bytes.
pub(super) fn check(bytes: &[u8]) -> Result<(), LoadError> {
    const MAGIC: &[u8] = b"\0asm";
    /// Version 1, layer 0: a core module; components have layer 1.
    const CORE_MODULE: [u8; 4] = [1, 0, 0, 0];
    if !bytes.starts_with(MAGIC) {
        let start: String = String::from_utf8_lossy(&bytes[..bytes.len().min(16)])
            .chars()
            .map(|c| if c.is_control() { '.' } else { c })
            .collect();
        let start = if bytes.is_empty() {
            "nothing: the file is empty".to_owned()
        } else {
            format!("`{start}`")
        };
        return Err(LoadError::NotWasm(start));
    }
    if bytes.get(4..8) == Some(&CORE_MODULE[..]) {
        return Err(LoadError::CoreModule);
    }
    Ok(())
}

/// A compiler message on one line, at most about 400 characters.
pub(super) fn one_line(message: &str) -> String {
    let mut line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = line.char_indices().nth(400) {
        line.truncate(cut);
        line.push('…');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_component_is_refused_in_one_line_with_advice() {
        let text = check(b"hello world, not wasm at all")
            .expect_err("text")
            .to_string();
        assert!(text.contains("starts with `hello world, not`"), "{text}");
        assert!(text.contains("build.sh"), "{text}");
        assert!(!text.contains('\n'));
        let empty = check(b"").expect_err("empty").to_string();
        assert!(empty.contains("the file is empty"), "{empty}");
        let core = check(b"\0asm\x01\0\0\0")
            .expect_err("a core module")
            .to_string();
        assert!(core.contains("wasm32-wasip2"), "{core}");
        assert!(check(b"\0asm\x0d\0\x01\0").is_ok(), "a component header");
        let long = one_line(&format!("a\n   b{}", "x".repeat(1000)));
        assert!(
            long.starts_with("a b") && long.chars().count() == 401,
            "{long}"
        );
    }
}
