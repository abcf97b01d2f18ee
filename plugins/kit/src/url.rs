//! Pieces of the upstream `path-and-query` an adapter builds from configuration or from
//! ids a client sent back.

/// Percent-encodes everything but RFC 3986 unreserved characters, so a deployment
/// name, an API version or an id stays one path segment or one query value whatever
/// it contains.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(encode("gpt-4o_mini.v2~x"), "gpt-4o_mini.v2~x");
        assert_eq!(encode("a b/c?d&e=f#"), "a%20b%2Fc%3Fd%26e%3Df%23");
        assert_eq!(encode("é"), "%C3%A9", "UTF-8 bytes, each encoded");
        assert_eq!(encode(""), "");
    }
}
