//! What limits add to responses: the `x-ratelimit-*` headers of an admitted request,
//! and the 429 of a refused one, shaped like OpenAI's.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{Limited, RateLimitHeaders, Window};
use crate::error::{ErrorBody, ErrorObject, ErrorType};

const LIMIT_REQUESTS: HeaderName = HeaderName::from_static("x-ratelimit-limit-requests");
const REMAINING_REQUESTS: HeaderName = HeaderName::from_static("x-ratelimit-remaining-requests");
const RESET_REQUESTS: HeaderName = HeaderName::from_static("x-ratelimit-reset-requests");
const LIMIT_TOKENS: HeaderName = HeaderName::from_static("x-ratelimit-limit-tokens");
const REMAINING_TOKENS: HeaderName = HeaderName::from_static("x-ratelimit-remaining-tokens");
const RESET_TOKENS: HeaderName = HeaderName::from_static("x-ratelimit-reset-tokens");
const RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");

/// The OpenAI error `code` of every refusal.
const RATE_LIMIT_CODE: &str = "rate_limit_exceeded";

// === impl RateLimitHeaders ===

impl RateLimitHeaders {
    /// Sets the `x-ratelimit-*` headers of the limits the key has.
    pub fn write_to(&self, headers: &mut HeaderMap) {
        if let Some(window) = self.requests {
            write_window(
                headers,
                window,
                [LIMIT_REQUESTS, REMAINING_REQUESTS, RESET_REQUESTS],
            );
        }
        if let Some(window) = self.tokens {
            write_window(
                headers,
                window,
                [LIMIT_TOKENS, REMAINING_TOKENS, RESET_TOKENS],
            );
        }
    }
}

fn write_window(
    headers: &mut HeaderMap,
    window: Window,
    [limit, remaining, reset]: [HeaderName; 3],
) {
    headers.insert(limit, HeaderValue::from(window.limit));
    headers.insert(remaining, HeaderValue::from(window.remaining));
    if let Ok(value) = HeaderValue::try_from(openai_duration(window.reset)) {
        headers.insert(reset, value);
    }
}

// === impl Limited ===

impl IntoResponse for Limited {
    fn into_response(self) -> Response {
        tracing::info!(
            status = 429,
            limit = self.kind.as_str(),
            retry_after_ms = millis_ceil(self.retry_after),
            error = %self.message,
            "request rate limited"
        );
        let error_type = self.kind.error_type();
        let body = ErrorBody {
            error: ErrorObject {
                message: self.message,
                r#type: error_type,
                param: None,
                code: Some(RATE_LIMIT_CODE),
            },
        };
        let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
        response
            .extensions_mut()
            .insert(ErrorType(error_type.to_string()));
        let headers = response.headers_mut();
        // `retry-after` is whole seconds, so round up: a client that comes back sooner
        // is refused again.
        let secs = self.retry_after.as_nanos().div_ceil(1_000_000_000).max(1);
        headers.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from(u64::try_from(secs).unwrap_or(u64::MAX)),
        );
        headers.insert(
            RETRY_AFTER_MS,
            HeaderValue::from(millis_ceil(self.retry_after)),
        );
        self.headers.write_to(headers);
        response
    }
}

// === durations ===

/// Whole milliseconds in `duration`, rounded up.
fn millis_ceil(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

/// `duration` as OpenAI writes it in `x-ratelimit-reset-*` and messages (Go's
/// format, to the millisecond rounded up): `0s`, `20ms`, `1.5s`, `6m0s`, `1h0m0s`.
pub(super) fn openai_duration(duration: Duration) -> String {
    let millis = millis_ceil(duration);
    if millis == 0 {
        return "0s".to_string();
    }
    if millis < 1000 {
        return format!("{millis}ms");
    }
    let hours = millis / 3_600_000;
    let minutes = millis / 60_000 % 60;
    let secs = millis / 1000 % 60;
    let fraction = millis % 1000;
    let mut seconds = secs.to_string();
    if fraction > 0 {
        let digits = format!("{fraction:03}");
        seconds.push('.');
        seconds.push_str(digits.trim_end_matches('0'));
    }
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_like_openai() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(1), "1ms"),
            (Duration::from_millis(20), "20ms"),
            (Duration::from_millis(999), "999ms"),
            (Duration::from_secs(1), "1s"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_millis(8640), "8.64s"),
            (Duration::from_secs(20), "20s"),
            (Duration::from_secs(360), "6m0s"),
            (Duration::from_millis(86_400), "1m26.4s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_secs(3723), "1h2m3s"),
        ];
        for (duration, expected) in cases {
            assert_eq!(openai_duration(duration), expected, "for {duration:?}");
        }
    }
}
