//! The platform's errors → OpenAI-shaped errors.
//!
//! The gateway sends an [`ApiError`] to the client as
//! `{"error":{"message","type","param","code"}}` with `status` (and `retry-after`).
//! When the platform says nothing useful, the kit's [`from_status`] fills type and
//! code from the status, so a client SDK (which picks its exception class from the
//! status) sees a consistent error. Errors about the client's own request come from
//! the kit too (`bad_request`, or `ChatRequest::parse`).

use serde_json::Value;
use switchyard_guest_kit::error::{error_status, from_status, snippet};
use switchyard_guest_kit::headers::retry_after;
use switchyard_guest_kit::{ApiError, UpstreamResponse};

use crate::PLATFORM;
use crate::wire::{ErrorBody, ErrorDetail};

/// Characters of a foreign body quoted in a message.
const SNIPPET_CHARS: usize = 200;

/// A non-2xx answer: the platform's error when its body is one, else the status with
/// the start of the body; `retry-after` kept.
pub fn from_upstream(response: &UpstreamResponse) -> ApiError {
    let status = error_status(response.status);
    let mut error = match serde_json::from_slice::<ErrorBody>(&response.body) {
        Ok(ErrorBody { error }) if !error.message.is_empty() => from_detail(status, error),
        _ => from_status(
            status,
            format!(
                "{PLATFORM} answered HTTP {}: {}",
                response.status,
                snippet(&response.body, SNIPPET_CHARS)
            ),
            None,
            None,
        ),
    };
    error.retry_after = retry_after(&response.headers);
    error
}

/// An `{"error": …}` event after the stream began: 429 when the platform says it is a
/// rate limit, else 502 (the upstream failed mid-answer).
pub fn from_stream_error(body: ErrorBody) -> ApiError {
    let rate_limited =
        matches!(&body.error.code, Some(Value::String(code)) if code == "rate_limit_exceeded");
    let mut detail = body.error;
    if detail.message.is_empty() {
        detail.message = format!("the {PLATFORM} stream failed");
    }
    let mut error = from_detail(if rate_limited { 429 } else { 502 }, detail);
    if !rate_limited && error.error_type == "invalid_request_error" {
        "server_error".clone_into(&mut error.error_type);
    }
    error
}

fn from_detail(status: u16, detail: ErrorDetail) -> ApiError {
    let code = detail.code.as_ref().and_then(|code| match code {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    });
    let mut error = from_status(
        status,
        detail.message,
        detail.kind.as_deref(),
        code.as_deref(),
    );
    error.param = detail.param;
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> UpstreamResponse {
        UpstreamResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn an_error_object_keeps_what_the_platform_said() {
        let e = from_upstream(&answer(
            404,
            &[],
            r#"{"error":{"message":"The model `x` does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
        ));
        assert_eq!(
            (e.status, e.message.as_str()),
            (404, "The model `x` does not exist")
        );
        assert_eq!(e.error_type, "invalid_request_error");
        assert_eq!(e.code.as_deref(), Some("model_not_found"));
        assert_eq!((e.param, e.retry_after), (None, None));
    }

    #[test]
    fn a_rate_limit_keeps_retry_after() {
        let e = from_upstream(&answer(
            429,
            &[("retry-after", "7")],
            r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#,
        ));
        assert_eq!((e.status, e.retry_after), (429, Some(7)));
        assert_eq!(e.error_type, "requests");
    }

    #[test]
    fn silent_or_foreign_bodies_get_the_status_defaults() {
        let e = from_upstream(&answer(401, &[], r#"{"error":{"message":"bad key"}}"#));
        assert_eq!(e.error_type, "authentication_error");
        assert_eq!(e.code.as_deref(), Some("invalid_api_key"));

        let e = from_upstream(&answer(503, &[], "<html>\n  down  for maintenance</html>"));
        assert_eq!((e.status, e.error_type.as_str()), (503, "server_error"));
        assert!(
            e.message
                .ends_with("HTTP 503: <html> down for maintenance</html>"),
            "{}",
            e.message
        );

        let e = from_upstream(&answer(
            400,
            &[],
            r#"{"error":{"message":"no","code":400}}"#,
        ));
        assert_eq!(e.code.as_deref(), Some("400"), "numeric codes become text");
    }

    #[test]
    fn stream_errors_are_502_unless_rate_limited() {
        let body = |json: &str| serde_json::from_str::<ErrorBody>(json).expect("an error body");
        let e = from_stream_error(body(
            r#"{"error":{"message":"boom","type":"server_error"}}"#,
        ));
        assert_eq!((e.status, e.message.as_str()), (502, "boom"));
        let e = from_stream_error(body(
            r#"{"error":{"message":"","code":"rate_limit_exceeded"}}"#,
        ));
        assert_eq!(e.status, 429);
        assert!(e.message.ends_with("stream failed"), "{}", e.message);
    }
}
