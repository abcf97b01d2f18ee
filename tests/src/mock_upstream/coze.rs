//! The mock's Coze v3 chat (`/v3/chat`, `/v3/chat/submit_tool_outputs`). Not implemented yet: matches nothing.

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
