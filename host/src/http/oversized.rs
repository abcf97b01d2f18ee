//! Bodies announced larger than `server.max_body_bytes`: answered 413 before the
//! handler runs, in a way ordinary clients can read. Most HTTP clients (Python's
//! `http.client` under `urllib` and `requests`, for one) send the whole body before
//! they look at the answer; if the server answers and closes with the body unread,
//! the client's writes fail (`BrokenPipeError`, connection reset) and the 413 is never
//! seen. So the body is read and thrown away, up to a bound, and the connection is
//! closed after the answer.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, header};
use http_body_util::BodyExt;

use crate::error::GatewayError;

/// Largest oversized body read and discarded so the client sees the 413; beyond it
/// the answer comes at once and the connection is cut (the client may see a reset).
pub const DRAIN_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Longest time spent discarding one oversized body.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Middleware: 413 `request_too_large` with `connection: close` when `content-length`
/// exceeds `limit` (the state). Bodies without a length are left to the extractors'
/// limit.
pub async fn refuse(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let Some(length) = content_length(request.headers()) else {
        return next.run(request).await;
    };
    if length <= u64::try_from(limit).unwrap_or(u64::MAX) {
        return next.run(request).await;
    }
    let anthropic = super::messages::render::is_messages_path(request.uri().path())
        .then(|| super::messages::render::request_id(request.headers()));
    // A client waiting for `100 Continue` has sent nothing yet: answering now
    // spares it the upload.
    if !expects_continue(request.headers()) && length <= DRAIN_MAX_BYTES {
        let drained = tokio::time::timeout(DRAIN_TIMEOUT, discard(request.into_body())).await;
        if drained.is_err() {
            tracing::debug!(length, "gave up discarding an oversized body");
        }
    }
    let mut response = GatewayError::PayloadTooLarge { limit }.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    match anthropic {
        Some(id) => super::messages::render::in_anthropic_shape(response, id),
        None => response,
    }
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
}

/// Reads `body` to its end (or first error), keeping nothing.
async fn discard(mut body: Body) {
    while let Some(Ok(_)) = body.frame().await {}
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::middleware::from_fn_with_state;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;

    fn app() -> Router {
        Router::new()
            .route(
                "/",
                post(|body: bytes::Bytes| async move { body.len().to_string() }),
            )
            .layer(from_fn_with_state(10usize, refuse))
    }

    fn post_body(len: usize, expect: bool) -> Request {
        let mut request = http::Request::post("/")
            .header(header::CONTENT_LENGTH, len)
            .body(Body::from(vec![b'x'; len]))
            .unwrap();
        if expect {
            request
                .headers_mut()
                .insert(header::EXPECT, HeaderValue::from_static("100-continue"));
        }
        request
    }

    #[tokio::test]
    async fn an_announced_oversized_body_gets_413_and_the_connection_closes() {
        for expect in [false, true] {
            let response = app().oneshot(post_body(11, expect)).await.unwrap();
            assert_eq!(response.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
            assert_eq!(response.headers()[header::CONNECTION], "close");
        }
        let response = app().oneshot(post_body(10, false)).await.unwrap();
        assert_eq!(
            response.status(),
            http::StatusCode::OK,
            "at the limit: served"
        );
    }
}
