//! `GET /v1/models` and `GET /v1/models/{id}`: the configured public models.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::error::GatewayError;
use crate::models::ModelRoute;
use crate::state::AppState;

fn model_object(route: &ModelRoute) -> Value {
    json!({
        "id": route.name,
        "object": "model",
        "created": 0,
        "owned_by": route.adapter,
    })
}

/// Lists every configured model in OpenAI's list shape.
pub async fn list(State(state): State<AppState>) -> Json<Value> {
    let data: Vec<Value> = state.models.iter().map(|r| model_object(r)).collect();
    Json(json!({ "object": "list", "data": data }))
}

/// One model, or 404 `model_not_found`.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    let route = state.models.resolve(&id)?;
    Ok(Json(model_object(&route)))
}
