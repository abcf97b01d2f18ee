//! `POST /v1/embeddings`, through adapters whose platform has embeddings.

use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::request::JsonBody;
use crate::access::auth::Principal;
use crate::dispatch::{self, CallHead};
use crate::error::GatewayError;
use crate::plugins::bindings::Endpoint;
use crate::record::call_record::CallRecord;
use crate::state::AppState;

#[derive(Deserialize)]
pub(crate) struct EmbeddingsHead {
    model: String,
    #[allow(dead_code)] // required, checked by deserialization
    input: IgnoredAny,
}

/// Proxies an embeddings request.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(record): Extension<CallRecord>,
    JsonBody { head, raw: body }: JsonBody<EmbeddingsHead>,
) -> Result<Response, GatewayError> {
    let call = CallHead {
        model: head.model,
        stream: false,
        include_usage: false,
        dialect_headers: Vec::new(),
        max_output: Some(0),
    };
    let forwarded = dispatch::forward(
        &state,
        Endpoint::Embeddings,
        call,
        &principal,
        body,
        &record,
    )
    .await;
    Ok(super::render::openai(forwarded))
}
