//! `POST /v1/embeddings`, through adapters whose platform has embeddings.

use axum::Extension;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::request;
use crate::access::auth::Principal;
use crate::dispatch::{self, CallHead};
use crate::error::GatewayError;
use crate::plugins::bindings::Endpoint;
use crate::state::AppState;

#[derive(Deserialize)]
struct EmbeddingsHead {
    model: String,
    #[allow(dead_code)] // required, checked by deserialization
    input: IgnoredAny,
}

/// Proxies an embeddings request.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GatewayError> {
    let body = request::json_body(&headers, body, state.config.server.max_body_bytes)?;
    let head: EmbeddingsHead = request::parse(&body)?;
    let call = CallHead {
        model: head.model,
        stream: false,
        include_usage: false,
    };
    Ok(dispatch::forward(&state, Endpoint::Embeddings, call, &principal, body, None).await)
}
