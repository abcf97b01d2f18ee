//! The Anthropic dialect on the wire: events as SSE named after their `type`, and
//! errors as `{"type":"error","error":{"type","message"},"request_id"}` with a
//! `request-id` header, whichever layer refused the request.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode, header};
use serde_json::json;

use crate::error::{ErrorReport, GatewayError};

/// The request id header the gateway sets on every request.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Anthropic's name for it.
const ANTHROPIC_REQUEST_ID: HeaderName = HeaderName::from_static("request-id");

/// Anthropic's error types, by what clients act on.
const ANTHROPIC_TYPES: &[&str] = &[
    "invalid_request_error",
    "authentication_error",
    "billing_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "timeout_error",
    "overloaded_error",
];

/// The Anthropic error type for an error: an upstream's own Anthropic type passes
/// (pass-through), anything else follows the status.
pub fn error_type(status: StatusCode, openai_type: &str) -> &'static str {
    // OpenAI names every client error `invalid_request_error`, a name Anthropic
    // shares: that one says nothing the status does not.
    if let Some(known) = ANTHROPIC_TYPES
        .iter()
        .find(|t| **t == openai_type && **t != "invalid_request_error")
    {
        return known;
    }
    match status.as_u16() {
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        504 => "timeout_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

/// The error event that ends a stream, or an error body.
pub fn error_json(status: StatusCode, error: &GatewayError) -> serde_json::Value {
    json!({
        "type": "error",
        "error": {
            "type": error_type(status, error.error_type()),
            "message": error.message(),
        },
    })
}

/// Whether `path` is one of the Messages routes, whose errors are Anthropic-shaped.
pub fn is_messages_path(path: &str) -> bool {
    path.starts_with("/v1/messages")
}

/// Middleware for the Messages routes: every error response of the layers inside it
/// and of the handlers in Anthropic's shape, and the request id under Anthropic's
/// header name too. (The layers outside the routes, the announced-size check and the
/// unknown-path fallbacks, call [`in_anthropic_shape`] themselves for these paths, so
/// other routes pay nothing for this dialect.)
pub async fn errors(request: Request, next: Next) -> Response {
    let request_id = request.headers().get(REQUEST_ID).cloned();
    in_anthropic_shape(next.run(request).await, request_id)
}

/// `response` with its error (if it is one) in Anthropic's shape, and `request-id`.
pub fn in_anthropic_shape(mut response: Response, request_id: Option<HeaderValue>) -> Response {
    if let Some(report) = response.extensions_mut().remove::<ErrorReport>() {
        response = reshape(response, &report, request_id.as_ref());
    }
    if let Some(id) = request_id {
        response.headers_mut().insert(ANTHROPIC_REQUEST_ID, id);
    }
    response
}

/// The request id a request carries (set by the outermost layer).
pub fn request_id(headers: &http::HeaderMap) -> Option<HeaderValue> {
    headers.get(REQUEST_ID).cloned()
}

/// An OpenAI-shaped error response rebuilt in Anthropic's shape, status and headers kept.
fn reshape(response: Response, report: &ErrorReport, id: Option<&HeaderValue>) -> Response {
    let (mut parts, _) = response.into_parts();
    let body = json!({
        "type": "error",
        "error": {
            "type": error_type(parts.status, &report.error_type),
            "message": report.message,
        },
        "request_id": id.and_then(|v| v.to_str().ok()),
    });
    parts.headers.remove(header::CONTENT_LENGTH);
    let mut rebuilt = (parts.status, axum::Json(body)).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE {
            rebuilt.headers_mut().insert(name.clone(), value.clone());
        }
    }
    *rebuilt.extensions_mut() = parts.extensions;
    rebuilt
}

/// The SSE error event that ends a stream after it started.
pub fn error_event(error: &GatewayError) -> Bytes {
    let body = error_json(error.status(), error);
    Bytes::from(format!("event: error\ndata: {body}\n\n"))
}

pub use crate::http::render::{encode_events, event_stream, json};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_types_follow_the_status_unless_the_upstream_named_one() {
        assert_eq!(
            error_type(StatusCode::UNAUTHORIZED, "invalid_request_error"),
            "authentication_error"
        );
        assert_eq!(
            error_type(StatusCode::NOT_FOUND, "invalid_request_error"),
            "not_found_error"
        );
        assert_eq!(
            error_type(
                StatusCode::from_u16(529).unwrap_or(StatusCode::OK),
                "overloaded_error"
            ),
            "overloaded_error"
        );
        assert_eq!(
            error_type(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded"),
            "rate_limit_error"
        );
        assert_eq!(
            error_type(StatusCode::BAD_GATEWAY, "server_error"),
            "api_error"
        );
        assert_eq!(
            error_type(StatusCode::SERVICE_UNAVAILABLE, "server_error"),
            "overloaded_error"
        );
    }
}
