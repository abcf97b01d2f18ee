//! Which headers an adapter may ask the host to send upstream. The host owns framing
//! (`content-length`, `transfer-encoding`, hop-by-hop headers), the target (`host`) and
//! the credential (`authorization` and the header the credential is placed in), so an
//! adapter may set none of those; counts and sizes are bounded so a hostile adapter
//! cannot make the request task fail or the upstream request enormous.

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::plugins::bindings::CredentialPlacement;

/// Most headers one adapter request may carry.
pub const MAX_HEADERS: usize = 64;
/// Longest header name.
pub const MAX_NAME_BYTES: usize = 256;
/// Longest header value.
pub const MAX_VALUE_BYTES: usize = 8 * 1024;
/// Longest query parameter name for a credential placed in the query.
const MAX_QUERY_NAME: usize = 64;

/// Names only the host may set.
const FORBIDDEN: &[&str] = &[
    "host",
    "authorization",
    "proxy-authorization",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

/// The adapter's headers as a map, or the rule they break. `credential_header` is the
/// header the credential goes in, if any: the adapter may not set it either.
pub fn build(
    pairs: &[(String, String)],
    credential_header: Option<&HeaderName>,
) -> Result<HeaderMap, String> {
    if pairs.len() > MAX_HEADERS {
        return Err(format!(
            "an upstream request may carry at most {MAX_HEADERS} adapter headers (got {})",
            pairs.len()
        ));
    }
    let mut map = HeaderMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        if name.len() > MAX_NAME_BYTES || value.len() > MAX_VALUE_BYTES {
            return Err(format!(
                "an adapter header name may have at most {MAX_NAME_BYTES} bytes and a value at most {MAX_VALUE_BYTES} (header `{}`)",
                shown(name)
            ));
        }
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{}` is not a valid header name", shown(name)))?;
        if FORBIDDEN.contains(&header.as_str()) || Some(&header) == credential_header {
            return Err(format!(
                "the header `{header}` is set by the host; an adapter may not set it"
            ));
        }
        // `from_str` refuses CR, LF and other control characters.
        let value = HeaderValue::from_str(value).map_err(|_| {
            format!("the value of header `{header}` holds CR, LF or another control character")
        })?;
        map.append(header, value);
    }
    Ok(map)
}

/// The header a `Header` placement names, checked like an adapter header.
pub fn credential_header(placement: &CredentialPlacement) -> Result<Option<HeaderName>, String> {
    match placement {
        CredentialPlacement::Header(name) => {
            let header = HeaderName::from_bytes(name.as_bytes())
                .ok()
                .filter(|h| !FORBIDDEN.contains(&h.as_str()) || h == "authorization")
                .ok_or_else(|| {
                    format!(
                        "the credential cannot be placed in header `{}`",
                        shown(name)
                    )
                })?;
            Ok(Some(header))
        }
        CredentialPlacement::Query(name) => {
            let valid = !name.is_empty()
                && name.len() <= MAX_QUERY_NAME
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
            if valid {
                Ok(None)
            } else {
                Err(format!(
                    "the credential cannot be placed in query parameter `{}`",
                    shown(name)
                ))
            }
        }
        CredentialPlacement::Bearer | CredentialPlacement::None => Ok(None),
    }
}

/// A name as shown in an error: short, printable.
fn shown(name: &str) -> String {
    name.chars()
        .take(64)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn ordinary_headers_pass() {
        let map = build(
            &pairs(&[
                ("anthropic-version", "2023-06-01"),
                ("anthropic-beta", "a,b"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map["anthropic-version"], "2023-06-01");
    }

    #[test]
    fn host_owned_names_counts_sizes_and_control_characters_are_refused() {
        for name in FORBIDDEN {
            let err = build(&pairs(&[(name, "x")]), None).unwrap_err();
            assert!(err.contains("set by the host"), "{name}: {err}");
        }
        let upper = build(&pairs(&[("Transfer-Encoding", "chunked")]), None).unwrap_err();
        assert!(upper.contains("set by the host"), "{upper}");
        let key = HeaderName::from_static("x-api-key");
        let err = build(&pairs(&[("x-api-key", "mine")]), Some(&key)).unwrap_err();
        assert!(err.contains("x-api-key"), "{err}");

        let many: Vec<(String, String)> = (0..40_000)
            .map(|i| (format!("x-h{i}"), "v".to_string()))
            .collect();
        assert!(build(&many, None).unwrap_err().contains("at most 64"));
        let big = vec![("x-big".to_string(), "v".repeat(1 << 20))];
        assert!(build(&big, None).unwrap_err().contains("at most"));
        let crlf = build(&pairs(&[("x-a", "1\r\nhost: evil")]), None).unwrap_err();
        assert!(crlf.contains("CR, LF"), "{crlf}");
        assert!(build(&pairs(&[("bad name", "1")]), None).is_err());
    }

    #[test]
    fn credential_placements_are_checked() {
        let header = CredentialPlacement::Header("x-goog-api-key".into());
        assert_eq!(
            credential_header(&header).unwrap().unwrap(),
            "x-goog-api-key"
        );
        assert!(credential_header(&CredentialPlacement::Header("host".into())).is_err());
        assert!(credential_header(&CredentialPlacement::Header("a\nb".into())).is_err());
        assert!(credential_header(&CredentialPlacement::Query("key".into())).is_ok());
        for bad in ["", "k&evil=1", "k#", "k=v"] {
            assert!(
                credential_header(&CredentialPlacement::Query(bad.into())).is_err(),
                "{bad}"
            );
        }
    }
}
