//! Coze errors → [`ApiError`]: `{"code": <non-zero>, "msg": …}` bodies (often with HTTP
//! 200), `last_error` of a failed chat, and `error` stream events.
//!
//! From Coze's error-code page (`developer_guides/coze_error_codes`). 4013 is "model
//! error, retry later": a retryable 5xx, although Coze's JS SDK files it among its
//! rate limits.
//!
//! | Coze code | HTTP | `type` / `code` |
//! |---|---|---|
//! | 4000 (and other 4xxx) | 400 | `invalid_request_error` |
//! | 4006 (unknown bot), 4015 (bot not published to the API), 4200 | 404 | `invalid_request_error` / `model_not_found` |
//! | 4008 (daily use), 4009 (system busy), 4020 (RPM) | 429 | `rate_limit_exceeded` |
//! | 4010 (prompt over the model's limit) | 400 | `invalid_request_error` / `context_length_exceeded` |
//! | 4011, 4019, 4022 (balance, arrears) | 429 | `insufficient_quota` |
//! | 4013 (model error) | 503 | `server_error` (retried) |
//! | 4016 (a chat is already running) | 409 | `invalid_request_error` / `conflict` |
//! | 4100 (bad token, or wrong region) | 401 | `authentication_error` / `invalid_api_key` |
//! | 4101 | 403 | `permission_error` |
//! | 5000 (and other 5xxx) | 500 | `server_error` |
//! | anything else | 502 | `server_error` |
//!
//! The message says `Coze error <code>: <msg>`, so the platform's code is never lost.

use serde::Deserialize;
use switchyard_guest_kit::error::{
    AUTHENTICATION, INVALID_REQUEST, PERMISSION, RATE_LIMIT, SERVER, error_status, from_status,
    snippet, unusable_answer,
};
use switchyard_guest_kit::headers::retry_after;
use switchyard_guest_kit::{ApiError, UpstreamResponse};

/// OpenAI's type and code for an account out of credit.
const INSUFFICIENT_QUOTA: &str = "insufficient_quota";

/// How much of a foreign body goes into a message, in characters.
pub const SNIPPET_CHARS: usize = 200;

/// A Coze error object (`{code, msg}`; `message` is accepted for `msg`).
#[derive(Debug, Default, Deserialize)]
pub struct CozeError {
    /// Coze's error code; 0 means success.
    #[serde(default)]
    pub code: i64,
    /// The message.
    #[serde(default, alias = "message")]
    pub msg: String,
    /// `detail.logid`, when Coze sends it.
    #[serde(default)]
    pub detail: Option<Detail>,
}

/// `detail` of a Coze error body.
#[derive(Debug, Default, Deserialize)]
pub struct Detail {
    /// Coze's trace id.
    #[serde(default)]
    pub logid: Option<String>,
}

impl CozeError {
    /// Reads a body or event that is a Coze error object with a non-zero code.
    pub fn parse(json: &str) -> Option<CozeError> {
        serde_json::from_str::<CozeError>(json)
            .ok()
            .filter(|e| e.code != 0)
    }

    /// The OpenAI error for this code.
    pub fn to_api_error(&self) -> ApiError {
        let (status, error_type, code) = match self.code {
            4100 => (401, AUTHENTICATION, Some("invalid_api_key")),
            4101 => (403, PERMISSION, None),
            4006 | 4015 | 4200 => (404, INVALID_REQUEST, Some("model_not_found")),
            4008 | 4009 | 4020 => (429, RATE_LIMIT, Some(RATE_LIMIT)),
            4010 => (400, INVALID_REQUEST, Some("context_length_exceeded")),
            4011 | 4019 | 4022 => (429, INSUFFICIENT_QUOTA, Some(INSUFFICIENT_QUOTA)),
            4013 => (503, SERVER, None),
            4016 => (409, INVALID_REQUEST, Some("conflict")),
            4000..=4999 => (400, INVALID_REQUEST, None),
            5000..=5999 => (500, SERVER, None),
            _ => (502, SERVER, None),
        };
        let msg = if self.msg.is_empty() {
            "(no message)"
        } else {
            self.msg.as_str()
        };
        let mut message = format!("Coze error {}: {msg}", self.code);
        if let Some(logid) = self.detail.as_ref().and_then(|d| d.logid.as_deref()) {
            message.push_str(&format!(" (logid {logid})"));
        }
        from_status(status, message, Some(error_type), code)
    }
}

/// A complete upstream answer that is not a stream: a Coze error body (by its code,
/// whatever the HTTP status), else the HTTP status with the start of the body (a 2xx:
/// 502, naming the content type).
pub fn from_upstream(response: &UpstreamResponse) -> ApiError {
    let text = String::from_utf8_lossy(&response.body);
    let mut error = match CozeError::parse(&text) {
        Some(coze) => coze.to_api_error(),
        None if (200..300).contains(&response.status) => unusable_answer(
            "Coze",
            response,
            "is neither an event stream nor a Coze error (chats are always streamed)",
            SNIPPET_CHARS,
        ),
        None => {
            let body = snippet(&response.body, SNIPPET_CHARS);
            let message = if body.is_empty() {
                format!("Coze answered HTTP {} with an empty body", response.status)
            } else {
                format!("Coze answered HTTP {}: {body}", response.status)
            };
            from_status(error_status(response.status), message, None, None)
        }
    };
    error.retry_after = retry_after(&response.headers);
    error
}

/// An `error` stream event: a Coze error object if it is one, else a 502 quoting it.
pub fn from_error_event(data: &str) -> ApiError {
    match CozeError::parse(data) {
        Some(coze) => coze.to_api_error(),
        None => switchyard_guest_kit::error::bad_gateway(format!(
            "Coze stream failed with an error event: {}",
            snippet(data.as_bytes(), SNIPPET_CHARS)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> UpstreamResponse {
        UpstreamResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn recorded_4100_is_a_401_whatever_the_http_status() {
        let fixture: serde_json::Value =
            serde_json::from_str(super::super::fixtures::text("coze-error-4100.json"))
                .expect("json");
        let body = fixture["body"].to_string();
        for status in [200, 401] {
            let e = from_upstream(&response(status, &body));
            assert_eq!(
                (e.status, e.error_type.as_str()),
                (401, "authentication_error")
            );
            assert_eq!(e.code.as_deref(), Some("invalid_api_key"));
            assert_eq!(e.message, "Coze error 4100: authentication is invalid");
        }
    }

    #[test]
    fn codes_map_per_the_table() {
        let cases = [
            (4000, 400, "invalid_request_error", None),
            (4101, 403, "permission_error", None),
            (4200, 404, "invalid_request_error", Some("model_not_found")),
            (4006, 404, "invalid_request_error", Some("model_not_found")),
            (4015, 404, "invalid_request_error", Some("model_not_found")),
            (4013, 503, "server_error", None),
            (
                4008,
                429,
                "rate_limit_exceeded",
                Some("rate_limit_exceeded"),
            ),
            (
                4009,
                429,
                "rate_limit_exceeded",
                Some("rate_limit_exceeded"),
            ),
            (
                4020,
                429,
                "rate_limit_exceeded",
                Some("rate_limit_exceeded"),
            ),
            (
                4010,
                400,
                "invalid_request_error",
                Some("context_length_exceeded"),
            ),
            (4011, 429, "insufficient_quota", Some("insufficient_quota")),
            (4019, 429, "insufficient_quota", Some("insufficient_quota")),
            (4022, 429, "insufficient_quota", Some("insufficient_quota")),
            (4016, 409, "invalid_request_error", Some("conflict")),
            (4104, 400, "invalid_request_error", None),
            (5000, 500, "server_error", None),
            (700012, 502, "server_error", None),
        ];
        for (code, status, error_type, openai_code) in cases {
            let e = CozeError {
                code,
                msg: "m".into(),
                detail: None,
            }
            .to_api_error();
            assert_eq!(
                (e.status, e.error_type.as_str()),
                (status, error_type),
                "{code}"
            );
            assert_eq!(e.code.as_deref(), openai_code, "{code}");
        }
    }

    #[test]
    fn logid_and_message_alias_are_kept() {
        let e = from_upstream(&response(
            200,
            r#"{"code":4000,"message":"bad bot_id","detail":{"logid":"2024abc"}}"#,
        ));
        assert_eq!(e.message, "Coze error 4000: bad bot_id (logid 2024abc)");
    }

    #[test]
    fn foreign_bodies_keep_the_http_status() {
        let e = from_upstream(&response(503, "<html>busy</html>"));
        assert_eq!((e.status, e.error_type.as_str()), (503, "server_error"));
        assert!(e.message.contains("<html>busy</html>"), "{}", e.message);
        let e = from_upstream(&response(200, r#"{"code":0,"msg":"","data":{}}"#));
        assert_eq!(e.status, 502, "a success body where a stream was expected");
        let e = from_upstream(&response(302, "Moved"));
        assert_eq!(
            e.status, 502,
            "redirects are not followed, and no client error carries a 3xx"
        );
        assert!(e.message.contains("HTTP 302"), "{}", e.message);
    }

    #[test]
    fn error_events_with_and_without_a_code() {
        let e = from_error_event(r#"{"code":4020,"msg":"too many requests"}"#);
        assert_eq!(e.status, 429);
        let e = from_error_event("{}");
        assert_eq!(e.status, 502);
        assert!(e.message.contains("{}"), "{}", e.message);
    }
}
