//! Errors this dialect makes, and the Responses shape of any [`ApiError`] that ends a
//! stream.
//!
//! | Situation | status | `error-type` |
//! |---|---|---|
//! | A request that cannot be translated ([`bad_request`]) | 400 | `invalid_request_error`, `param` names the field |
//! | A chat answer or chunk that is not a chat completion, or carries an `error` ([`bad_upstream`]) | 502 | `server_error` |
//! | A stream that sent chunks but ended with no `finish_reason` ([`truncated`]) | 502 | `server_error` |
//!
//! A stream that fails after it started ends with `response.failed`, whose
//! `response.error` is `{code, message}` ([`failure`]). The code is one Responses
//! clients act on; Codex reads them in `codex-api/src/sse/responses.rs`
//! (`context_length_exceeded`, `insufficient_quota`, `server_is_overloaded`, anything
//! else retried, with the wait read from "try again in `<n>`s" when the code is
//! `rate_limit_exceeded`):
//!
//! | [`ApiError`] | `error.code` | `error.message` |
//! |---|---|---|
//! | `code` already one of [`KNOWN_CODES`] | kept | kept |
//! | `code` or `error-type` `insufficient_quota` | `insufficient_quota` | kept |
//! | 429 | `rate_limit_exceeded` | [`RATE_LIMIT_PREFIX`] + message, then "Please try again in `<retry-after>`s." unless it already says when |
//! | 400 or 413 whose message speaks of the context length ([`is_context_message`]) | `context_length_exceeded` | kept |
//! | 503, 529, or `error-type` `overloaded_error` | `server_is_overloaded` | kept |
//! | anything else | `server_error` | kept |

use crate::bindings::ApiError;

/// OpenAI's type for a request at fault.
pub const INVALID_REQUEST: &str = "invalid_request_error";

/// OpenAI's type (and Responses' error code) for a server-side failure.
pub const SERVER_ERROR: &str = "server_error";

/// Status of an upstream answer this dialect cannot read, and of a cut stream.
pub const BAD_GATEWAY: u16 = 502;

/// The message of [`truncated`].
pub const TRUNCATED_MESSAGE: &str = "the upstream stream ended before the answer was complete";

/// Put before the message of a rate-limit failure, as OpenAI words it.
pub const RATE_LIMIT_PREFIX: &str = "Rate limit reached: ";

/// Error codes kept as they are in `response.failed`.
pub const KNOWN_CODES: [&str; 7] = [
    "context_length_exceeded",
    "rate_limit_exceeded",
    "insufficient_quota",
    "server_is_overloaded",
    "invalid_prompt",
    "usage_not_included",
    SERVER_ERROR,
];

/// Phrases (lower case) by which a 400 says the input did not fit the model's context.
const CONTEXT_PHRASES: [&str; 7] = [
    "context length",
    "context window",
    "context_length",
    "maximum context",
    "too many tokens",
    "prompt is too long",
    "input is too long",
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
        error_type: SERVER_ERROR.to_owned(),
        param: None,
        code: None,
        retry_after: None,
    }
}

/// The error of a stream that sent chunks but no `finish_reason`: the answer was cut.
pub fn truncated() -> ApiError {
    bad_upstream(TRUNCATED_MESSAGE)
}

/// Whether an error message speaks of the input exceeding the model's context.
pub fn is_context_message(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    CONTEXT_PHRASES.iter().any(|phrase| lower.contains(phrase))
}

/// The `error` of a failed Response: its `code` and `message` (table in the module doc).
pub fn failure(error: &ApiError) -> (&'static str, String) {
    let code = error.code.as_deref().unwrap_or("");
    if let Some(known) = KNOWN_CODES.iter().find(|known| **known == code) {
        if *known == "rate_limit_exceeded" {
            return (known, rate_limit_message(error));
        }
        return (known, error.message.clone());
    }
    if code == "insufficient_quota" || error.error_type == "insufficient_quota" {
        return ("insufficient_quota", error.message.clone());
    }
    match error.status {
        429 => ("rate_limit_exceeded", rate_limit_message(error)),
        400 | 413 if is_context_message(&error.message) => {
            ("context_length_exceeded", error.message.clone())
        }
        503 | 529 => ("server_is_overloaded", error.message.clone()),
        _ if error.error_type == "overloaded_error" => {
            ("server_is_overloaded", error.message.clone())
        }
        _ => (SERVER_ERROR, error.message.clone()),
    }
}

/// A rate-limit message that says when to try again, in the words Codex parses
/// (`try again in <n>s`).
fn rate_limit_message(error: &ApiError) -> String {
    let message = error.message.trim().trim_end_matches('.');
    let mut out = if message.starts_with("Rate limit") {
        message.to_owned()
    } else {
        [RATE_LIMIT_PREFIX, message].concat()
    };
    out.push('.');
    if out.to_ascii_lowercase().contains("try again in") {
        return out;
    }
    if let Some(seconds) = error.retry_after {
        out.push_str(&format!(" Please try again in {seconds}s."));
    }
    out
}

#[cfg(test)]
mod tests;
