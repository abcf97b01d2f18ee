//! Anthropic error bodies → [`ApiError`], for non-2xx answers, 2xx answers that carry
//! an error, and mid-stream `event: error`.
//!
//! | Anthropic | status | OpenAI `type` / `code` |
//! |---|---|---|
//! | 400 `invalid_request_error` | 400 | `invalid_request_error` / — |
//! | 401 `authentication_error` | 401 | `invalid_request_error` / `invalid_api_key` |
//! | 402 `billing_error` | 402 | `invalid_request_error` / `billing_error` |
//! | 403 `permission_error` | 403 | `permission_error` / — |
//! | 404 `not_found_error` | 404 | `invalid_request_error` / `model_not_found` |
//! | 413 `request_too_large` | 413 | `invalid_request_error` / `request_too_large` |
//! | 429 `rate_limit_error` | 429 | `rate_limit_exceeded` / `rate_limit_exceeded` |
//! | 500 `api_error` | 500 | `server_error` / — |
//! | 504 `timeout_error` | 504 | `server_error` / `timeout` |
//! | 529 `overloaded_error` | **503** | `server_error` / `overloaded` |
//!
//! `retry-after` (or `retry-after-ms`) is kept. A body that is not an Anthropic error
//! (a proxy's HTML page) becomes a message naming the status with the start of the body.

use serde::Deserialize;
use switchyard_guest_kit::error::{
    INVALID_REQUEST, PERMISSION, RATE_LIMIT, SERVER, error_status, snippet,
};
use switchyard_guest_kit::headers::retry_after;
use switchyard_guest_kit::{ApiError, UpstreamResponse};

/// How much of a foreign error body goes into the message, in characters.
pub const SNIPPET_CHARS: usize = 200;

/// Anthropic's non-standard "overloaded" status.
pub const OVERLOADED_STATUS: u16 = 529;

/// What the client gets instead of 529: OpenAI clients know 503.
pub const OVERLOADED_CLIENT_STATUS: u16 = 503;

/// Status of a mid-stream error whose type says nothing more specific.
pub const STREAM_ERROR_STATUS: u16 = 502;

/// `{"type":"error","error":{"type","message"},"request_id"}`.
#[derive(Deserialize)]
pub(crate) struct Envelope {
    pub(crate) error: Option<ErrorObject>,
}

/// The inside of an Anthropic error body.
#[derive(Deserialize)]
pub(crate) struct ErrorObject {
    #[serde(rename = "type")]
    pub(crate) error_type: Option<String>,
    pub(crate) message: Option<String>,
}

/// A non-2xx upstream answer as the client should see it (a status that is no error
/// status, a redirect, becomes 502: [`error_status`]).
pub fn from_upstream(response: &UpstreamResponse) -> ApiError {
    let status = error_status(client_status(response.status));
    let parsed = serde_json::from_slice::<Envelope>(&response.body)
        .ok()
        .and_then(|envelope| envelope.error);
    let (kind, message) = match parsed {
        Some(object) => (object.error_type, object.message.filter(|m| !m.is_empty())),
        None => (None, None),
    };
    let message = message.unwrap_or_else(|| foreign_message(response.status, &response.body));
    let mut error = build(status, kind.as_deref(), message);
    error.retry_after = retry_after(&response.headers);
    error
}

/// A mid-stream `event: error` payload as the error that ends the stream. The status
/// is the one the same error would have had before the stream started.
pub fn from_stream_error(data: &str) -> ApiError {
    let Ok(Envelope {
        error: Some(object),
    }) = serde_json::from_str::<Envelope>(data)
    else {
        return build(
            STREAM_ERROR_STATUS,
            None,
            format!(
                "upstream stream failed: {}",
                snippet(data.as_bytes(), SNIPPET_CHARS)
            ),
        );
    };
    let status = object
        .error_type
        .as_deref()
        .and_then(status_of_type)
        .unwrap_or(STREAM_ERROR_STATUS);
    let message = object
        .message
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "upstream stream failed".to_owned());
    build(status, object.error_type.as_deref(), message)
}

/// A 2xx answer whose body is an Anthropic error (`{"type":"error","error":{...}}`):
/// the status its error type stands for (as for a mid-stream error, 502 when the type
/// says nothing), with `retry-after` from the headers, instead of an empty completion.
pub fn from_error_in_answer(response: &UpstreamResponse) -> ApiError {
    let mut error = from_stream_error(&String::from_utf8_lossy(&response.body));
    error.retry_after = retry_after(&response.headers);
    error
}

/// The status the client receives for an upstream status.
fn client_status(status: u16) -> u16 {
    if status == OVERLOADED_STATUS {
        OVERLOADED_CLIENT_STATUS
    } else {
        status
    }
}

/// The HTTP status Anthropic uses for an error type (529 already mapped to 503).
fn status_of_type(kind: &str) -> Option<u16> {
    Some(match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "api_error" => 500,
        "timeout_error" => 504,
        "overloaded_error" => OVERLOADED_CLIENT_STATUS,
        _ => return None,
    })
}

/// OpenAI `type` and `code` for an Anthropic error type, or for the status when the
/// type is missing or unknown.
fn openai_type_and_code(status: u16, kind: Option<&str>) -> (&'static str, Option<&str>) {
    let kind = kind.filter(|k| status_of_type(k).is_some());
    match kind.map_or(status, |k| status_of_type(k).unwrap_or(status)) {
        401 => (INVALID_REQUEST, Some("invalid_api_key")),
        402 => (INVALID_REQUEST, Some("billing_error")),
        403 => (PERMISSION, None),
        404 => (INVALID_REQUEST, Some("model_not_found")),
        413 => (INVALID_REQUEST, Some("request_too_large")),
        429 => (RATE_LIMIT, Some(RATE_LIMIT)),
        503 => (SERVER, Some("overloaded")),
        504 => (SERVER, Some("timeout")),
        400..=499 => (INVALID_REQUEST, None),
        _ => (SERVER, None),
    }
}

fn build(status: u16, kind: Option<&str>, message: String) -> ApiError {
    let (error_type, code) = openai_type_and_code(status, kind);
    ApiError {
        status,
        message,
        error_type: error_type.to_owned(),
        param: None,
        code: code.map(str::to_owned),
        retry_after: None,
    }
}

fn foreign_message(status: u16, body: &[u8]) -> String {
    let text = snippet(body, SNIPPET_CHARS);
    if text.is_empty() {
        format!("upstream answered HTTP {status} with an empty body")
    } else {
        format!("upstream answered HTTP {status}: {text}")
    }
}

#[cfg(test)]
mod tests;
