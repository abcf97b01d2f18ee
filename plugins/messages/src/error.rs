//! Errors this dialect makes, and the Anthropic shape of any [`ApiError`].
//!
//! | Situation | status | `error-type` |
//! |---|---|---|
//! | A request that cannot be translated ([`bad_request`]) | 400 | `invalid_request_error`, `param` names the field |
//! | A chat answer or chunk that is not a chat completion, or carries an `error` ([`bad_upstream`]) | 502 | `api_error` |
//! | A stream that ended with no `finish_reason` ([`truncated`]) | 502 | `api_error` |
//!
//! [`anthropic_error_type`] names the Anthropic error type of any error, for the
//! `error` event that ends a failed stream ([`error_event`]):
//!
//! | `error-type` or status | Anthropic `error.type` |
//! |---|---|
//! | already an Anthropic type (`invalid_request_error`, `authentication_error`, `permission_error`, `not_found_error`, `request_too_large`, `rate_limit_error`, `api_error`, `overloaded_error`) | kept |
//! | 400 | `invalid_request_error` |
//! | 401 | `authentication_error` |
//! | 403 | `permission_error` |
//! | 404 | `not_found_error` |
//! | 413 | `request_too_large` |
//! | 429 | `rate_limit_error` |
//! | 503, 529 | `overloaded_error` |
//! | anything else | `api_error` |

use serde_json::{Value, json};

use crate::bindings::ApiError;

/// OpenAI's (and Anthropic's) type for a request at fault.
pub const INVALID_REQUEST: &str = "invalid_request_error";

/// Anthropic's type for a server-side failure.
pub const API_ERROR: &str = "api_error";

/// Status of an upstream answer this dialect cannot read, and of a cut stream.
pub const BAD_GATEWAY: u16 = 502;

/// The message of [`truncated`].
pub const TRUNCATED_MESSAGE: &str = "the upstream stream ended before the answer was complete";

/// The error types Anthropic's API uses, kept as they are by [`anthropic_error_type`].
pub const ANTHROPIC_TYPES: [&str; 8] = [
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "overloaded_error",
];

/// A 400 for a request this dialect cannot translate; `param` names the field at fault.
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

/// A 502 for an upstream answer that is not what a chat completion should be.
pub fn bad_upstream(message: impl Into<String>) -> ApiError {
    ApiError {
        status: BAD_GATEWAY,
        message: message.into(),
        error_type: API_ERROR.to_owned(),
        param: None,
        code: None,
        retry_after: None,
    }
}

/// The error of a stream that ended without a `finish_reason`: the answer was cut.
pub fn truncated() -> ApiError {
    bad_upstream(TRUNCATED_MESSAGE)
}

/// The Anthropic `error.type` for `error` (table in the module doc).
pub fn anthropic_error_type(error: &ApiError) -> &'static str {
    if let Some(kind) = ANTHROPIC_TYPES
        .iter()
        .find(|kind| **kind == error.error_type)
    {
        return kind;
    }
    match error.status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        _ => API_ERROR,
    }
}

/// The Messages stream event that ends a stream with `error`.
pub fn error_event(error: &ApiError) -> Value {
    json!({
        "type": "error",
        "error": {"type": anthropic_error_type(error), "message": error.message}
    })
}

#[cfg(test)]
mod tests;
