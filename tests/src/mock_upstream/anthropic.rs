//! The mock's Anthropic Messages API (`POST /v1/messages`). Not implemented yet: matches nothing.

use axum::http::Uri;
use axum::response::{IntoResponse, Response};

use super::PlatformRequest;

/// Whether this module answers `uri`.
pub fn matches(_uri: &Uri) -> bool {
    false
}

/// Answers a request [`matches`] accepted.
pub async fn answer(_request: PlatformRequest<'_>) -> Response {
    axum::http::StatusCode::NOT_IMPLEMENTED.into_response()
}
