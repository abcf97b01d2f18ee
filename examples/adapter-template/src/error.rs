//! OpenAI-shaped errors: for input this adapter refuses, for the platform's error
//! answers, and for answers it cannot read.
//!
//! The gateway sends an [`ApiError`] to the client as
//! `{"error":{"message","type","param","code"}}` with `status` (and `retry-after`).
//! When the platform says nothing useful, type and code follow the status, so a client
//! SDK (which picks its exception class from the status) sees a consistent error.

use crate::wire::ErrorBody;
use crate::{ApiError, UpstreamResponse};

/// `type` of an error the caller must fix.
pub const INVALID_REQUEST: &str = "invalid_request_error";
/// `type` of a failure on the platform's side (or of an answer the adapter cannot read).
pub const SERVER: &str = "server_error";

/// Characters of a foreign body quoted in a message.
const SNIPPET_CHARS: usize = 200;

/// A 400 about the client's request; `param` names the field at fault.
pub fn bad_request(message: impl Into<String>, param: Option<&str>) -> ApiError {
    ApiError {
        status: 400,
        message: message.into(),
        error_type: INVALID_REQUEST.to_owned(),
        param: param.map(str::to_owned),
        code: None,
        retry_after: None,
    }
}

/// A 502: the platform answered something this adapter cannot use.
pub fn bad_gateway(message: impl Into<String>) -> ApiError {
    ApiError {
        status: 502,
        message: message.into(),
        error_type: SERVER.to_owned(),
        param: None,
        code: None,
        retry_after: None,
    }
}

/// The OpenAI error `type` that goes with an HTTP status.
pub fn default_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_exceeded",
        400..=499 => INVALID_REQUEST,
        _ => SERVER,
    }
}

/// The OpenAI error `code` that goes with an HTTP status, where one is conventional.
pub fn default_code(status: u16) -> Option<&'static str> {
    match status {
        401 => Some("invalid_api_key"),
        404 => Some("model_not_found"),
        429 => Some("rate_limit_exceeded"),
        _ => None,
    }
}

/// A non-2xx answer as the client should see it: the platform's status, with its
/// message, type, param and code when the body is an error object, else a message
/// quoting the start of the body; `retry-after` from the headers.
pub fn from_upstream(response: &UpstreamResponse) -> ApiError {
    let status = response.status;
    let mut error = match serde_json::from_slice::<ErrorBody>(&response.body) {
        Ok(body) if !body.error.message.is_empty() => {
            let detail = body.error;
            let known_type = detail.kind.filter(|kind| !kind.is_empty());
            ApiError {
                status,
                message: detail.message,
                // A platform that names a type but no code meant "no code".
                code: match (&known_type, detail.code) {
                    (_, Some(code)) => Some(code.into_text()),
                    (None, None) => default_code(status).map(str::to_owned),
                    (Some(_), None) => None,
                },
                error_type: known_type.unwrap_or_else(|| default_type(status).to_owned()),
                param: detail.param,
                retry_after: None,
            }
        }
        _ => ApiError {
            status,
            message: format!(
                "upstream answered HTTP {status}: {}",
                snippet(&response.body)
            ),
            error_type: default_type(status).to_owned(),
            param: None,
            code: default_code(status).map(str::to_owned),
            retry_after: None,
        },
    };
    error.retry_after = retry_after(&response.headers);
    error
}

/// An error event in a stream that had already begun: the platform failed after
/// answering 200, so the status is 502 unless the error names a rate limit.
pub fn from_stream_error(body: ErrorBody) -> ApiError {
    let detail = body.error;
    let code = detail.code.map(|code| code.into_text());
    let rate_limited = code.as_deref() == Some("rate_limit_exceeded");
    ApiError {
        status: if rate_limited { 429 } else { 502 },
        message: if detail.message.is_empty() {
            "the upstream stream failed".to_owned()
        } else {
            detail.message
        },
        error_type: detail.kind.unwrap_or_else(|| SERVER.to_owned()),
        param: detail.param,
        code,
        retry_after: None,
    }
}

/// Seconds from a `retry-after` header given in seconds (the host lower-cases names).
fn retry_after(headers: &[(String, String)]) -> Option<u32> {
    let (_, value) = headers.iter().find(|(name, _)| name == "retry-after")?;
    let seconds: f64 = value.trim().parse().ok()?;
    // `as` saturates, which is what an absurd value deserves.
    (seconds.is_finite() && seconds >= 0.0).then(|| seconds.ceil() as u32)
}

/// The start of a body for a message: lossy UTF-8, whitespace folded, cut with `…`.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", folded.get(..cut).unwrap_or_default()),
        None if folded.is_empty() => "(empty body)".to_owned(),
        None => folded,
    }
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
        assert_eq!((e.status, e.error_type.as_str()), (503, SERVER));
        assert_eq!(
            e.message,
            "upstream answered HTTP 503: <html> down for maintenance</html>"
        );
        assert!(
            from_upstream(&answer(500, &[], ""))
                .message
                .ends_with("(empty body)")
        );
    }

    #[test]
    fn numeric_codes_become_text() {
        let e = from_upstream(&answer(
            400,
            &[],
            r#"{"error":{"message":"no","code":400}}"#,
        ));
        assert_eq!(e.code.as_deref(), Some("400"));
        assert_eq!(e.error_type, INVALID_REQUEST);
    }

    #[test]
    fn stream_errors_are_502_unless_rate_limited() {
        let body = |json: &str| serde_json::from_str::<ErrorBody>(json).unwrap();
        let e = from_stream_error(body(
            r#"{"error":{"message":"boom","type":"server_error"}}"#,
        ));
        assert_eq!((e.status, e.message.as_str()), (502, "boom"));
        let e = from_stream_error(body(
            r#"{"error":{"message":"","code":"rate_limit_exceeded"}}"#,
        ));
        assert_eq!(e.status, 429);
        assert_eq!(e.message, "the upstream stream failed");
    }

    #[test]
    fn snippets_are_cut_on_characters() {
        let long = "é".repeat(SNIPPET_CHARS + 5);
        let cut = snippet(long.as_bytes());
        assert_eq!(cut.chars().count(), SNIPPET_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
