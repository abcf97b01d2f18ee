//! Where an upstream request may go. The host owns the origin (scheme, host, port) and
//! the base path of every deployment; an adapter only chooses what follows them. So the
//! path-and-query an adapter builds must start with a single `/`, hold no authority, no
//! backslash, no control character or space, no fragment, and no dot segment that
//! could leave the base path. Anything else is refused before a byte is sent, and the
//! credential is attached only after this check.

use url::Url;

/// Longest path-and-query an adapter may build.
pub const MAX_PATH_AND_QUERY: usize = 8 * 1024;

/// Segments that URL parsers resolve as "this folder" or "the parent folder"; WHATWG
/// URL parsing treats `%2e` as a dot.
const DOT_SEGMENTS: &[&str] = &[".", "..", "%2e", "%2e%2e", ".%2e", "%2e."];

/// `base` (a deployment's configured base URL) joined with an adapter's
/// `path_and_query`, or the rule the adapter broke.
pub fn join(base: &Url, path_and_query: &str) -> Result<Url, String> {
    check(path_and_query)?;
    let base_path = base.path().trim_end_matches('/');
    let mut joined = base.clone();
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    joined.set_path(&format!("{base_path}{path}"));
    joined.set_query(query);
    // The checks above make this hold; it is verified again on the parsed URL, the form
    // the HTTP client will actually use.
    let same_origin = joined.origin() == base.origin()
        && joined.username() == base.username()
        && joined.password() == base.password()
        && joined.path().starts_with(base_path)
        && joined.fragment().is_none();
    if !same_origin {
        return Err(format!(
            "the upstream path `{}` leaves the configured base URL",
            shown(path_and_query)
        ));
    }
    Ok(joined)
}

/// The rules on the adapter's text itself.
fn check(path_and_query: &str) -> Result<(), String> {
    let fail = |rule: &str| Err(format!("{rule} (got `{}`)", shown(path_and_query)));
    if path_and_query.len() > MAX_PATH_AND_QUERY {
        return Err(format!(
            "the upstream path is longer than {MAX_PATH_AND_QUERY} bytes"
        ));
    }
    if !path_and_query.starts_with('/') || path_and_query.starts_with("//") {
        return fail("the upstream path must start with a single `/`");
    }
    if let Some(bad) = path_and_query
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || matches!(c, '\\' | '#'))
    {
        return fail(&format!(
            "the upstream path may not contain {}",
            describe(bad)
        ));
    }
    let path = path_and_query
        .split_once('?')
        .map_or(path_and_query, |(path, _)| path);
    let leaves_base = path
        .split('/')
        .any(|segment| DOT_SEGMENTS.contains(&segment.to_ascii_lowercase().as_str()));
    if leaves_base {
        return fail("the upstream path may not contain `.` or `..` segments");
    }
    Ok(())
}

fn describe(c: char) -> String {
    match c {
        '\\' => "a backslash".into(),
        '#' => "a fragment (`#`)".into(),
        '\r' | '\n' => "CR or LF".into(),
        c if c.is_whitespace() => "white space".into(),
        c => format!("the control character U+{:04X}", u32::from(c)),
    }
}

/// The adapter's path as shown in an error: short, and without a key-shaped query.
fn shown(path_and_query: &str) -> String {
    let short: String = path_and_query
        .chars()
        .take(80)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    crate::redact::scrub(&short).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(url: &str) -> Url {
        Url::parse(url).unwrap()
    }

    #[test]
    fn ordinary_paths_join_under_the_base() {
        let joined = join(&base("https://api.openai.com/v1"), "/chat/completions").unwrap();
        assert_eq!(
            joined.as_str(),
            "https://api.openai.com/v1/chat/completions"
        );
        let joined = join(
            &base("https://generativelanguage.googleapis.com"),
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        )
        .unwrap();
        assert_eq!(
            joined.as_str(),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        );
        let joined = join(&base("http://127.0.0.1:9/base/"), "/x?a=1&b=%2F").unwrap();
        assert_eq!(joined.as_str(), "http://127.0.0.1:9/base/x?a=1&b=%2F");
        // A `@` or `:` inside the path is just a path character once it follows `/`.
        let joined = join(&base("http://127.0.0.1:9"), "/@evil.example:1/x").unwrap();
        assert_eq!(joined.host_str(), Some("127.0.0.1"));
        assert_eq!(joined.port(), Some(9));
    }

    #[test]
    fn every_escape_is_refused_with_its_rule() {
        let root = base("http://127.0.0.1:9");
        let nested = base("http://127.0.0.1:9/base");
        for (base, path, rule) in [
            (&root, "@evil.example:9999/steal", "single `/`"),
            (&root, ".evil.example/x", "single `/`"),
            (&root, ":9999/x", "single `/`"),
            (&root, "", "single `/`"),
            (&root, "?key=x", "single `/`"),
            (&root, "//evil.example/steal", "single `/`"),
            (&root, "http://evil.example/steal", "single `/`"),
            (&root, "/\\evil.example/x", "backslash"),
            (&root, "\\\\evil.example\\x", "single `/`"),
            (&root, "/x\r\nhost: evil", "CR or LF"),
            (&root, "/x y", "white space"),
            (&root, "/x\u{0}", "control character"),
            (&root, "/x#frag", "fragment"),
            (&nested, "/../../x", "segments"),
            (&nested, "/%2e%2e/x", "segments"),
            (&nested, "/%2E%2E/x", "segments"),
            (&nested, "/a/../../x", "segments"),
            (&nested, "/.%2E/x", "segments"),
            (&nested, "/./x", "segments"),
        ] {
            let err = join(base, path).expect_err(path);
            assert!(err.contains(rule), "{path:?}: {err}");
        }
    }

    #[test]
    fn long_paths_and_keys_are_not_echoed_whole() {
        let long = format!("/{}", "a".repeat(MAX_PATH_AND_QUERY));
        assert!(
            join(&base("http://h"), &long)
                .unwrap_err()
                .contains("longer")
        );
        let err = join(&base("http://h"), "x?key=AIzaSecret123").unwrap_err();
        assert!(!err.contains("AIzaSecret123"), "{err}");
    }
}
