//! Gemini (google.rpc) error bodies → [`ApiError`].
//!
//! Gemini answers `{"error":{"code","message","status","details":[…]}}`, sometimes
//! wrapped in an array. The HTTP status is kept except where Gemini's is misleading:
//! an invalid key is a 400 `API_KEY_INVALID` there and a 401 here, so OpenAI clients
//! raise their authentication error. A 429's wait comes from `RetryInfo.retryDelay`
//! (Gemini sends no `Retry-After`).

use serde_json::Value;
use switchyard_guest_kit::error::{
    AUTHENTICATION, INVALID_REQUEST, NOT_FOUND, PERMISSION, RATE_LIMIT, SERVER, error_status,
    from_status, snippet,
};
use switchyard_guest_kit::headers::retry_after;
use switchyard_guest_kit::{ApiError, UpstreamResponse};

/// How much of a foreign error body goes into a message, in characters.
pub const SNIPPET_CHARS: usize = 200;

/// Status of a mid-stream error that names none.
pub const STREAM_ERROR_STATUS: u16 = 502;

/// A non-2xx upstream answer as the client should see it (a status that is no error
/// status, a redirect, becomes 502: [`error_status`]).
pub fn from_upstream(response: &UpstreamResponse) -> ApiError {
    let status = error_status(response.status);
    let parsed: Option<Value> = serde_json::from_slice(&response.body).ok();
    let error = parsed.as_ref().and_then(|body| match body {
        Value::Array(items) => items.first().and_then(|first| first.get("error")),
        other => other.get("error"),
    });
    let mut api_error = match error.filter(|e| e.is_object()) {
        // A Gemini error under a status that is no error status: its own code decides.
        Some(error) => from_error_json(error, Some(response.status).filter(|s| *s == status)),
        None => {
            let text = snippet(&response.body, SNIPPET_CHARS);
            let message = if text.is_empty() {
                format!(
                    "Gemini answered HTTP {} with an empty body",
                    response.status
                )
            } else {
                format!("Gemini answered HTTP {}: {text}", response.status)
            };
            from_status(status, message, None, None)
        }
    };
    if api_error.retry_after.is_none() {
        api_error.retry_after = retry_after(&response.headers);
    }
    api_error
}

/// The non-null `error` of a 2xx body: of the object, or of any element of an array
/// (`streamGenerateContent` without `alt=sse` wraps everything in one, and an error
/// can end it after some events).
pub fn error_in(body: &Value) -> Option<&Value> {
    let of = |value: &'_ Value| -> bool { value.get("error").is_some_and(|e| !e.is_null()) };
    match body {
        Value::Array(items) => items.iter().find(|item| of(item))?.get("error"),
        other if of(other) => other.get("error"),
        _ => None,
    }
}

/// The inside of a Gemini error (`{"code","message","status","details"}`); `status`
/// is the HTTP status it came with (`None` mid-stream, where `code` says it).
pub fn from_error_json(error: &Value, http_status: Option<u16>) -> ApiError {
    let code = error
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..=599).contains(c));
    let rpc_status = error
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .map_or_else(|| format!("Gemini failed with {rpc_status}"), str::to_owned);
    let details = error
        .get("details")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let reason = details
        .iter()
        .find_map(|d| d.get("reason").and_then(Value::as_str));

    let mut status = http_status
        .or(code)
        .or_else(|| rpc_http_status(rpc_status))
        .unwrap_or(STREAM_ERROR_STATUS);
    let (error_type, code) = match (rpc_status, reason) {
        (_, Some("API_KEY_INVALID" | "API_KEY_EXPIRED")) | ("UNAUTHENTICATED", _) => {
            status = 401;
            (AUTHENTICATION, Some("invalid_api_key"))
        }
        ("PERMISSION_DENIED", _) => (PERMISSION, None),
        ("NOT_FOUND", _) => (NOT_FOUND, Some("model_not_found")),
        ("RESOURCE_EXHAUSTED", _) => {
            status = 429;
            (RATE_LIMIT, Some(RATE_LIMIT))
        }
        ("INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE", _) => (INVALID_REQUEST, None),
        ("DEADLINE_EXCEEDED", _) => (SERVER, Some("timeout")),
        ("INTERNAL" | "UNAVAILABLE" | "UNKNOWN" | "DATA_LOSS", _) => (SERVER, None),
        _ => {
            let mut error = from_status(status, message, None, None);
            error.retry_after = retry_delay(details);
            return error;
        }
    };
    let mut api_error = from_status(status, message, Some(error_type), code);
    api_error.retry_after = retry_delay(details);
    api_error
}

/// The HTTP status that goes with a google.rpc status name.
fn rpc_http_status(status: &str) -> Option<u16> {
    Some(match status {
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => 400,
        "UNAUTHENTICATED" => 401,
        "PERMISSION_DENIED" => 403,
        "NOT_FOUND" => 404,
        "RESOURCE_EXHAUSTED" => 429,
        "INTERNAL" | "UNKNOWN" | "DATA_LOSS" => 500,
        "UNAVAILABLE" => 503,
        "DEADLINE_EXCEEDED" => 504,
        _ => return None,
    })
}

/// Whole seconds from a `RetryInfo` detail's `retryDelay` (`"37s"`, `"1.5s"`), rounded up.
fn retry_delay(details: &[Value]) -> Option<u32> {
    let delay = details
        .iter()
        .filter(|d| {
            d.get("@type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("google.rpc.RetryInfo"))
        })
        .find_map(|d| d.get("retryDelay").and_then(Value::as_str))?;
    let seconds: f64 = delay.trim().strip_suffix('s')?.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| seconds.ceil() as u32)
}

#[cfg(test)]
mod tests;
