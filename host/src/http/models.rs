//! `GET /v1/models` and `GET /v1/models/{id}`: the configured public models.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::{Extension, Json};
use serde_json::{Value, json};

use crate::access::auth::Principal;
use crate::dispatch::models::Model;
use crate::error::GatewayError;
use crate::state::AppState;

fn model_object(model: &Model) -> Value {
    json!({
        "id": &*model.name,
        "object": "model",
        "created": 0,
        "owned_by": model.primary_adapter(),
    })
}

/// Lists the configured models the caller may use, in OpenAI's list shape, or in
/// Anthropic's when the request is an Anthropic client's (it sends `anthropic-version`
/// or its key in `x-api-key`). A model whose API key variable is unset is left out: a
/// client that picks the first listed model must get one that works.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
) -> Json<Value> {
    let models = state
        .models
        .iter()
        .filter(|r| r.is_servable() && principal.check_model(&r.name).is_ok());
    if headers.contains_key("anthropic-version") || headers.contains_key("x-api-key") {
        let data: Vec<Value> = models.map(|r| anthropic_model_object(r)).collect();
        let first = data.first().map(|m| m["id"].clone());
        let last = data.last().map(|m| m["id"].clone());
        return Json(json!({
            "data": data,
            "has_more": false,
            "first_id": first,
            "last_id": last,
        }));
    }
    let data: Vec<Value> = models.map(|r| model_object(r)).collect();
    Json(json!({ "object": "list", "data": data }))
}

/// A model in Anthropic's list shape. The gateway does not know when a platform
/// released a model: `created_at` is the Unix epoch.
fn anthropic_model_object(model: &Model) -> Value {
    json!({
        "type": "model",
        "id": &*model.name,
        "display_name": &*model.name,
        "created_at": "1970-01-01T00:00:00Z",
    })
}

/// One model, or 404 `model_not_found`, or 403 outside the caller's allowlist.
pub async fn show(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    let route = state.models.resolve(&id)?;
    principal.check_model(&route.name)?;
    Ok(Json(model_object(&route)))
}
