//! Reading upstream response headers (the host lower-cases their names).

/// The first value of header `name` (compared ignoring ASCII case).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// Seconds to wait before retrying, from `retry-after-ms` (rounded up to whole seconds)
/// or else `retry-after` (integer seconds), the order the OpenAI SDKs use.
///
/// The HTTP-date form of `retry-after` is not read: an adapter has no clock to compare
/// it with, and OpenAI-style platforms send seconds.
pub fn retry_after(headers: &[(String, String)]) -> Option<u32> {
    let from_ms = header(headers, "retry-after-ms")
        .and_then(parse_number)
        .map(|ms| (ms / 1000.0).ceil());
    let seconds = from_ms.or_else(|| header(headers, "retry-after").and_then(parse_number))?;
    // `as` saturates for floats, which is what an absurd value deserves.
    Some(seconds.ceil() as u32)
}

/// A non-negative, finite number (`"1"`, `"1.5"`, `" 20 "`).
fn parse_number(value: &str) -> Option<f64> {
    let number: f64 = value.trim().parse().ok()?;
    (number.is_finite() && number >= 0.0).then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn header_ignores_case() {
        let h = headers(&[("Retry-After", "3")]);
        assert_eq!(header(&h, "retry-after"), Some("3"));
        assert_eq!(header(&h, "x-request-id"), None);
    }

    #[test]
    fn retry_after_reads_seconds() {
        assert_eq!(retry_after(&headers(&[("retry-after", "20")])), Some(20));
        assert_eq!(retry_after(&headers(&[("retry-after", "1.2")])), Some(2));
    }

    #[test]
    fn retry_after_ms_wins_and_rounds_up() {
        let h = headers(&[("retry-after", "20"), ("retry-after-ms", "1500")]);
        assert_eq!(retry_after(&h), Some(2), "retry-after-ms is checked first");
        assert_eq!(retry_after(&headers(&[("retry-after-ms", "1")])), Some(1));
        assert_eq!(retry_after(&headers(&[("retry-after-ms", "0")])), Some(0));
    }

    #[test]
    fn retry_after_ignores_what_it_cannot_read() {
        let date = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(retry_after(&date), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "-1")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "inf")])), None);
        assert_eq!(retry_after(&headers(&[])), None);
        let bad_ms = headers(&[("retry-after-ms", "soon"), ("retry-after", "4")]);
        assert_eq!(retry_after(&bad_ms), Some(4), "falls back to retry-after");
    }

    #[test]
    fn retry_after_saturates() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "1e20")])),
            Some(u32::MAX)
        );
    }
}
