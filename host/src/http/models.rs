//! `GET /v1/models` and `GET /v1/models/{id}`: the configured public models.

use axum::extract::{Path, State};
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

/// Lists the configured models the caller may use, in OpenAI's list shape. A model
/// whose API key variable is unset is left out: a client that picks the first listed
/// model must get one that works.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Json<Value> {
    let data: Vec<Value> = state
        .models
        .iter()
        .filter(|r| r.is_servable() && principal.check_model(&r.name).is_ok())
        .map(|r| model_object(r))
        .collect();
    Json(json!({ "object": "list", "data": data }))
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
