//! Keeping secrets out of logs and error messages. Every configured upstream key is
//! registered here at startup; `scrub` removes those, plus anything shaped like a
//! credential (`Bearer …`, `key=…` query parameters, `x-api-key: …` headers), from
//! text that is about to be logged or sent to a client. Upstream and adapter error
//! messages pass through it, since an upstream may echo the key it was sent.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::{LazyLock, PoisonError, RwLock};

use regex::Regex;

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not registered: replacing every `ab` would make
/// messages unreadable without protecting anything real.
const MIN_SECRET_LEN: usize = 6;

static SECRETS: LazyLock<RwLock<BTreeSet<String>>> = LazyLock::new(Default::default);

/// Credential-shaped text: `Bearer <token>`, `key=<v>` (and `api_key`, `token`, …) in
/// query strings or forms, and credential headers written as `name: value`.
static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{4,}", "$1 [REDACTED]"),
        (
            r"(?i)\b(api[-_]?key|key|access[-_]?token|token|secret)=[^&\s\x22'<>]+",
            "$1=[REDACTED]",
        ),
        (
            r#"(?i)\b(x-api-key|api-key|x-goog-api-key|authorization|proxy-authorization)(["']?\s*[:=]\s*["']?)[^\s"',}]+"#,
            "$1$2[REDACTED]",
        ),
    ]
    .into_iter()
    .filter_map(|(pattern, replacement)| Regex::new(pattern).ok().map(|re| (re, replacement)))
    .collect()
});

/// A connection URL's password, as in `postgres://user:secret@host/db`.
static URL_PASSWORD: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b([a-z][a-z0-9+.-]*://[^/@:\s]*:)[^/@\s]*@").ok());

/// `url` with the password of its userinfo replaced, for messages that name a database
/// or other connection URL.
pub fn url_password(url: &str) -> Cow<'_, str> {
    match URL_PASSWORD.as_ref() {
        Some(pattern) => pattern.replace_all(url, "${1}[REDACTED]@"),
        None => Cow::Borrowed(url),
    }
}

/// Remembers `secret` so `scrub` removes it wherever it appears.
pub fn register_secret(secret: &str) {
    let secret = secret.trim();
    if secret.len() >= MIN_SECRET_LEN {
        SECRETS
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(secret.to_string());
    }
}

/// `text` without registered secrets and credential-shaped substrings.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    {
        let secrets = SECRETS.read().unwrap_or_else(PoisonError::into_inner);
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
            }
        }
    }
    for (pattern, replacement) in PATTERNS.iter() {
        if pattern.is_match(&out) {
            out = Cow::Owned(pattern.replace_all(&out, *replacement).into_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_vanish_wherever_they_appear() {
        register_secret("sk-planted-secret-123");
        let text = "Incorrect API key provided: sk-planted-secret-123. See docs.";
        let scrubbed = scrub(text);
        assert!(!scrubbed.contains("sk-planted-secret-123"), "{scrubbed}");
        assert!(scrubbed.contains(REDACTED));
    }

    #[test]
    fn credential_shapes_are_scrubbed_even_when_unregistered() {
        for (text, secret) in [
            (
                "GET /v1beta/models/x?alt=sse&key=AIzaUnknown42 failed",
                "AIzaUnknown42",
            ),
            ("sent Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
            ("headers {\"x-api-key\": \"ant-xyz-987\"}", "ant-xyz-987"),
            ("api-key=azure0123 rejected", "azure0123"),
        ] {
            let scrubbed = scrub(text);
            assert!(!scrubbed.contains(secret), "{text} -> {scrubbed}");
        }
    }

    #[test]
    fn connection_url_passwords_are_hidden() {
        assert_eq!(
            url_password("cannot open postgres://app:s3cr%40t@db:5432/x: refused"),
            "cannot open postgres://app:[REDACTED]@db:5432/x: refused"
        );
        assert_eq!(url_password("sqlite://data/x.db"), "sqlite://data/x.db");
        assert_eq!(
            url_password("redis://:pw@h:6379"),
            "redis://:[REDACTED]@h:6379"
        );
    }

    #[test]
    fn ordinary_text_is_untouched_and_not_copied() {
        let text = "the model `gpt-4o` does not exist";
        assert!(matches!(scrub(text), Cow::Borrowed(_)));
        register_secret("abc"); // too short to register
        assert_eq!(scrub("abc"), "abc");
    }
}
